"""The ``anyio_backend`` fixture of the hookreceiver pytest plugin, in a module of its own.

``plugin.pytest_configure`` registers this module after every entry-point plugin (anyio's
included), so its definition is the one pytest uses; a conftest's own ``anyio_backend`` is more
specific and still wins.
"""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    """``"asyncio"``: the only backend hookreceiver's worker (and so ``hook_client``) runs on."""
    return "asyncio"

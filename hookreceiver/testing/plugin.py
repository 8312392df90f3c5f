"""The hookreceiver pytest plugin, registered through the ``pytest11`` entry point.

Fixtures:

- ``hook_clock``: a :class:`FrozenClock` (the receiver's signature clock while ``hook_client`` runs).
- ``hook_receiver``: your ``HookReceiver``. Override it (in your ``conftest.py``) to return it.
- ``hook_frozen_clock``: ``hook_clock`` installed on ``hook_receiver`` alone (no client).
- ``hook_client``: a :class:`HookClient` open on ``hook_receiver`` with ``hook_clock``; closed
  (the receiver restored) after the test.
- ``hook_request``: ``hook_request(provider, payload=None, *, secret=..., topic=...)`` builds a
  signed request at the frozen time (see :func:`build_request`).

- ``anyio_backend``: ``"asyncio"``. The client's methods are coroutines that run the receiver's
  worker, which is built on asyncio: mark async tests ``@pytest.mark.anyio`` and they run on
  asyncio only, even with trio installed (anyio's own fixture would run each test on every
  installed backend). Define ``anyio_backend`` in a conftest to override it.

Nothing is imported until a fixture is used.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from hookreceiver.core.delivery import HttpRequest
    from hookreceiver.receiver import HookReceiver
    from hookreceiver.testing.client import HookClient
    from hookreceiver.testing.clock import FrozenClock


def pytest_configure(config: pytest.Config) -> None:
    if not config.pluginmanager.has_plugin("hookreceiver-anyio-backend"):
        from hookreceiver.testing import backend

        config.pluginmanager.register(backend, "hookreceiver-anyio-backend")


@pytest.fixture
def hook_clock() -> FrozenClock:
    """A frozen clock at 2023-11-14T22:13:20Z; ``hook_clock.advance(s)`` moves it."""
    from hookreceiver.testing.clock import FrozenClock

    return FrozenClock()


@pytest.fixture
def hook_receiver() -> HookReceiver:
    """Your receiver: override this fixture to return the ``HookReceiver`` under test."""
    pytest.fail(
        "the hook_client fixture needs your receiver: define a `hook_receiver` fixture "
        "(in conftest.py) that returns your HookReceiver",
        pytrace=False,
    )


@pytest.fixture
def hook_frozen_clock(hook_receiver: HookReceiver, hook_clock: FrozenClock) -> Iterator[FrozenClock]:
    """``hook_clock`` installed as ``hook_receiver.clock`` for the test, without the client.

    For requests captured from a provider (signed at a fixed time) sent with a client of your own.
    """
    saved = hook_receiver.clock
    hook_receiver.clock = hook_clock
    try:
        yield hook_clock
    finally:
        hook_receiver.clock = saved


@pytest.fixture
def hook_client(hook_receiver: HookReceiver, hook_clock: FrozenClock) -> Iterator[HookClient]:
    """A HookClient on ``hook_receiver``: fresh memory store, ``hook_clock``, handlers run inline."""
    from hookreceiver.testing.client import HookClient

    client = HookClient(hook_receiver, clock=hook_clock)
    client.open()
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def hook_request(hook_clock: FrozenClock) -> Callable[..., HttpRequest]:
    """``build_request`` with the timestamp taken from ``hook_clock`` when none is given."""
    from hookreceiver.testing.signing import build_request

    def make(provider: Any, payload: Any = None, **options: Any) -> HttpRequest:
        options.setdefault("timestamp", hook_clock())
        return build_request(provider, payload, **options)

    return make

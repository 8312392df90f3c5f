"""Once started, answering a request imports nothing.

A module imported on first use is read from disk; when a flood of connections has used up the
process's open files, that read fails (EMFILE) and the request became a 500 (found with
``python3 -m tests.soak.slow_clients --connections 1100 --nofile 1024``: anyio loads its timeout
scopes lazily). The lifespan startup now loads the request path (``asgi.warm_up``).
"""

from __future__ import annotations

import json
import subprocess
import sys

from tests.helpers import REPO_ROOT


def test_requests_after_startup_import_no_module() -> None:
    script = REPO_ROOT / "tests" / "hostile" / "request_path_imports.py"
    result = subprocess.run(
        [sys.executable, str(script)], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["statuses"] == [200, 401, 200, 408]
    assert report["imported"] == []

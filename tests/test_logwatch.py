"""The log watch (tests/logwatch.py, installed by conftest) and a real ``serve`` watched the same way.

The in-process watch covers every test; ``serve`` runs in its own process, so its whole output
(hookreceiver's lines, uvicorn's error and access logs, at debug level) is read here and checked
for every secret, signature and query-string token the test used.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from hookreceiver import HttpRequest
from hookreceiver.providers import Generic
from hookreceiver.testing.signing import build_request
from tests.helpers import ServerProcess
from tests.logwatch import MIN_LENGTH, LogWatch, watchable

SECRETS = {
    "LOGWATCH_GENERIC_SECRET": "lw-generic-secret-91c3d7",
    "LOGWATCH_STRIPE_SECRET": "whsec_lw-stripe-secret-4e2a",
    "LOGWATCH_GITLAB_TOKEN": "lw-gitlab-token-7b1f0c",
    "LOGWATCH_WECHAT_TOKEN": "lwWeChatToken8d2e",
}
QUERY_TOKEN = "lw-url-token-c0ffee5511"


def test_the_watch_sees_a_leak_and_ignores_the_sending_client() -> None:
    watch = LogWatch()
    logger = logging.getLogger("hookreceiver.logwatch-selftest")
    logger.addHandler(watch)
    logger.propagate = False
    try:
        watch.watch(["a-configured-secret", "short"], secret=True)
        watch.watch(["deadbeef" * 8], secret=False)
        logger.warning("accepted delivery_id=1 secret_index=0")
        assert watch.leaks() == []
        logger.warning("oops %s", "a-configured-secret")
        logger.error("sig=%s", "deadbeef" * 8)
        logger.warning("short is not watched: %d characters", len("short"))
        kinds = [kind for kind, _ in watch.leaks()]
        assert kinds == ["secret", "signature"]
        logging.getLogger("httpx").addHandler(watch)
        logging.getLogger("httpx").warning("GET /?token=%s", "a-configured-secret")  # the sender's own line
        assert len(watch.leaks()) == 2
    finally:
        logger.removeHandler(watch)
        logging.getLogger("httpx").removeHandler(watch)
    assert len("short") < MIN_LENGTH


def test_the_suite_watch_is_on_the_root_logger_and_leaves_levels_alone(
    _no_secret_in_any_log_line: LogWatch,
) -> None:
    root = logging.getLogger()
    assert _no_secret_in_any_log_line in root.handlers
    assert root.level == logging.WARNING  # the watch sets no level (logging's default)
    assert logging.getLogger("hookreceiver").level == logging.NOTSET
    # it learnt this test's secret the moment a provider was built
    Generic(secret="learnt-at-construction-5d1")
    assert "learnt-at-construction-5d1" in _no_secret_in_any_log_line.secrets


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    process = ServerProcess(
        "tests.logwatch_app:hooks",
        tmp_path / "serve.log",
        env={**SECRETS, "HOOKRECEIVER_LOG_FORMAT": "text"},
        extra_args=["--log-level", "debug"],
    )
    process.start()
    yield process
    process.kill()


def _requests(base: str) -> list[HttpRequest]:
    made: list[HttpRequest] = []
    for name, path, secret in [
        ("generic", "/generic", SECRETS["LOGWATCH_GENERIC_SECRET"]),
        ("stripe", "/stripe", SECRETS["LOGWATCH_STRIPE_SECRET"]),
        ("gitlab", "/gitlab", SECRETS["LOGWATCH_GITLAB_TOKEN"]),
        ("wechat", "/wechat", SECRETS["LOGWATCH_WECHAT_TOKEN"]),
    ]:
        url = f"{base}{path}?token={QUERY_TOKEN}"
        made.append(build_request(name, secret=secret, url=url, fresh_id=True))
        made.append(build_request(name, secret=secret + "-wrong", url=url, fresh_id=True))
    return made


def _watched(requests: list[HttpRequest]) -> set[str]:
    values = set(SECRETS.values()) | {QUERY_TOKEN}
    for request in requests:
        for name, value in request.headers.items():
            if any(word in name for word in ("signature", "token", "hmac")):
                values.add(value)
                values.update(part.split("=", 1)[-1] for part in value.replace(";", ",").split(","))
        for name, value in parse_qsl(urlsplit(request.url).query):
            if name in {"signature", "msg_signature", "token"}:
                values.add(value)
    return {value for value in values if watchable(value)}


@pytest.mark.e2e
def test_serve_at_debug_level_logs_no_secret_signature_or_query_token(server: ServerProcess) -> None:
    requests = _requests(server.url)
    statuses = []
    for request in requests + requests[:2]:  # the last two again: duplicates
        response = httpx.request(
            request.method, request.url, content=request.body, headers=dict(request.headers), timeout=10
        )
        statuses.append(response.status_code)
    assert statuses == [200, 401] * 4 + [200, 401], statuses
    server.wait_for_log("handled endpoint=/wechat")
    assert server.terminate() == 0
    log = server.log()
    assert "uvicorn.access" in log or '"POST /' in log  # the access log was on
    leaks = sorted(value for value in _watched(requests) if value in log)
    assert leaks == [], [line for line in log.splitlines() if any(v in line for v in leaks)][:10]


def test_a_property_tests_drawn_secret_is_watched_in_that_test_only() -> None:
    """Secrets built in a Hypothesis test are drawn (maybe from our own constants, such as a
    content type a refusal logs): watched while that test runs, forgotten after it."""
    watch = LogWatch()
    watch.start_test(drawn=True)
    watch.watch(["multipart/form-data"], secret=True)
    watch.lines.append("hookreceiver WARNING content type 'multipart/form-data' is not accepted here")
    assert [kind for kind, _ in watch.leaks()] == ["secret"]
    watch.start_test()
    watch.lines.append("hookreceiver WARNING content type 'multipart/form-data' is not accepted here")
    assert watch.leaks() == []
    watch.watch(["configured-secret-value"], secret=True)  # a configured secret stays watched
    watch.start_test()
    watch.lines.append("hookreceiver INFO configured-secret-value")
    assert [kind for kind, _ in watch.leaks()] == ["secret"]

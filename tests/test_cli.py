"""The ``hookreceiver`` command: ``send`` against a real uvicorn process, and clear errors.

One quickstart server (``python -m hookreceiver serve``) runs for the whole module; ``send`` runs
both as a real subprocess and in-process through ``main()``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from hookreceiver.cli import main
from tests.helpers import REPO_ROOT, ServerProcess, free_port

pytestmark = pytest.mark.e2e

CLI_SECRET = "cli-secret-41aa-not-for-logs"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    log_path = tmp_path_factory.mktemp("cli") / "server.log"
    process = ServerProcess("examples.quickstart:hooks", log_path, env={"QUICKSTART_SECRET": CLI_SECRET})
    process.start()
    yield process
    process.kill()


@pytest.fixture(scope="module")
def generic_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """An endpoint with Generic's defaults: what ``send --provider generic --secret`` signs for."""
    log_path = tmp_path_factory.mktemp("cli-generic") / "server.log"
    process = ServerProcess("tests.cli_app:hooks", log_path, env={"CLI_APP_SECRET": CLI_SECRET})
    process.start()
    yield process
    process.kill()


def hookreceiver(*args: str, secret: str = CLI_SECRET) -> subprocess.CompletedProcess[str]:
    """Run the real command (``python -m hookreceiver``) from the repository root."""
    env = {**os.environ, "QUICKSTART_SECRET": secret}
    return subprocess.run(
        [sys.executable, "-m", "hookreceiver", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_send_with_app_signs_like_the_endpoint(server: ServerProcess) -> None:
    args = (
        "send",
        f"{server.url}/orders",
        "--app",
        "examples.quickstart:hooks",
        "--topic",
        "order.created",
        "--id",
        "cli-1",
        "--data",
        '{"order": 1}',
    )
    first = hookreceiver(*args)
    assert first.returncode == 0, first.stderr
    status, _, body = first.stdout.strip().partition(" ")
    assert status == "200"
    assert json.loads(body) == {"status": "accepted", "delivery_id": "cli-1", "topic": "order.created"}
    again = hookreceiver(*args)
    assert again.returncode == 0 and json.loads(again.stdout.partition(" ")[2])["status"] == "duplicate"
    server.wait_for_log("handled topic=order.created delivery_id=cli-1")


def test_send_with_app_but_another_secret_is_refused(server: ServerProcess) -> None:
    result = hookreceiver(
        "send",
        f"{server.url}/orders",
        "--app",
        "examples.quickstart:hooks",
        "--topic",
        "order.created",
        "--id",
        "cli-2",
        secret="some-other-secret",
    )
    assert result.returncode == 1
    assert result.stdout.startswith("401 ") and "bad_signature" in result.stdout


def test_send_with_provider_and_secret(
    generic_server: ServerProcess, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    server = generic_server
    data = tmp_path / "payload.json"
    data.write_text('{"order": 2}')
    argv = [
        "send",
        f"{server.url}/orders",
        "--provider",
        "generic",
        "--secret",
        CLI_SECRET,
        "--topic",
        "order.paid",
        "--data",
        str(data),
    ]
    assert main(argv) == 0
    status, _, body = capsys.readouterr().out.strip().partition(" ")
    answer = json.loads(body)
    assert status == "200" and answer["status"] == "accepted" and answer["topic"] == "order.paid"
    assert answer["delivery_id"].startswith("sha256:")  # Generic's default sends no id: body hash
    server.wait_for_log(f"handled topic=order.paid delivery_id={answer['delivery_id']}")

    wrong = [*argv[:5], "wrong-secret", *argv[6:]]
    assert wrong[4:6] == ["--secret", "wrong-secret"]
    assert main(wrong) == 1
    assert capsys.readouterr().out.startswith("401 ")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--provider", "nosuch", "--secret", "x"], "unknown provider 'nosuch'; known: "),
        (["--provider", "generic"], "--secret is required with --provider"),
        (["--provider", "generic", "--secret", "x", "--data", "{not json"], "--data is not valid JSON"),
        (
            ["--app", "examples.quickstart:hooks"],
            "no endpoint of examples.quickstart:hooks matches '/refunds'",
        ),
    ],
)
def test_send_usage_errors_exit_2(extra: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"http://127.0.0.1:{free_port()}/refunds"
    assert main(["send", url, "--topic", "t", *extra]) == 2
    err = capsys.readouterr().err
    assert err.startswith("hookreceiver: ") and message in err


# send --app picks the endpoint by the URL's path, normalised as the receiver keys endpoints
# (trailing slashes trimmed, an empty path is "/"), a proxy's prefix allowed, the query ignored.
SEND_PATHS = [
    ("/stripe", None),
    ("/stripe/", None),
    ("/stripe?tenant=7", None),
    ("/proxy/in/stripe", None),
    ("/sms//", None),
    ("", "matches '/'"),
    ("/", "matches '/'"),
    ("/stripe/extra", "matches '/stripe/extra'"),
]


@pytest.mark.parametrize(("path", "refused"), SEND_PATHS)
def test_send_app_finds_the_endpoint_by_the_urls_path(
    path: str, refused: str | None, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"http://127.0.0.1:{free_port()}{path}"
    topic = "message.received" if path.startswith("/sms") else "payment_intent.succeeded"
    code = main(["send", url, "--app", "tests.testing.send_app:hooks", "--topic", topic])
    err = capsys.readouterr().err
    if refused is None:  # signed for that endpoint, then nothing listens at the port
        assert (code, err.startswith("hookreceiver: cannot reach ")) == (1, True), err
    else:
        assert code == 2 and f"no endpoint of tests.testing.send_app:hooks {refused}" in err


@pytest.mark.parametrize("path", ["", "/", "//"])
def test_send_app_finds_an_endpoint_at_the_root(path: str, capsys: pytest.CaptureFixture[str]) -> None:
    """A receiver mounted at its own root (``/``): an empty path was no match before."""
    url = f"http://127.0.0.1:{free_port()}{path}"
    code = main(
        ["send", url, "--app", "tests.testing.send_app:root_hooks", "--topic", "payment_intent.succeeded"]
    )
    err = capsys.readouterr().err
    assert (code, err.startswith("hookreceiver: cannot reach ")) == (1, True), err


def test_send_with_the_recommended_generic_template(
    generic_server: ServerProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["send", f"{generic_server.url}/signed", "--provider", "generic", "--secret", CLI_SECRET]
    argv += ["--topic", "order.paid", "--data", '{"order": 3}', "--id", "evt-signed-1"]
    assert main([*argv, "--signed-content", "{id}.{timestamp}.{body}"]) == 0
    status, _, body = capsys.readouterr().out.strip().partition(" ")
    assert status == "200" and json.loads(body)["delivery_id"] == "evt-signed-1"
    assert main([*argv[:-1], "evt-signed-2"]) == 1  # Generic's default template: not what it checks
    assert capsys.readouterr().out.startswith("401 ")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["127.0.0.1:8000/orders"], "needs a scheme and a host, e.g. http://127.0.0.1:8000/orders"),
        (["localhost/orders"], "needs a scheme and a host"),
        (
            ["http://h/orders", "--data", "no-such-payload.json"],
            "--data: no such file: 'no-such-payload.json'",
        ),
        (["http://h/orders", "--data", "./missing.json"], "no such file"),
        (
            ["http://h/orders", "--app", "examples.quickstart:hooks", "--signed-content", "{body}"],
            "--signed-content: only with --provider generic",
        ),
        (
            ["http://h/orders", "--provider", "github", "--timestamp-header", "x-t"],
            "only with --provider generic",
        ),
    ],
)
def test_send_refuses_what_it_cannot_send(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    if "--app" not in argv and "--provider" not in argv:
        argv = [*argv, "--provider", "generic"]
    assert main(["send", *argv, "--secret", "x", "--topic", "t"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("hookreceiver: ") and message in err


def test_send_to_nothing_says_it_cannot_reach(capsys: pytest.CaptureFixture[str]) -> None:
    url = f"http://127.0.0.1:{free_port()}/orders"
    assert main(["send", url, "--provider", "generic", "--secret", "x", "--topic", "t", "--data", "{}"]) == 1
    assert f"cannot reach {url}" in capsys.readouterr().err


BAD_SPECS = [
    ("nocolon", "expected MODULE:ATTR, got 'nocolon'"),
    (":hooks", "expected MODULE:ATTR"),
    ("examples.quickstart:", "expected MODULE:ATTR"),
    ("no_such_module_xyz:hooks", "cannot import 'no_such_module_xyz'"),
    ("examples.quickstart:nope", "module 'examples.quickstart' has no attribute 'nope'"),
    ("examples.quickstart:log", "examples.quickstart:log is not a HookReceiver (got Logger)"),
]


@pytest.mark.parametrize(("spec", "message"), BAD_SPECS)
def test_serve_with_a_bad_module_attr_exits_2_with_a_message(spec: str, message: str) -> None:
    result = hookreceiver("serve", spec, "--port", str(free_port()))
    assert result.returncode == 2
    assert f"hookreceiver: {message}" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_with_a_typo_in_the_redis_url_query_fails_at_startup() -> None:
    env = {**os.environ, "HOOKRECEIVER_REDIS_URL": "redis://:hunter2@127.0.0.1:6379/0?namepsace=x"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "hookreceiver",
            "serve",
            "examples.quickstart:hooks",
            "--port",
            str(free_port()),
        ],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "unknown option in the redis URL query: 'namepsace'; allowed: namespace" in result.stderr
    assert "Traceback" not in result.stderr and "hunter2" not in result.stderr


@pytest.mark.parametrize(("spec", "message"), BAD_SPECS[:2])
def test_send_with_a_bad_app_exits_2(spec: str, message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["send", "http://127.0.0.1:9/orders", "--app", spec, "--topic", "t"]) == 2
    assert message in capsys.readouterr().err


def test_missing_arguments_are_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["send", "http://127.0.0.1:9/orders", "--provider", "generic"])  # no --topic
    assert exit_info.value.code == 2
    assert "--topic" in capsys.readouterr().err


def help_of(*command: str, capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as exit_info:
        main([*command, "--help"])
    assert exit_info.value.code == 0
    return capsys.readouterr().out


def test_help_texts_name_the_providers_defaults_and_only_each_commands_options(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from hookreceiver.providers import PROVIDERS

    monkeypatch.setenv("COLUMNS", "2000")  # argparse would wrap "standard-webhooks" at its hyphen

    top = help_of(capsys=capsys)
    assert "``" not in top and "Receive webhooks" in top
    send_help = " ".join(help_of("send", capsys=capsys).split())  # argparse wraps lines
    assert "a provider name, signed with --secret: " + ", ".join(sorted(PROVIDERS)) in send_help
    assert "exit 2 names them" in send_help
    serve_help = " ".join(help_of("serve", capsys=capsys).split())
    for default in ("(default: 127.0.0.1)", "(default: 8000)", "(default: info)"):
        assert default in serve_help
    show_help = help_of("dead-letters", "show", capsys=capsys)
    assert "--limit" not in show_help and "[KEY]" not in show_help and " KEY" in show_help
    assert "--limit" in help_of("dead-letters", "list", capsys=capsys)

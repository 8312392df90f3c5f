"""``hookreceiver send --provider NAME --secret S --topic T``: signed by the testing kit, payload
from the shipped samples, against a real uvicorn process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from hookreceiver.cli import main
from hookreceiver.testing import sample
from tests.helpers import REPO_ROOT, ServerProcess
from tests.testing.send_app import SECRET

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    process = ServerProcess("tests.testing.send_app:hooks",
                            tmp_path_factory.mktemp("send") / "server.log")
    process.start()
    yield process
    process.kill()


def send(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hookreceiver", "send", *args], cwd=REPO_ROOT,
                          env=dict(os.environ), capture_output=True, text=True, timeout=60)


def test_the_sample_is_sent_when_no_data_is_given(server: ServerProcess) -> None:
    result = send(f"{server.url}/stripe", "--provider", "stripe", "--secret", SECRET,
                  "--topic", "payment_intent.succeeded")
    assert result.returncode == 0, result.stderr
    status, _, body = result.stdout.strip().partition(" ")
    expected = sample("stripe", "payment_intent.succeeded")
    assert status == "200" and json.loads(body) == {
        "status": "accepted", "delivery_id": expected["id"], "topic": "payment_intent.succeeded"}
    handled = expected["data"]["object"]["id"]
    server.wait_for_log(f"stripe handled type=payment_intent.succeeded object={handled}")
    assert SECRET not in server.log()


def test_url_signed_provider_with_its_sample(server: ServerProcess) -> None:
    result = send(f"{server.url}/sms", "--provider", "twilio", "--secret", SECRET,
                  "--topic", "message.received")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("200 ") and "<Response/>" in result.stdout
    server.wait_for_log("sms handled from=+14155550123 body=STATUS 1042")


def test_data_overrides_the_sample(server: ServerProcess, capsys: pytest.CaptureFixture[str]) -> None:
    data = json.dumps({"data": {"object": {"id": "in_from_data"}}})
    assert main(["send", f"{server.url}/stripe", "--provider", "stripe", "--secret", SECRET,
                 "--topic", "invoice.paid", "--id", "evt_from_data", "--data", data]) == 0
    assert json.loads(capsys.readouterr().out.partition(" ")[2])["delivery_id"] == "evt_from_data"
    server.wait_for_log("stripe handled type=invoice.paid object=in_from_data")


def test_a_topic_without_a_sample_sends_an_empty_payload_with_a_note(
        server: ServerProcess, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["send", f"{server.url}/stripe", "--provider", "stripe", "--secret", SECRET,
                 "--topic", "invoice.payed", "--id", "evt_no_sample"])
    out, err = capsys.readouterr()
    assert "no stripe sample for topic 'invoice.payed'" in err and "invoice.paid" in err
    assert code == 0 and json.loads(out.partition(" ")[2])["delivery_id"] == "evt_no_sample"
    # The event has no data.object, so the typed handler fails (and is retried): not a 4xx.
    log = server.wait_for_log("handler failed endpoint=/stripe topic=invoice.payed "
                              "delivery_id=evt_no_sample attempt=1")
    assert "ValidationError" in log


def test_wrong_secret_is_refused(server: ServerProcess) -> None:
    result = send(f"{server.url}/stripe", "--provider", "stripe", "--secret", "whsec_other",
                  "--topic", "invoice.paid")
    assert result.returncode == 1 and result.stdout.startswith("401 ")

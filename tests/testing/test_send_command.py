"""``hookreceiver send --provider NAME --secret S --topic T``: signed by the testing kit, payload
from the shipped samples, against a real uvicorn process."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator

import pytest

from hookreceiver.cli import main
from hookreceiver.testing import sample, sample_topics
from hookreceiver.testing.keys import key_pair
from tests.helpers import REPO_ROOT, ServerProcess
from tests.testing.send_app import DISCORD_KEYS, SECRET

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    process = ServerProcess("tests.testing.send_app:hooks", tmp_path_factory.mktemp("send") / "server.log")
    process.start()
    yield process
    process.kill()


def send(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hookreceiver", "send", *args],
        cwd=REPO_ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_sample_is_sent_when_no_data_is_given(server: ServerProcess) -> None:
    answers = []
    for _ in range(2):  # the same sample twice, without --id: two new deliveries, not a duplicate
        result = send(
            f"{server.url}/stripe",
            "--provider",
            "stripe",
            "--secret",
            SECRET,
            "--topic",
            "payment_intent.succeeded",
        )
        assert result.returncode == 0, result.stderr
        status, _, body = result.stdout.strip().partition(" ")
        assert status == "200"
        answers.append(json.loads(body))
    expected = sample("stripe", "payment_intent.succeeded")
    assert [a["status"] for a in answers] == ["accepted", "accepted"]
    assert {a["topic"] for a in answers} == {"payment_intent.succeeded"}
    first, second = (a["delivery_id"] for a in answers)
    assert first != second and expected["id"] not in (first, second)
    assert all(re.fullmatch(r"evt_[A-Za-z0-9]{24}", i) for i in (first, second))  # Stripe's style
    for delivery_id in (first, second):
        server.wait_for_log(
            f"handled endpoint=/stripe topic=payment_intent.succeeded delivery_id={delivery_id} attempt=1"
        )
    handled = expected["data"]["object"]["id"]
    assert server.log().count(f"stripe handled type=payment_intent.succeeded object={handled}") == 2
    assert SECRET not in server.log()


def test_the_same_id_twice_is_a_duplicate(server: ServerProcess) -> None:
    args = (
        f"{server.url}/stripe",
        "--provider",
        "stripe",
        "--secret",
        SECRET,
        "--topic",
        "customer.subscription.updated",
        "--id",
        "evt_sent_twice",
    )
    statuses = [json.loads(send(*args).stdout.partition(" ")[2])["status"] for _ in range(2)]
    assert statuses == ["accepted", "duplicate"]


def test_url_signed_provider_with_its_sample(server: ServerProcess) -> None:
    result = send(
        f"{server.url}/sms", "--provider", "twilio", "--secret", SECRET, "--topic", "message.received"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("200 ") and "<Response/>" in result.stdout
    server.wait_for_log("sms handled from=+14155550123 body=STATUS 1042")


def test_data_overrides_the_sample(server: ServerProcess, capsys: pytest.CaptureFixture[str]) -> None:
    data = json.dumps({"data": {"object": {"id": "in_from_data"}}})
    assert (
        main(
            [
                "send",
                f"{server.url}/stripe",
                "--provider",
                "stripe",
                "--secret",
                SECRET,
                "--topic",
                "invoice.paid",
                "--id",
                "evt_from_data",
                "--data",
                data,
            ]
        )
        == 0
    )
    assert json.loads(capsys.readouterr().out.partition(" ")[2])["delivery_id"] == "evt_from_data"
    server.wait_for_log("stripe handled type=invoice.paid object=in_from_data")


def test_a_topic_without_a_sample_and_no_data_is_a_usage_error(
    server: ServerProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "send",
            f"{server.url}/stripe",
            "--provider",
            "stripe",
            "--secret",
            SECRET,
            "--topic",
            "invoice.payed",
            "--id",
            "evt_no_sample",
        ]
    )
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.startswith("hookreceiver: no stripe sample for topic 'invoice.payed' (samples: ")
    for topic in sample_topics("stripe"):
        assert topic in err
    assert "--data" in err
    assert "evt_no_sample" not in server.log()  # nothing was sent


def test_wrong_secret_is_refused(server: ServerProcess) -> None:
    result = send(
        f"{server.url}/stripe", "--provider", "stripe", "--secret", "whsec_other", "--topic", "invoice.paid"
    )
    assert result.returncode == 1 and result.stdout.startswith("401 ")


def test_a_key_signed_provider_is_sent_with_its_private_key(server: ServerProcess) -> None:
    """Discord: the kit signs with the private key; the endpoint verifies with the public one and
    answers with Discord's deferred interaction response."""
    result = send(
        f"{server.url}/discord",
        "--provider",
        "discord",
        "--secret",
        DISCORD_KEYS.private,
        "--topic",
        "application_command",
    )
    assert result.returncode == 0, result.stderr
    status, _, body = result.stdout.strip().partition(" ")
    assert (status, json.loads(body)) == ("200", {"type": 5})
    server.wait_for_log("discord handled topic=application_command.deploy")
    wrong = send(
        f"{server.url}/discord",
        "--provider",
        "discord",
        "--secret",
        key_pair("discord", seed="someone else").private,
        "--topic",
        "application_command",
    )
    assert wrong.returncode == 1 and wrong.stdout.startswith("401 ")
    assert "PRIVATE KEY" not in server.log()

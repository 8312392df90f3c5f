"""GitHub: known-answer vectors, gidgethub as the reference verifier, failures, ASGI routing."""

from __future__ import annotations

from functools import partial
from typing import Any

import pytest
from gidgethub import ValidationFailure, sansio
from hypothesis import given
from hypothesis import strategies as st

from hookreceiver.core.delivery import Delivery
from hookreceiver.exceptions import PayloadError, SignatureError, UnsupportedContentType
from hookreceiver.providers import PROVIDERS, GitHub, receive
from tests.helpers import asgi_client
from tests.providers.helpers import load_sample, memory_receiver, with_body

SECRET = "gh_webhook_secret"
NOW = 1700000000.0


load = partial(load_sample, "github")


# -- known answers -------------------------------------------------------------------------


def test_docs_example_verifies() -> None:
    assert GitHub(secret="It's a Secret to Everybody").verify(load("docs_example"), now=NOW) == 0


@pytest.mark.parametrize("name", ["pull_request_opened", "pull_request_opened_form"])
def test_json_and_form_vectors_identify_the_same(name: str) -> None:
    delivery = receive(GitHub(secret=SECRET), load(name), endpoint="/gh", now=NOW)
    assert isinstance(delivery, Delivery)
    assert delivery.topic == "pull_request.opened"
    assert delivery.topics == ("pull_request.opened", "pull_request")
    assert delivery.delivery_id == "72d3162e-cc78-11e3-81ab-4c9367dc0958"
    assert delivery.payload["repository"]["full_name"] == "octo/repo"
    assert delivery.meta["hook_id"] == "292430182"
    assert delivery.meta["repository"] == "octo/repo"


def test_rotation_reports_the_matching_index() -> None:
    assert GitHub(secret=["new_secret", "other", SECRET]).verify(load("pull_request_opened"), now=NOW) == 2


def test_push_has_no_action_so_no_alias() -> None:
    provider = GitHub(secret=SECRET)
    request = provider.sign(
        {"ref": "refs/heads/main"}, topic="push", delivery_id="d-1", timestamp=NOW, url="https://e/gh"
    )
    delivery = receive(provider, request, endpoint="/gh", now=NOW)
    assert isinstance(delivery, Delivery)
    assert (delivery.topic, delivery.aliases, delivery.delivery_id) == ("push", (), "d-1")


def test_ping_is_an_ordinary_topic() -> None:
    provider = GitHub(secret=SECRET)
    request = provider.sign(
        {"zen": "Keep it logically awesome.", "hook_id": 42}, topic="ping", timestamp=NOW, url="https://e/gh"
    )
    delivery = receive(provider, request, endpoint="/gh", now=NOW)
    assert isinstance(delivery, Delivery)
    assert delivery.topic == "ping" and delivery.meta["hook_id"] == "42"
    assert delivery.id_source == "provider"  # sign() makes up a GUID as GitHub would


def test_installation_target_headers_land_in_meta() -> None:
    request = load(
        "pull_request_opened",
        x_github_hook_installation_target_type="repository",
        x_github_hook_installation_target_id="123",
    )
    delivery = receive(GitHub(secret=SECRET), request, endpoint="/gh", now=NOW)
    assert isinstance(delivery, Delivery)
    assert delivery.meta["installation_target_type"] == "repository"
    assert delivery.meta["installation_target_id"] == "123"


# -- gidgethub as the reference ------------------------------------------------------------


def test_vector_is_accepted_by_gidgethub_and_by_us() -> None:
    request = load("pull_request_opened")
    event = sansio.Event.from_http(request.headers, request.body, secret=SECRET)
    ours = receive(GitHub(secret=SECRET), request, endpoint="/gh", now=NOW)
    assert isinstance(ours, Delivery)
    assert (event.event, event.delivery_id, event.data) == ("pull_request", ours.delivery_id, ours.payload)


@given(
    payload=st.dictionaries(
        st.text(min_size=1, max_size=8), st.one_of(st.text(max_size=20), st.integers()), max_size=4
    ),
    action=st.sampled_from(["", "opened", "closed", "synchronize"]),
)
def test_our_signature_verifies_with_gidgethub(payload: dict[str, Any], action: str) -> None:
    topic = f"issues.{action}" if action else "issues"
    request = GitHub(secret=["older", SECRET]).sign(
        payload, topic=topic, timestamp=NOW, url="https://e/gh", secret_index=1
    )
    event = sansio.Event.from_http(request.headers, request.body, secret=SECRET)
    assert event.event == "issues"
    if action:
        assert event.data["action"] == action
    with pytest.raises(ValidationFailure):
        sansio.Event.from_http(request.headers, request.body, secret="older")


@given(flip=st.integers(min_value=0))
def test_any_flipped_byte_fails(flip: int) -> None:
    request = load("pull_request_opened")
    body = bytearray(request.body)
    body[flip % len(body)] ^= 0x20
    with pytest.raises(SignatureError):
        GitHub(secret=SECRET).verify(with_body(request, bytes(body)), now=NOW)


# -- failures ------------------------------------------------------------------------------


def test_tampered_body_and_wrong_secret_fail() -> None:
    request = load("pull_request_opened")
    with pytest.raises(SignatureError):
        GitHub(secret=SECRET).verify(with_body(request, request.body.replace(b"1", b"2")), now=NOW)
    with pytest.raises(SignatureError) as caught:
        GitHub(secret="wrong").verify(request, now=NOW)
    assert "wrong" not in str(caught.value)


def test_sha1_is_refused_unless_enabled() -> None:
    sha1_only = load("pull_request_opened", x_hub_signature_256=None)
    with pytest.raises(SignatureError) as caught:
        GitHub(secret=SECRET).verify(sha1_only, now=NOW)
    assert caught.value.reason == "missing_signature"
    assert GitHub(secret=SECRET, legacy_sha1=True).verify(sha1_only, now=NOW) == 0


def test_sha256_wins_over_sha1_when_both_are_sent() -> None:
    # A valid SHA-1 must not rescue a bad SHA-256.
    request = load("pull_request_opened", x_hub_signature_256="sha256=" + "0" * 64)
    with pytest.raises(SignatureError):
        GitHub(secret=SECRET, legacy_sha1=True).verify(request, now=NOW)


def test_legacy_enabled_with_no_signature_at_all() -> None:
    request = load("pull_request_opened", x_hub_signature_256=None, x_hub_signature=None)
    with pytest.raises(SignatureError) as caught:
        GitHub(secret=SECRET, legacy_sha1=True).verify(request, now=NOW)
    assert caught.value.reason == "missing_signature"


@pytest.mark.parametrize(
    "signature",
    [
        "fefce014e19081b07bf2de7ab179d0a86917d05761684f647009bdbadf91f0a9",  # no prefix
        "sha1=fefce014e19081b07bf2de7ab179d0a86917d05761684f647009bdbadf91f0a9",
        "sha256=not-hex",
        "sha256=",
    ],
)
def test_malformed_signature_header(signature: str) -> None:
    with pytest.raises(SignatureError):
        GitHub(secret=SECRET).verify(load("pull_request_opened", x_hub_signature_256=signature), now=NOW)


def test_missing_event_header_is_a_missing_topic() -> None:
    with pytest.raises(PayloadError) as caught:
        receive(
            GitHub(secret=SECRET), load("pull_request_opened", x_github_event=None), endpoint="/gh", now=NOW
        )
    assert caught.value.reason == "missing_topic"


def test_missing_delivery_header_falls_back_to_a_body_hash() -> None:
    delivery = receive(
        GitHub(secret=SECRET), load("pull_request_opened", x_github_delivery=None), endpoint="/gh", now=NOW
    )
    assert isinstance(delivery, Delivery) and delivery.id_source == "body_hash"


def test_xml_content_type_is_refused() -> None:
    with pytest.raises(UnsupportedContentType):
        receive(
            GitHub(secret=SECRET),
            load("pull_request_opened", content_type="text/xml"),
            endpoint="/gh",
            now=NOW,
        )


def test_repr_and_registry() -> None:
    assert SECRET not in repr(GitHub(secret=SECRET))
    assert PROVIDERS["github"] is GitHub


# -- through the ASGI app: alias routing ---------------------------------------------------


@pytest.mark.anyio
async def test_asgi_routes_both_the_action_and_the_bare_event() -> None:
    ran: list[str] = []
    hooks = memory_receiver(NOW)
    endpoint = hooks.endpoint("/github", GitHub(secret=SECRET))

    @endpoint.on("pull_request")
    def any_pull_request(delivery: Delivery) -> None:
        ran.append("pull_request")

    @endpoint.on("pull_request.opened")
    def opened(delivery: Delivery) -> None:
        ran.append("pull_request.opened")

    @endpoint.on("ping")
    def ping(delivery: Delivery) -> None:
        ran.append("ping")

    ping_request = GitHub(secret=SECRET).sign(
        {"zen": "z", "hook_id": 1}, topic="ping", delivery_id="ping-1", timestamp=NOW, url="http://t/"
    )
    async with asgi_client(hooks, "http://test") as client:
        for name in ("pull_request_opened", "pull_request_opened_form"):
            request = load(name)
            response = await client.post("/github", content=request.body, headers=dict(request.headers))
            assert response.status_code == 200
        assert response.json()["status"] == "duplicate"  # the form variant is the same delivery
        response = await client.post("/github", content=ping_request.body, headers=dict(ping_request.headers))
        assert response.json() == {"status": "accepted", "delivery_id": "ping-1", "topic": "ping"}
        request = load("pull_request_opened")
        bad = await client.post("/github", content=request.body + b"\n", headers=dict(request.headers))
        assert bad.status_code == 401 and bad.json()["error"] == "bad_signature"
    await hooks.worker.run_once()
    assert sorted(ran) == ["ping", "pull_request", "pull_request.opened"]


@pytest.mark.anyio
async def test_asgi_unrouted_topic_is_acknowledged_but_not_stored() -> None:
    hooks = memory_receiver(NOW)
    endpoint = hooks.endpoint("/github", GitHub(secret=SECRET))
    endpoint.on("issues")(lambda delivery: None)
    request = load("pull_request_opened")
    async with asgi_client(hooks, "http://test") as client:
        response = await client.post("/github", content=request.body, headers=dict(request.headers))
    assert response.status_code == 200 and response.json()["status"] == "unrouted"


def test_peek_delivery_id_reads_the_header_without_verifying() -> None:
    provider = GitHub(secret="someone-else")  # a wrong secret: peeking checks nothing
    assert provider.peek_delivery_id(load("pull_request_opened")) == "72d3162e-cc78-11e3-81ab-4c9367dc0958"
    assert provider.peek_delivery_id(load("pull_request_opened", x_github_delivery=None)) is None

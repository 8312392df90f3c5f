"""GitLab: the secret token in constant time, the topic scheme, delivery ids, meta, ASGI."""

from __future__ import annotations

import base64
import time
from dataclasses import replace
from functools import partial

import httpx
import pytest
import standardwebhooks
from hypothesis import given
from hypothesis import strategies as st

from hookreceiver.core.delivery import Delivery, HttpRequest
from hookreceiver.core.signing import Secrets, verify_token
from hookreceiver.exceptions import (
    ConfigurationError,
    PayloadError,
    SignatureError,
    StaleTimestamp,
    UnsupportedContentType,
)
from hookreceiver.providers import PROVIDERS, GitLab, Svix, receive
from hookreceiver.providers.gitlab import event_header
from hookreceiver.stores.codec import dump_delivery, load_delivery
from tests.helpers import asgi_client
from tests.providers.helpers import load_sample, memory_receiver, with_body

TOKEN = "gl_hook_token"
NOW = 1700000000.0


load = partial(load_sample, "gitlab")


def deliver(provider: GitLab, request: HttpRequest) -> Delivery:
    delivery = receive(provider, request, endpoint="/gitlab", now=NOW)
    assert isinstance(delivery, Delivery)
    return delivery


# -- samples: topics, ids and meta ---------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "topics", "delivery_id"),
    [
        (
            "merge_request_open",
            ("merge_request.open", "merge_request"),
            "2a8c9f1e-6d3b-4c1a-9e77-0b5d2f4a8c61",
        ),
        ("push", ("push",), "f0e1d2c3-b4a5-4968-8776-a5b4c3d2e1f0:push"),
        ("pipeline", ("pipeline",), "2a8c9f1e-6d3b-4c1a-9e77-0b5d2f4a8c61"),
        ("release_create", ("release.create", "release"), "2a8c9f1e-6d3b-4c1a-9e77-0b5d2f4a8c61"),
        ("system_project_create", ("project_create",), "11111111-2222-4333-8444-555555555555:project_create"),
    ],
)
def test_samples(name: str, topics: tuple[str, ...], delivery_id: str) -> None:
    delivery = deliver(GitLab(secret=TOKEN), load(name))
    assert (delivery.topics, delivery.delivery_id) == (topics, delivery_id)
    assert delivery.secret_index == 0 and delivery.id_source == "provider"


def test_meta_carries_instance_and_uuids() -> None:
    meta = deliver(GitLab(secret=TOKEN), load("merge_request_open")).meta
    assert meta == {
        "event": "Merge Request Hook",
        "instance": "https://gitlab.example.com",
        "webhook_uuid": "7d1f4c2a-0b8e-4e5f-a3c6-9d2e1b0f7a54",
        "event_uuid": "f0e1d2c3-b4a5-4968-8776-a5b4c3d2e1f0",
    }


def test_the_header_names_the_topic_when_the_body_does_not() -> None:
    request = with_body(load("push", x_gitlab_event="Tag Push Hook"), b'{"ref":"refs/heads/main"}')
    assert deliver(GitLab(secret=TOKEN), request).topic == "tag_push"
    request = with_body(load("push", x_gitlab_event=None), b"{}")
    with pytest.raises(PayloadError) as info:
        deliver(GitLab(secret=TOKEN), request)
    assert info.value.reason == "missing_topic"


def test_one_action_s_hooks_share_an_event_uuid_but_not_a_delivery_id() -> None:
    # A merge triggers a merge_request hook and a push hook carrying one X-Gitlab-Event-UUID.
    provider = GitLab(secret=TOKEN)
    merge = deliver(provider, load("merge_request_open", idempotency_key=None))
    push = deliver(provider, load("push"))
    assert merge.meta["event_uuid"] == push.meta["event_uuid"]
    assert merge.delivery_id != push.delivery_id
    assert merge.delivery_id == "f0e1d2c3-b4a5-4968-8776-a5b4c3d2e1f0:merge_request.open"


@pytest.mark.anyio
async def test_asgi_accepts_both_hooks_of_one_action() -> None:
    hooks = memory_receiver(NOW)
    hooks.endpoint("/webhooks/gitlab", GitLab(secret=TOKEN)).on("*")(lambda d: None)
    async with asgi_client(hooks, "https://example.com") as client:
        statuses = []
        for request in (load("merge_request_open", idempotency_key=None), load("push"), load("push")):
            response = await client.post(request.path, content=request.body, headers=dict(request.headers))
            statuses.append(response.json()["status"])
    assert statuses == ["accepted", "accepted", "duplicate"]


def test_no_ids_at_all_falls_back_to_the_body_hash() -> None:
    request = load("push", idempotency_key=None, x_gitlab_event_uuid=None)
    assert deliver(GitLab(secret=TOKEN), request).id_source == "body_hash"


@pytest.mark.parametrize(
    ("kind", "header"),
    [
        ("push", "Push Hook"),
        ("merge_request", "Merge Request Hook"),
        ("build", "Job Hook"),
        ("tag_push", "Tag Push Hook"),
        ("wiki_page", "Wiki Page Hook"),
        ("issue", "Issue Hook"),
    ],
)
def test_event_header_names(kind: str, header: str) -> None:
    assert event_header(kind) == header


# -- the token -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        (None, "missing_signature"),
        ("", "missing_signature"),
        ("gl_hook_toke", "bad_token"),
        ("gl_hook_token ", "bad_token"),
        ("GL_HOOK_TOKEN", "bad_token"),
        ("gl_hook_tokenX", "bad_token"),
    ],
)
def test_wrong_or_missing_token(token: str | None, reason: str) -> None:
    with pytest.raises(SignatureError) as info:
        GitLab(secret=TOKEN).verify(load("push", x_gitlab_token=token), now=NOW)
    assert info.value.reason == reason
    assert TOKEN not in str(info.value)


def test_rotation_reports_the_index() -> None:
    assert GitLab(secret=["new-token", TOKEN]).verify(load("push"), now=NOW) == 1
    assert GitLab(secret=[TOKEN, "old"]).verify(load("push"), now=NOW) == 0


def test_non_ascii_tokens_match_the_bytes_sent() -> None:
    provider = GitLab(secret="jeton-été")
    request = provider.sign({}, topic="push", timestamp=NOW, url="https://e.example/gl")
    assert provider.verify(request, now=NOW) == 0


@given(st.text(min_size=1, max_size=40))
def test_verify_token_accepts_only_the_exact_token(candidate: str) -> None:
    secrets = Secrets([TOKEN])
    if candidate == TOKEN:
        assert verify_token(candidate, secrets=secrets) == 0
    else:
        with pytest.raises(SignatureError):
            verify_token(candidate, secrets=secrets)


def test_token_never_shows() -> None:
    assert TOKEN not in repr(GitLab(secret=TOKEN))


def test_wrong_content_type_is_415() -> None:
    with pytest.raises(UnsupportedContentType):
        deliver(GitLab(secret=TOKEN), load("push", content_type="application/x-www-form-urlencoded"))


# -- sending side --------------------------------------------------------------------------


@pytest.mark.parametrize("topic", ["push", "merge_request.merge", "issue.close", "build"])
def test_sign_round_trip(topic: str) -> None:
    provider = GitLab(secret=[TOKEN, "older"])
    request = provider.sign(
        {"project": {"id": 1}},
        topic=topic,
        delivery_id="idem-9",
        timestamp=NOW,
        url="https://example.com/gl",
        secret_index=1,
    )
    delivery = deliver(provider, request)
    assert (delivery.topic, delivery.delivery_id, delivery.secret_index) == (topic, "idem-9", 1)
    assert request.headers["x-gitlab-event"] == event_header(topic.partition(".")[0])


# -- through the ASGI app ------------------------------------------------------------------


@pytest.mark.anyio
async def test_asgi_routes_action_topics_and_bare_kinds() -> None:
    hooks = memory_receiver(NOW)
    endpoint = hooks.endpoint("/webhooks/gitlab", GitLab(secret=TOKEN))
    endpoint.on("merge_request")(lambda d: None)
    async with asgi_client(hooks, "https://example.com") as client:

        async def post(request: HttpRequest) -> httpx.Response:
            return await client.post(request.path, content=request.body, headers=dict(request.headers))

        first = await post(load("merge_request_open"))
        assert first.status_code == 200
        assert first.json() == {
            "status": "accepted",
            "topic": "merge_request.open",
            "delivery_id": "2a8c9f1e-6d3b-4c1a-9e77-0b5d2f4a8c61",
        }
        assert (await post(load("merge_request_open"))).json()["status"] == "duplicate"
        assert (await post(load("push"))).json()["status"] == "unrouted"
        bad = await post(load("push", x_gitlab_token="nope"))
        assert (bad.status_code, bad.json()["error"]) == (401, "bad_token")


# -- the token stays out of the stored delivery ---------------------------------------------


def test_the_token_is_not_kept_in_the_delivery_headers() -> None:
    delivery = deliver(GitLab(secret=TOKEN), load("push"))
    assert "x-gitlab-token" not in delivery.headers
    assert delivery.headers["x-gitlab-event"] == "Push Hook"  # the other headers stay
    record = dump_delivery(delivery)
    assert TOKEN.encode() not in record
    assert load_delivery(record).headers == delivery.headers


@pytest.mark.anyio
async def test_the_stored_delivery_has_no_token() -> None:
    hooks = memory_receiver(NOW)
    seen: list[Delivery] = []
    hooks.endpoint("/webhooks/gitlab", GitLab(secret=TOKEN)).on("*")(seen.append)
    async with asgi_client(hooks, "https://example.com") as client:
        request = load("push")
        response = await client.post(request.path, content=request.body, headers=dict(request.headers))
    assert response.status_code == 200
    [job] = await hooks.store.take("test-worker", limit=1, wait=0)
    assert TOKEN.encode() not in dump_delivery(job.delivery)
    assert "x-gitlab-token" not in job.delivery.headers


def test_registered_by_name() -> None:
    assert PROVIDERS["gitlab"] is GitLab


def test_peek_delivery_id_reads_the_idempotency_key_else_the_event_uuid() -> None:
    provider = GitLab(secret="someone-else")  # a wrong token: peeking checks nothing
    assert provider.peek_delivery_id(load("merge_request_open")) == "2a8c9f1e-6d3b-4c1a-9e77-0b5d2f4a8c61"
    # Without the key the real id adds the topic, which lives in the body: the UUID alone is shown.
    assert provider.peek_delivery_id(load("push")) == "f0e1d2c3-b4a5-4968-8776-a5b4c3d2e1f0"
    assert provider.peek_delivery_id(load("push", x_gitlab_event_uuid=None)) is None


# -- signing token (Standard Webhooks headers) ---------------------------------------------

SIGNING = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def test_a_signing_token_signature_verifies_with_the_standardwebhooks_sdk() -> None:
    provider = GitLab(secret="tok", signing_token=SIGNING)
    request = provider.sign(
        {"ref": "main"}, topic="push", delivery_id="idem-9", timestamp=1700000000, url="https://e/gl"
    )
    assert request.headers["webhook-id"] == "idem-9" == request.headers["idempotency-key"]
    signed_now = provider.sign(
        {"ref": "main"}, topic="push", delivery_id="idem-9", timestamp=time.time(), url="https://e/gl"
    )
    standardwebhooks.Webhook(SIGNING).verify(signed_now.body, dict(signed_now.headers))
    delivery = receive(provider, request, endpoint="/gl", now=1700000000)
    assert isinstance(delivery, Delivery) and delivery.delivery_id == "idem-9"
    assert "x-gitlab-token" not in delivery.headers


def test_signing_token_alone_and_rotation() -> None:
    old = "whsec_" + base64.b64encode(b"an older key of 24 bytes").decode()
    provider = GitLab(signing_token=[SIGNING, old])
    request = provider.sign({}, topic="push", timestamp=1700000000, url="https://e/gl", secret_index=1)
    assert "x-gitlab-token" not in request.headers
    assert provider.verify(request, now=1700000000) == 1


def test_signing_token_rejections() -> None:
    provider = GitLab(secret="tok", signing_token=SIGNING)
    request = provider.sign({"ref": "main"}, topic="push", timestamp=1700000000, url="https://e/gl")
    with pytest.raises(SignatureError):  # tampered
        provider.verify(replace(request, body=request.body + b" "), now=1700000000)
    with pytest.raises(SignatureError):  # wrong signing token
        GitLab(signing_token="whsec_dGhpcyBpcyBhbm90aGVyIHNlY3JldCE=").verify(request, now=1700000000)
    with pytest.raises(StaleTimestamp):
        provider.verify(request, now=1700000000 + 301)
    # The plain token alone no longer passes once a signing token is configured.
    unsigned = GitLab(secret="tok").sign({}, topic="push", timestamp=1700000000, url="https://e/gl")
    with pytest.raises(SignatureError) as missing:
        provider.verify(unsigned, now=1700000000)
    assert missing.value.reason == "missing_signature"
    # A valid signature with a wrong secret token still fails.
    with pytest.raises(SignatureError) as token:
        GitLab(secret="other", signing_token=SIGNING).verify(request, now=1700000000)
    assert token.value.reason == "bad_token"
    # Another provider's signature: Svix-signed with another key.
    svix_request = Svix(secret="whsec_dGhpcyBpcyBhbm90aGVyIHNlY3JldCE=").sign(
        {}, topic="push", timestamp=1700000000, url="https://e/gl"
    )
    with pytest.raises(SignatureError):
        GitLab(signing_token=SIGNING).verify(svix_request, now=1700000000)
    with pytest.raises(ConfigurationError):
        GitLab()
    assert "MfKQ" not in repr(provider)

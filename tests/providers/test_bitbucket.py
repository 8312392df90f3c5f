"""Bitbucket Cloud: the PROVIDERS.md vector (checked with gidgethub's validator), rejections."""

from __future__ import annotations

from functools import partial

import pytest
from gidgethub import ValidationFailure
from gidgethub.sansio import validate_event

from hookreceiver.providers import PROVIDERS, Bitbucket, GitHub
from tests.providers.cases import accept, flipped, refuse, with_headers
from tests.providers.helpers import load_sample

SECRET = "bitbucket_secret"
T = 1700000000.0
load = partial(load_sample, "bitbucket", "repo_push")


def test_vector_verifies_and_identifies() -> None:
    delivery = accept(Bitbucket(secret=SECRET), load(), now=T)
    assert (delivery.topic, delivery.delivery_id) == ("repo:push", "a2d3b6f0-9c5e-4b1b-8f7a-2f1e0c9d8b7a")
    assert delivery.meta["repository"] == "team/repo"
    assert PROVIDERS["bitbucket"] is Bitbucket


def test_gidgethub_accepts_the_vector_and_our_signature() -> None:
    request = load()
    validate_event(request.body, signature=request.headers["x-hub-signature"], secret=SECRET)
    ours = Bitbucket(secret=["new", SECRET]).sign(
        {"push": {}}, topic="repo:push", timestamp=T, url="https://e/bb", secret_index=1
    )
    validate_event(ours.body, signature=ours.headers["x-hub-signature"], secret=SECRET)
    with pytest.raises(ValidationFailure):
        validate_event(ours.body, signature=ours.headers["x-hub-signature"], secret="new")
    delivery = accept(Bitbucket(secret=["new", SECRET]), ours, now=T)
    assert delivery.secret_index == 1
    assert delivery.meta["attempt"] == "1" and "hook_uuid" in delivery.meta


def test_rejections() -> None:
    provider = Bitbucket(secret=SECRET)
    assert refuse(provider, flipped(load()), now=T).reason == "bad_signature"
    refuse(Bitbucket(secret="wrong"), load(), now=T)
    assert refuse(provider, load(x_hub_signature=None), now=T).reason == "missing_signature"
    sha1 = "sha1=" + "00" * 20
    refuse(provider, load(x_hub_signature=sha1), now=T)
    github = GitHub(secret=SECRET).sign({"zen": "x"}, topic="push", timestamp=T, url="https://e/bb")
    refuse(provider, github, now=T)  # same HMAC, but GitHub's header name: no X-Hub-Signature


def test_missing_event_key_is_a_400() -> None:
    from hookreceiver.exceptions import PayloadError

    assert refuse(Bitbucket(secret=SECRET), load(x_event_key=None), now=T, error=PayloadError).reason == (
        "missing_topic"
    )
    request = load()
    assert Bitbucket(secret=SECRET).peek_delivery_id(with_headers(request, x_request_uuid="r-1")) == "r-1"

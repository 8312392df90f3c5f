"""Google Pub/Sub push: OIDC tokens made by PyJWT verify here, ours verify with google-auth's
``verify_oauth2_token``; every claim check, key rotation, the key-set cache, data decoding.
The key set is served by an injected fetcher: no network."""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import json
import time
from dataclasses import replace
from typing import Any

import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from google.oauth2 import id_token

from hookreceiver.core.delivery import Delivery, HttpRequest
from hookreceiver.exceptions import ConfigurationError, PayloadError, SignatureError
from hookreceiver.providers import PubSub, receive
from hookreceiver.providers.pubsub import GOOGLE_JWKS_URL, parse_jwks
from hookreceiver.testing.keys import jwt_key_pair
from tests.helpers import asgi_client
from tests.providers.cases import with_headers
from tests.providers.helpers import memory_receiver

T = 1700000000.0
AUDIENCE = "https://example.com/pubsub"
ACCOUNT = "push@hookreceiver-test.iam.gserviceaccount.com"
KEY = jwt_key_pair("pubsub-test")
OTHER = jwt_key_pair("pubsub-other")


class Served:
    """An injected fetcher: key sets by URL, in turn, counting the fetches."""

    def __init__(self, *documents: bytes) -> None:
        self.documents = list(documents)
        self.calls = 0

    def __call__(self, url: str) -> bytes:
        assert url == GOOGLE_JWKS_URL
        self.calls += 1
        return self.documents[min(self.calls, len(self.documents)) - 1]


def provider(fetch: Served | None = None, **options: Any) -> PubSub:
    options.setdefault("signing_key", KEY.private)
    options.setdefault("key_id", KEY.key_id)
    options.setdefault("service_account", ACCOUNT)
    return PubSub(audience=AUDIENCE, fetch=fetch or Served(KEY.jwks), **options)


def claims(**changes: Any) -> dict[str, Any]:
    base = {
        "aud": AUDIENCE,
        "azp": "113774264463038321964",
        "email": ACCOUNT,
        "email_verified": True,
        "exp": int(T) + 3600,
        "iat": int(T),
        "iss": "https://accounts.google.com",
        "sub": "113774264463038321964",
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def pyjwt_token(key: str = KEY.private, kid: str = KEY.key_id, **changes: Any) -> str:
    return jwt.encode(claims(**changes), key, algorithm="RS256", headers={"kid": kid})


def hs256_with_public_key() -> str:
    """The old algorithm-confusion forgery: HS256 keyed with the (public) RSA key's PEM."""
    private = serialization.load_pem_private_key(KEY.private.encode(), password=None)
    public = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )

    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    signing_input = f"{part({'alg': 'HS256', 'kid': KEY.key_id})}.{part(claims())}"
    mac = hmac.new(public, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def push(token: str, data: bytes = b'{"order":7}', **message: Any) -> HttpRequest:
    body = {
        "message": {
            "attributes": {"eventType": "OBJECT_FINALIZE"},
            "data": base64.b64encode(data).decode(),
            "messageId": "2070443601311540",
            "message_id": "2070443601311540",
            "publishTime": "2023-11-14T22:13:20.123Z",
            "publish_time": "2023-11-14T22:13:20.123Z",
            **message,
        },
        "subscription": "projects/acme/subscriptions/orders-push",
    }
    headers = {"content-type": "application/json", "authorization": f"Bearer {token}"}
    return HttpRequest.outgoing("POST", AUDIENCE, headers, json.dumps(body).encode())


def accept(pubsub: PubSub, request: HttpRequest, now: float = T) -> Delivery:
    delivery = receive(pubsub, request, endpoint="/pubsub", now=now)
    assert isinstance(delivery, Delivery)
    return delivery


def test_a_pyjwt_token_verifies_and_the_message_is_decoded() -> None:
    delivery = accept(provider(), push(pyjwt_token()))
    assert (delivery.topic, delivery.delivery_id) == ("orders-push", "2070443601311540")
    assert delivery.payload["data"] == {"order": 7}
    assert delivery.sent_at == pytest.approx(T + 0.123)
    assert delivery.meta == {"subscription": "projects/acme/subscriptions/orders-push"}
    assert "authorization" not in delivery.headers  # the token is not stored
    by_attribute = accept(provider(topic_attribute="eventType"), push(pyjwt_token()))
    assert by_attribute.topic == "OBJECT_FINALIZE"


def test_google_auth_accepts_our_token() -> None:
    now = time.time()  # google-auth (through PyJWT) reads the real clock for exp and iat

    # google-auth's verify_oauth2_token reads Google's v1 endpoint: {kid: PEM certificate}.
    private = serialization.load_pem_private_key(KEY.private.encode(), password=None)
    assert isinstance(private, rsa.RSAPrivateKey)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pubsub-test")])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(1)
        .not_valid_before(datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC))
        .not_valid_after(datetime.datetime(2100, 1, 1, tzinfo=datetime.UTC))
        .sign(private, hashes.SHA256())
    )
    certs = {KEY.key_id: certificate.public_bytes(serialization.Encoding.PEM).decode()}

    class Response:
        status = 200
        data = json.dumps(certs).encode()

    def transport(url: str, method: str = "GET", **_: Any) -> Response:
        assert url == "https://www.googleapis.com/oauth2/v1/certs"
        return Response()

    ours = provider(service_account=["new@x.iam.gserviceaccount.com", ACCOUNT])
    request = ours.sign({"order": 8}, topic="orders-push", timestamp=now, url=AUDIENCE, secret_index=1)
    token = request.headers["authorization"].removeprefix("Bearer ")
    verified = id_token.verify_oauth2_token(token, transport, audience=AUDIENCE)  # type: ignore[no-untyped-call]
    assert verified["email"] == ACCOUNT and verified["iss"] == "https://accounts.google.com"
    delivery = accept(ours, request, now=now)
    assert (delivery.payload["data"], delivery.secret_index) == ({"order": 8}, 1)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"aud": "https://example.com/other"}, "bad_audience"),
        ({"aud": None}, "bad_audience"),
        ({"iss": "https://evil.example.com"}, "bad_issuer"),
        ({"email": "someone@else.iam.gserviceaccount.com"}, "bad_service_account"),
        ({"email_verified": False}, "bad_service_account"),
        ({"email": None}, "bad_service_account"),
        ({"exp": int(T) - 61}, "expired_token"),
        ({"iat": int(T) + 61}, "expired_token"),
        ({"exp": None}, "bad_token"),
    ],
)
def test_every_claim_is_checked(changes: dict[str, Any], reason: str) -> None:
    with pytest.raises(SignatureError) as caught:
        provider().verify(push(pyjwt_token(**changes)), now=T)
    assert caught.value.reason == reason
    leeway = provider().verify(push(pyjwt_token(exp=int(T) - 59, iat=int(T) + 59)), now=T)
    assert leeway == 0


def test_forged_tokens_are_refused() -> None:
    pubsub = provider()
    token = pyjwt_token()
    head, body, signature = token.split(".")
    other_claims = base64.urlsafe_b64encode(json.dumps(claims(aud="x")).encode()).rstrip(b"=").decode()
    cases = {
        "another key": pyjwt_token(key=OTHER.private),
        "changed claims": f"{head}.{other_claims}.{signature}",
        "alg none": jwt.encode(claims(), None, algorithm="none", headers={"kid": KEY.key_id}),  # type: ignore[arg-type]
        "HS256 under the public key": hs256_with_public_key(),
        "no kid": jwt.encode(claims(), KEY.private, algorithm="RS256"),
        "not a JWT": "abc.def",
        "garbage": "a.b.c",
    }
    for label, forged in cases.items():
        with pytest.raises(SignatureError):
            pubsub.verify(push(forged), now=T)
        assert label
    for header in (None, "Basic dXNlcjpwYXNz", "Bearer ", f"Token {token}"):
        with pytest.raises(SignatureError) as caught:
            pubsub.verify(with_headers(push(token), authorization=header), now=T)
        assert caught.value.reason == "missing_signature"


def test_an_unknown_key_refetches_the_set_at_most_once_a_minute() -> None:
    rotated = json.dumps({"keys": json.loads(KEY.jwks)["keys"] + json.loads(OTHER.jwks)["keys"]}).encode()
    fetch = Served(KEY.jwks, rotated)
    pubsub = provider(fetch)
    assert pubsub.verify(push(pyjwt_token()), now=T) == 0
    new_key_token = pyjwt_token(key=OTHER.private, kid=OTHER.key_id)
    with pytest.raises(SignatureError) as caught:  # the set is fresh: no refetch per unknown kid
        pubsub.verify(push(new_key_token), now=T + 30)
    assert caught.value.reason == "unknown_key" and fetch.calls == 1
    assert (
        pubsub.verify(push(pyjwt_token(key=OTHER.private, kid=OTHER.key_id, iat=int(T) + 61)), now=T + 61)
        == 0
    )
    assert fetch.calls == 2


def test_key_set_failures_are_401s_not_500s() -> None:
    def broken(url: str) -> bytes:
        raise OSError("no route")

    assert (
        _reason(PubSub(audience=AUDIENCE, service_account=ACCOUNT, fetch=broken)) == "certificate_unavailable"
    )
    assert _reason(provider(Served(b"<html>not json</html>"))) == "bad_certificate"
    assert _reason(provider(Served(b'{"keys": [{"kty": "EC", "kid": "pubsub-test"}]}'))) == "unknown_key"
    assert parse_jwks(b'{"keys": [{"kty": "RSA", "kid": "k", "n": 5, "e": "AQAB"}, "junk"]}') == {}
    with pytest.raises(ValueError):
        parse_jwks(b"[]")


def _reason(pubsub: PubSub) -> str:
    with pytest.raises(SignatureError) as caught:
        pubsub.verify(push(pyjwt_token()), now=T)
    return caught.value.reason


@pytest.mark.parametrize(
    ("data", "expected"),
    [(b'{"a":[1,2]}', {"a": [1, 2]}), (b"plain text", "plain text"), (b"\xff\xfe binary", None), (b"", "")],
)
def test_message_data_is_decoded(data: bytes, expected: Any) -> None:
    delivery = accept(provider(), push(pyjwt_token(), data))
    assert delivery.payload["data"] == expected
    assert base64.b64decode(delivery.payload["message"]["data"]) == data


def test_malformed_envelopes_are_400s() -> None:
    token = pyjwt_token()
    bad_data = push(token, data=b"x")
    body = json.loads(bad_data.body)
    body["message"]["data"] = "not base64!"
    with pytest.raises(PayloadError):
        receive(provider(), replace(bad_data, body=json.dumps(body).encode()), endpoint="/p", now=T)
    with pytest.raises(PayloadError):
        receive(provider(), replace(bad_data, body=b'{"subscription": "s"}'), endpoint="/p", now=T)
    with pytest.raises(ConfigurationError):
        PubSub(audience=[], service_account=ACCOUNT)
    with pytest.raises(ConfigurationError):
        PubSub(audience=AUDIENCE, service_account="")
    with pytest.raises(ConfigurationError):
        PubSub(audience=AUDIENCE, service_account=ACCOUNT).sign({}, topic="t", timestamp=T, url=AUDIENCE)


@pytest.mark.anyio
async def test_through_the_asgi_app() -> None:
    hooks = memory_receiver(T)
    seen: list[Delivery] = []
    hooks.endpoint("/pubsub", provider()).on("orders-push")(seen.append)
    good = push(pyjwt_token())
    async with asgi_client(hooks, "https://example.com") as client:
        first = await client.post("/pubsub", content=good.body, headers=dict(good.headers))
        again = await client.post("/pubsub", content=good.body, headers=dict(good.headers))
        forged = push(pyjwt_token(key=OTHER.private))
        bad = await client.post("/pubsub", content=forged.body, headers=dict(forged.headers))
    assert first.json()["status"] == "accepted" and again.json()["status"] == "duplicate"
    assert bad.status_code == 401
    await hooks.worker.run_once()
    assert [d.payload["data"] for d in seen] == [{"order": 7}]

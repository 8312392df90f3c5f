"""Amazon SNS: string-to-sign vectors (PROVIDERS.md), signatures v1/v2 under a served test
certificate, the certificate URL allow-list and cache, confirmations, and the ASGI endpoint."""

from __future__ import annotations

import base64
import hashlib
import http.server
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from hookreceiver.core.delivery import Delivery, HttpRequest, Reply
from hookreceiver.exceptions import PayloadError, SignatureError, StaleTimestamp
from hookreceiver.providers import Stripe, receive
from hookreceiver.providers.certs import CertificateCache, fetch_https
from hookreceiver.providers.sns import SNS, allowed_sns_url, string_to_sign
from hookreceiver.testing.certs import certificate_pair
from tests.helpers import asgi_client
from tests.providers.helpers import memory_receiver, with_body

ARN = "arn:aws:sns:us-west-2:123456789012:MyTopic"
CERT_URL = "https://sns.us-west-2.amazonaws.com/SimpleNotificationService-0000000000000000000000.pem"
T = 1335920046.0  # 2012-05-02T00:54:06Z, the vector's Timestamp
CERT = certificate_pair("sns")
OTHER = certificate_pair("sns-other")

NOTIFICATION = {
    "Type": "Notification",
    "MessageId": "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
    "TopicArn": ARN,
    "Subject": "My First Message",
    "Message": "Hello world!",
    "Timestamp": "2012-05-02T00:54:06.655Z",
    "SignatureVersion": "2",
    "SigningCertURL": CERT_URL,
}
NOTIFICATION_SHA256 = "19b478a5097fafe0273520bbe813de90c3cbe3cb11fc69d093fcb2ccdeec2dbf"


class Served:
    """An injected fetcher: serves certificates by URL and counts the fetches."""

    def __init__(self, certs: dict[str, bytes]) -> None:
        self.certs, self.calls = certs, 0

    def __call__(self, url: str) -> bytes:
        self.calls += 1
        return self.certs[url]


def signed(message: dict[str, Any], cert: Any = CERT, version: str = "2") -> dict[str, Any]:
    key = serialization.load_pem_private_key(cert.private_pem.encode(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    algorithm = hashes.SHA256() if version == "2" else hashes.SHA1()
    fields = {**message, "SignatureVersion": version}
    signature = key.sign(string_to_sign(fields), padding.PKCS1v15(), algorithm)
    return {**fields, "Signature": base64.b64encode(signature).decode()}


def as_request(message: dict[str, Any]) -> HttpRequest:
    return HttpRequest(
        "POST",
        "https://e/sns",
        "/sns",
        {"content-type": "text/plain; charset=UTF-8"},
        "",
        json.dumps(message).encode(),
    )


def sns(fetcher: Served | None = None, **options: Any) -> SNS:
    return SNS(topic_arns=[ARN], fetch=fetcher or Served({CERT_URL: CERT.certificate_pem}), **options)


def test_string_to_sign_vectors() -> None:
    assert hashlib.sha256(string_to_sign(NOTIFICATION)).hexdigest() == NOTIFICATION_SHA256
    without_subject = {k: v for k, v in NOTIFICATION.items() if k != "Subject"}
    assert b"Subject" not in string_to_sign(without_subject)


@pytest.mark.parametrize("version", ["1", "2"])
def test_signature_versions_verify_and_identify(version: str) -> None:
    delivery = receive(sns(), as_request(signed(NOTIFICATION, version=version)), endpoint="/sns", now=T)
    assert isinstance(delivery, Delivery)
    assert delivery.topics == ("Notification.MyTopic", "Notification")
    assert delivery.delivery_id == "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324"
    assert delivery.meta == {"topic_arn": ARN, "subject": "My First Message"}
    assert delivery.payload["Message"] == "Hello world!"


def test_tampered_wrong_key_other_topic_and_other_provider_fail() -> None:
    request = as_request(signed(NOTIFICATION))
    tampered = with_body(request, request.body.replace(b"Hello world!", b"Hello World!"))
    for bad, reason in (
        (tampered, "bad_signature"),
        (as_request(signed(NOTIFICATION, OTHER)), "bad_signature"),
        (as_request(signed({**NOTIFICATION, "TopicArn": ARN + "2"})), "unexpected_topic"),
        (as_request({**signed(NOTIFICATION), "SignatureVersion": "3"}), "bad_signature"),
    ):
        with pytest.raises(SignatureError) as caught:
            sns().verify(bad, now=T)
        assert caught.value.reason == reason
    stripe = Stripe(secret="whsec_x").sign({"TopicArn": ARN}, topic="x", timestamp=T, url="https://e/sns")
    with pytest.raises((SignatureError, PayloadError)):
        receive(sns(), stripe, endpoint="/sns", now=T)


@pytest.mark.parametrize(
    "url",
    [
        "http://sns.us-west-2.amazonaws.com/cert.pem",
        "https://sns.us-west-2.amazonaws.com.evil.com/cert.pem",
        "https://evil.com/sns.us-west-2.amazonaws.com/cert.pem",
        "https://x@sns.us-west-2.amazonaws.com/c.pem",
        "https://sns.us-west-2.amazonaws.com:8443/cert.pem",
        "https://sns.us-west-2.amazonaws.com/cert.txt",
        "https://s3.amazonaws.com/cert.pem",
    ],
)
def certificate_pair_urls_off_the_allow_list_are_never_fetched(url: str) -> None:
    fetcher = Served({url: CERT.certificate_pem})
    with pytest.raises(SignatureError) as caught:
        sns(fetcher).verify(as_request(signed({**NOTIFICATION, "SigningCertURL": url})), now=T)
    assert caught.value.reason == "untrusted_certificate_url"
    assert fetcher.calls == 0 and not allowed_sns_url(url)
    assert allowed_sns_url("https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-1.pem")


def certificate_pairs_are_cached_with_a_ttl_and_a_size_bound() -> None:
    fetcher = Served({CERT_URL: CERT.certificate_pem, CERT_URL + "x.pem": CERT.certificate_pem})
    cache = CertificateCache(allow=allowed_sns_url, fetch=fetcher, ttl=60, max_entries=1)
    provider = SNS(topic_arns=ARN, certificates=cache)
    request = as_request(signed(NOTIFICATION))
    provider.verify(request, now=T)
    provider.verify(request, now=T + 59)
    assert fetcher.calls == 1
    provider.verify(request, now=T + 61)
    assert fetcher.calls == 2
    provider.verify(as_request(signed({**NOTIFICATION, "SigningCertURL": CERT_URL + "x.pem"})), now=T + 61)
    assert len(cache) == 1 and fetcher.calls == 3
    provider.verify(request, now=T + 62)
    assert fetcher.calls == 4  # evicted by the other certificate


def test_fetch_failures_and_non_certificates_are_signature_errors() -> None:
    def broken(url: str) -> bytes:
        raise OSError("down")

    for fetcher, reason in (
        (broken, "certificate_unavailable"),
        (lambda u: b"not a cert", "bad_certificate"),
        (lambda u: b"x" * 70000, "bad_certificate"),
    ):
        with pytest.raises(SignatureError) as caught:
            SNS(topic_arns=ARN, fetch=fetcher).verify(as_request(signed(NOTIFICATION)), now=T)
        assert caught.value.reason == reason


def test_an_expired_certificate_and_a_stale_timestamp_are_refused() -> None:
    with pytest.raises(SignatureError) as caught:
        sns().verify(as_request(signed(NOTIFICATION)), now=4200000000.0)  # year 2103
    assert caught.value.reason == "bad_certificate"
    with pytest.raises(StaleTimestamp):
        sns(tolerance=3600).verify(as_request(signed(NOTIFICATION)), now=T + 3601)
    assert sns(tolerance=3600).verify(as_request(signed(NOTIFICATION)), now=T + 3599) == 0


CONFIRMATION = {
    "Type": "SubscriptionConfirmation",
    "MessageId": "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
    "Token": "2336412f37",
    "TopicArn": ARN,
    "Message": "You have chosen to subscribe.",
    "Timestamp": "2012-04-26T20:45:04.751Z",
    "SubscribeURL": "https://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription&Token=2336412f37",
    "SigningCertURL": CERT_URL,
}


def test_confirmation_is_a_delivery_unless_confirm_is_given() -> None:
    request = as_request(signed(CONFIRMATION))
    delivery = receive(sns(), request, endpoint="/sns", now=T)
    assert isinstance(delivery, Delivery) and delivery.topic == "SubscriptionConfirmation"
    called: list[str] = []
    reply = receive(sns(confirm=called.append), request, endpoint="/sns", now=T)
    assert isinstance(reply, Reply) and reply.status == 200
    assert called == [CONFIRMATION["SubscribeURL"]]
    evil = as_request(signed({**CONFIRMATION, "SubscribeURL": "https://evil.example/confirm"}))
    with pytest.raises(PayloadError):
        receive(sns(confirm=called.append), evil, endpoint="/sns", now=T)
    assert len(called) == 1
    unsubscribe = as_request(signed({**CONFIRMATION, "Type": "UnsubscribeConfirmation"}))
    gone = receive(sns(confirm=called.append), unsubscribe, endpoint="/sns", now=T)
    assert isinstance(gone, Delivery) and gone.topic == "UnsubscribeConfirmation"


def test_sign_round_trip_with_the_certificate_pair() -> None:
    provider = SNS(
        topic_arns=ARN,
        fetch=Served({CERT_URL: CERT.certificate_pem}),
        signing_key=CERT.private_pem,
        cert_url=CERT_URL,
    )
    request = provider.sign(
        {"order": 7}, topic="Notification", delivery_id="m-1", timestamp=T, url="https://e/s"
    )
    delivery = receive(provider, request, endpoint="/sns", now=T)
    assert isinstance(delivery, Delivery)
    assert (delivery.delivery_id, json.loads(delivery.payload["Message"])) == ("m-1", {"order": 7})
    assert provider.peek_delivery_id(request) == "m-1"


@pytest.fixture
def redirecting_server() -> Iterator[str]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(302)
            self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/cert.pem"
    finally:
        server.shutdown()
        server.server_close()


def test_the_default_fetcher_never_follows_a_redirect(redirecting_server: str) -> None:
    with pytest.raises(OSError, match="HTTP 302"):
        fetch_https(redirecting_server, timeout=2)


@pytest.mark.anyio
async def test_asgi_text_plain_body_is_accepted_and_deduped() -> None:
    hooks = memory_receiver(T)
    hooks.endpoint("/sns", sns()).on("Notification")(lambda d: None)
    request = as_request(signed(NOTIFICATION))
    async with asgi_client(hooks, "http://test") as client:
        first = await client.post("/sns", content=request.body, headers=dict(request.headers))
        again = await client.post("/sns", content=request.body, headers=dict(request.headers))
        bad = await client.post(
            "/sns", content=as_request(signed(NOTIFICATION, OTHER)).body, headers=dict(request.headers)
        )
    assert first.status_code == 200 and first.json()["status"] == "accepted", first.text
    assert again.json()["status"] == "duplicate"
    assert bad.status_code == 401

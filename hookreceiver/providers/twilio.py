"""Twilio: ``X-Twilio-Signature``, an HMAC-SHA1 (base64) over the public URL Twilio called.

What is signed depends on the request:

* form POST (the usual case): the full URL, then every POST parameter sorted by name, written as
  ``name + value`` with nothing between (a repeated name contributes each distinct value, sorted);
* GET: the URL alone (the parameters are in its query string);
* JSON POST: the URL alone, which carries ``bodySHA256=<hex sha256 of the body>``; that hash is
  checked against the body too.

Like Twilio's SDK, the signature is accepted for the URL with and without an explicit port,
because Twilio is not consistent about it; the delivery id hashes the URL without its port, so
every accepted form of one signed request (``Host: h`` or ``Host: h:443``) is one delivery.
Requests signed with a SharedKey say so in ``X-Twilio-Webhooks-Signature-Settings`` and may use
HMAC-SHA256. Behind a proxy the URL must be the
public one: see ``endpoint(public_url=...)`` and the ``public_base_url``/``trust_forwarded`` settings.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar
from urllib.parse import urlencode, urlsplit, urlunsplit

from hookreceiver.core.decoding import Format, parse_content_type
from hookreceiver.core.delivery import Delivery, HttpRequest, Reply
from hookreceiver.core.signing import Algorithm, Secrets, constant_time_equal, hmac_digest, match_secret
from hookreceiver.exceptions import PayloadError, SignatureError
from hookreceiver.providers.base import BaseProvider, Identity

__all__ = ["EMPTY_TWIML", "Twilio", "canonical_url", "content_id", "url_variants"]

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
# Automatic topics: the first status parameter present names the kind and the state.
_STATUS_FIELDS = (
    ("RecordingStatus", "recording"),
    ("TranscriptionStatus", "transcription"),
    ("MessageStatus", "message"),
    ("SmsStatus", "message"),
    ("CallStatus", "call"),
)
_SID_FIELDS = ("RecordingSid", "TranscriptionSid", "MessageSid", "SmsSid", "CallSid")
_ALGORITHMS: Mapping[str, Algorithm] = {"HMAC_SHA1": "sha1", "HMAC_SHA256": "sha256"}


def url_variants(url: str) -> list[str]:
    """``url`` as given, then without its port (if it has one) or with the default port (if not).

    A URL that cannot be parsed (a ``Host: [::1`` header) is a ``PayloadError`` (``bad_url``).
    """
    given, portless, has_port = _split_port(url)
    if has_port:
        return [url, portless]
    return [url, given]


def canonical_url(url: str) -> str:
    """The one form of ``url`` shared by both its :func:`url_variants`: without any port.

    Whichever variant a signature matched, the request was signed for one URL, and every URL
    accepted for it has this same port-less form; so it is what the delivery id hashes.
    """
    return _split_port(url)[1]


def _split_port(url: str) -> tuple[str, str, bool]:
    """``(url with the default port, url without a port, whether url names a port)``."""
    try:
        parts = urlsplit(url)
    except ValueError:
        raise PayloadError(
            "the request URL cannot be parsed (check the Host header)", reason="bad_url"
        ) from None
    userinfo, at, hostport = parts.netloc.rpartition("@")
    host, colon, port = hostport.rpartition(":")
    if colon and port.isdigit():
        return url, urlunsplit(parts._replace(netloc=f"{userinfo}{at}{host}")), True
    default = f"{userinfo}{at}{hostport}:{443 if parts.scheme == 'https' else 80}"
    return urlunsplit(parts._replace(netloc=default)), url, False


def _params(request: HttpRequest) -> list[tuple[str, str]]:
    """The POST parameters that are signed (none for GET and for JSON bodies)."""
    if request.method == "GET" or "bodySHA256" in request.query:
        return []
    media, _ = parse_content_type(request.content_type)
    if media in ("application/json", "text/json") or media.endswith("+json"):
        raise SignatureError("a JSON body must be signed through bodySHA256 in the URL")
    return list(request.form_pairs)  # parsed once per request, shared by verify and identify


def signed_content(url: str, params: Iterable[tuple[str, str]]) -> bytes:
    """What Twilio signs: the URL, then ``name + value`` for each sorted name and distinct value."""
    grouped: dict[str, set[str]] = {}
    for name, value in params:
        grouped.setdefault(name, set()).add(value)
    tail = "".join(name + value for name in sorted(grouped) for value in sorted(grouped[name]))
    # surrogatepass: text Twilio cannot have signed (a lone surrogate) just fails to match.
    return (url + tail).encode("utf-8", "surrogatepass")


def _single(params: Mapping[str, Any], name: str) -> str | None:
    """The one value of parameter ``name`` (``None`` if absent or empty); repeated is refused.

    Twilio signs a repeated parameter's values as a set, so ``MessageSid=SM1&MessageSid=SM1``
    carries the same signature as one ``MessageSid``: a list must not name a topic or an id.
    """
    value = params.get(name)
    if isinstance(value, list):
        raise PayloadError(f"the parameter {name} is repeated", reason="repeated_parameter")
    return str(value) if value else None


def content_id(url: str, params: Iterable[tuple[str, str]]) -> str:
    """A short hash of what the signature covers (:func:`signed_content`, over the
    :func:`canonical_url`): equal for equal deliveries whatever the order or repetition of their
    parameters, and for every URL variant ``verify`` accepts (``Host: h`` and ``Host: h:443``)."""
    return hashlib.sha256(signed_content(canonical_url(url), params)).hexdigest()[:16]


class Twilio(BaseProvider):
    """Twilio webhooks and status callbacks (GET and POST); the secret is the Auth Token.

    ``topic`` names the delivery, since Twilio sends no event type:

    * ``None`` (default): derived from the request: ``message.received``, ``message.delivered``,
      ``call.ringing``, ``call.completed``, ``recording.completed`` ... from the first of
      ``RecordingStatus``, ``TranscriptionStatus``, ``MessageStatus``, ``SmsStatus``,
      ``CallStatus``; else ``EventType`` (Conversations); else ``callback``. The kind alone
      (``message``, ``call``) is an alias.
    * a constant such as ``"sms.incoming"``;
    * a template over request parameters such as ``"sms.{SmsStatus}"`` or ``"voice.{CallStatus}"``.
      ``sign`` fills a template's parameters from its ``topic``, so a test sender must sign as
      the endpoint's own provider (``hookreceiver send --app``); ``--provider twilio`` knows no
      template, so there the parameters go in the payload (``--data``).

    Admitted deliveries with no inline reply are answered with an empty TwiML ``<Response/>``.
    """

    name: ClassVar[str] = "twilio"

    def __init__(
        self,
        *,
        secret: str | bytes | Iterable[str | bytes],
        topic: str | None = None,
        methods: Iterable[str] = ("GET", "POST"),
        formats: Iterable[Format] = ("form", "json"),
    ) -> None:
        self._secrets = Secrets(secret)
        self.topic = topic
        self.methods = frozenset(m.upper() for m in methods)
        self.formats = frozenset(formats)

    def __repr__(self) -> str:
        return f"Twilio(secrets={self._secrets!r}, topic={self.topic!r})"

    def verify(self, request: HttpRequest, *, now: float) -> int:
        signature = request.header("x-twilio-signature")
        if not signature:
            raise SignatureError("missing X-Twilio-Signature", reason="missing_signature")
        settings = request.header("x-twilio-webhooks-signature-settings") or ""
        name = dict(p.strip().partition("=")[::2] for p in settings.split(",")).get("algorithm")
        algorithm = _ALGORITHMS.get((name or "HMAC_SHA1").upper())
        if algorithm is None:
            raise SignatureError("unsupported signature algorithm in X-Twilio-Webhooks-Signature-Settings")
        messages = [signed_content(url, _params(request)) for url in url_variants(request.url)]
        index = match_secret(
            self._secrets,
            lambda key: [base64.b64encode(hmac_digest(algorithm, key, m)).decode() for m in messages],
            [signature.strip()],
            detail="X-Twilio-Signature does not match the URL and parameters "
            "(is the endpoint's public URL right?)",
        )
        self._check_body_hash(request)
        return index

    @staticmethod
    def _check_body_hash(request: HttpRequest) -> None:
        declared = request.query.get("bodySHA256")
        if declared is not None:
            actual = hashlib.sha256(request.body).hexdigest()
            if not constant_time_equal(actual, declared.lower()):
                raise SignatureError("the body does not match bodySHA256", reason="bad_body_hash")

    def identify(self, request: HttpRequest, payload: Any) -> Identity:
        """Topic from the parameters; the delivery id from signed content only.

        The id is ``SID:status:hash`` (missing parts left out), the hash taken over the signed
        content. ``I-Twilio-Idempotency-Token`` is not signed, so it only goes in ``meta``: as
        the id, a captured request with a new token would pass as a new delivery.
        """
        params: Mapping[str, Any] = payload if isinstance(payload, Mapping) else {}
        topic, aliases = self._topic(params)
        sid = next((v for f in _SID_FIELDS if (v := _single(params, f))), None)
        status = next((v for f, _ in _STATUS_FIELDS if (v := _single(params, f))), None)
        parts = [p for p in (sid, status) if p] + [content_id(request.url, _params(request))]
        meta = {
            key: value
            for key, value in (
                ("account_sid", _single(params, "AccountSid")),
                ("idempotency_token", request.header("i-twilio-idempotency-token")),
            )
            if value
        }
        return Identity(topic=topic, delivery_id=":".join(parts), aliases=aliases, meta=meta)

    def _topic(self, params: Mapping[str, Any]) -> tuple[str, tuple[str, ...]]:
        if self.topic is not None:
            missing = [n for n in _PLACEHOLDER.findall(self.topic) if not _single(params, n)]
            if missing:
                raise PayloadError(
                    f"no {missing[0]} parameter for the topic template {self.topic!r}; a test "
                    f"sender must send it (hookreceiver send: use --app, or put {missing[0]} in "
                    "--data)",
                    reason="missing_topic",
                )
            return _PLACEHOLDER.sub(lambda m: str(params[m[1]]), self.topic), ()
        for field, kind in _STATUS_FIELDS:
            if status := _single(params, field):
                return f"{kind}.{status.lower()}", (kind,)
        return _single(params, "EventType") or "callback", ()

    def ack(self, delivery: Delivery, reply: Reply | None) -> Reply:
        """Twilio reads TwiML from every answer: with no inline reply, send an empty one."""
        return reply if reply is not None else Reply.xml(EMPTY_TWIML)

    def sign(
        self,
        payload: Any,
        *,
        topic: str,
        delivery_id: str | None = None,
        timestamp: float,
        url: str,
        secret_index: int = 0,
    ) -> HttpRequest:
        """A form POST as Twilio sends it: ``payload`` is a dict of parameters (lists repeat).

        ``delivery_id`` becomes the SID (the payload's first SID field, else the one the topic's
        kind names, else ``MessageSid``), since the id ``identify`` reads is built from signed
        parameters; it is sent as ``I-Twilio-Idempotency-Token`` too, as Twilio does.
        """
        params: dict[str, Any] = dict(payload) if isinstance(payload, Mapping) else {}
        self._place_topic(topic, params)
        if delivery_id:
            kind_field = {
                "message": "MessageSid",
                "call": "CallSid",
                "recording": "RecordingSid",
                "transcription": "TranscriptionSid",
            }.get(topic.partition(".")[0])
            field = next((f for f in _SID_FIELDS if f in params), kind_field or "MessageSid")
            params[field] = delivery_id
        pairs = [(str(k), str(v)) for k, vs in params.items() for v in (vs if isinstance(vs, list) else [vs])]
        digest = hmac_digest("sha1", self._secrets.values[secret_index], signed_content(url, pairs))
        headers = {
            "content-type": "application/x-www-form-urlencoded",
            "x-twilio-signature": base64.b64encode(digest).decode(),
        }
        if delivery_id:
            headers["i-twilio-idempotency-token"] = delivery_id
        return HttpRequest.outgoing("POST", url, headers, urlencode(pairs).encode())

    def _place_topic(self, topic: str, params: dict[str, Any]) -> None:
        """Set the parameters from which ``identify`` reads ``topic`` back (the sending side)."""
        if self.topic is not None:
            literal = [re.escape(p) for p in _PLACEHOLDER.split(self.topic)[::2]]
            names = _PLACEHOLDER.findall(self.topic)
            pattern = "".join(
                lit + (f"(?P<{names[i]}>.+?)" if i < len(names) else "") for i, lit in enumerate(literal)
            )
            match = re.fullmatch(pattern, topic)
            if match:
                params.update({k: v for k, v in match.groupdict().items() if k not in params})
            return
        kind, _, state = topic.partition(".")
        fields = {
            "message": "MessageStatus",
            "call": "CallStatus",
            "recording": "RecordingStatus",
            "transcription": "TranscriptionStatus",
        }
        if kind in fields and state:
            params.setdefault(fields[kind], state)
        elif topic != "callback":
            params.setdefault("EventType", topic)

"""Every provider's rejection cases, table-driven (tests/providers/schemes.py): a tampered request,
a stale one (where a time is signed), another key, a retired key, another provider's signature.

Each case starts from a request the provider's own ``sign()`` made, checks that it is accepted as
sent, and changes one thing. What a scheme does not sign (a token scheme's body, a window it does
not have) is listed in the table, and a test checks each such entry against the provider's
actual behaviour, so the table cannot quietly claim more than the code does.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import pytest

import hookreceiver.providers as providers_package
from hookreceiver.core.delivery import Delivery, HttpRequest
from hookreceiver.exceptions import DeliveryError, PayloadError, SignatureError, UnsupportedContentType
from hookreceiver.providers import PROVIDERS, BaseProvider, Provider, receive_all
from tests.providers.schemes import CURRENT, NOW, OTHER, RETIRED, SCHEMES, Scheme, signed

NAMES = sorted(SCHEMES)
WINDOWED = [name for name in NAMES if SCHEMES[name].window is not None]
TIMELESS = [name for name in NAMES if SCHEMES[name].window is None]
BODY_SIGNED = [name for name in NAMES if SCHEMES[name].covers_body]
BODY_UNSIGNED = [name for name in NAMES if not SCHEMES[name].covers_body]

# Schemes whose endpoint holds no list of keys, and why (checked below against the classes).
NO_KEY_LIST = {
    "paypal": "the key is the certificate at PAYPAL-CERT-URL, fetched from PayPal's hosts",
    "sns": "the key is the certificate at SigningCertURL, fetched from SNS's hosts",
    "pubsub": "the keys are Google's published key set, fetched (and refetched for a new kid)",
    "feishu+encrypt-key": "the console holds one Encrypt Key; the token list rotates instead",
    "lark+encrypt-key": "the console holds one Encrypt Key; the token list rotates instead",
}

ACCEPTED = "accepted"
# Pairs (endpoint, sender) whose signature the endpoint verifies: the same computation under the
# same secret. Either the same scheme under another name (accepted, by design), or the same
# HMAC in the same header, refused by what else the endpoint requires. This is why a secret must
# never be shared between providers (docs/security.md).
SAME_SIGNATURE: dict[tuple[str, str], tuple[type[DeliveryError], str] | str] = {
    ("standard-webhooks", "svix"): ACCEPTED,  # Svix is Standard Webhooks with svix-* header names
    ("svix", "standard-webhooks"): ACCEPTED,
    ("feishu", "lark"): ACCEPTED,  # Lark is Feishu's international name: one scheme
    ("lark", "feishu"): ACCEPTED,
    ("feishu+encrypt-key", "lark+encrypt-key"): ACCEPTED,
    ("lark+encrypt-key", "feishu+encrypt-key"): ACCEPTED,
    # X-Hub-Signature-256 sha256= HMAC of the body: no X-GitHub-Event, no body "object".
    ("github", "meta"): (PayloadError, "missing_topic"),
    ("meta", "github"): (PayloadError, "missing_topic"),
    # Meta's legacy X-Hub-Signature sha1= is Intercom's signature; its body names no Intercom topic.
    ("intercom", "meta"): (PayloadError, "missing_topic"),
    # GitLab's signing token is Standard Webhooks v1: no X-Gitlab-Event, no body "type".
    ("gitlab+signing-token", "standard-webhooks"): (PayloadError, "missing_topic"),
    ("standard-webhooks", "gitlab+signing-token"): (PayloadError, "missing_topic"),
    ("svix", "gitlab+signing-token"): (PayloadError, "missing_topic"),
    # WeCom's msg_signature is WeChat safe mode's; the decrypted message names another receiver.
    ("wecom", "wechat+aes"): (SignatureError, "bad_receive_id"),
}
# Endpoints that must decode the body to find the signature (it lives in the body, or signs a
# value inside it): a body of another provider's shape is refused before any signature exists.
SIGNED_IN_BODY = {
    "adyen",
    "dingtalk",
    "feishu",
    "feishu+encrypt-key",
    "lark",
    "lark+encrypt-key",
    "mailgun",
    "sns",
    "wechat",
}


def _provider_classes() -> dict[str, type[BaseProvider]]:
    found = {}
    for value in vars(providers_package).values():
        if isinstance(value, type) and issubclass(value, BaseProvider) and value is not BaseProvider:
            found[value.name] = value
    return found


@functools.cache
def _request(name: str, label: str = CURRENT, offset: float = 0.0) -> HttpRequest:
    return signed(SCHEMES[name], label, timestamp=NOW + offset)


def _receive(
    scheme: Scheme,
    request: HttpRequest,
    labels: tuple[str, ...] = (CURRENT,),
    options: Mapping[str, object] | None = None,
) -> tuple[Delivery, ...]:
    """The deliveries an endpoint trusting ``labels`` makes of ``request`` at ``NOW``."""
    provider: Provider = scheme.receiver(list(labels), **(options or {}))
    outcome = receive_all(provider, request, endpoint="/in", now=NOW)
    assert isinstance(outcome, tuple), outcome  # a delivery, not a handshake reply
    return outcome


def _refused(
    scheme: Scheme,
    request: HttpRequest,
    labels: tuple[str, ...] = (CURRENT,),
    options: Mapping[str, object] | None = None,
) -> DeliveryError:
    """The error such an endpoint raises for ``request`` (it must raise one)."""
    with pytest.raises(DeliveryError) as caught:
        _receive(scheme, request, labels, options)
    return caught.value


# -- the table itself ---------------------------------------------------------------------------


def test_the_table_has_every_provider_class_and_every_name() -> None:
    classes = _provider_classes()
    assert set(classes) == {scheme.provider for scheme in SCHEMES.values()}
    assert set(PROVIDERS) <= set(SCHEMES)  # each name-table provider as configured by name
    for scheme in SCHEMES.values():
        assert "+" in scheme.name or scheme.name == scheme.provider
        built: object = scheme.receiver([CURRENT])
        assert type(built) is classes[scheme.provider]


@pytest.mark.parametrize("name", NAMES)
def test_the_request_as_signed_is_accepted(name: str) -> None:
    scheme = SCHEMES[name]
    deliveries = _receive(scheme, _request(name))
    assert deliveries and all(d.provider == scheme.provider and d.secret_index == 0 for d in deliveries)


# -- tampered -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", BODY_SIGNED)
@pytest.mark.parametrize("where", ["first", "middle", "last"])
def test_a_changed_body_byte_is_refused_as_a_bad_signature(name: str, where: str) -> None:
    request = _request(name)
    at = {"first": 0, "middle": len(request.body) // 2, "last": len(request.body) - 1}[where]
    body = bytearray(request.body)
    body[at] ^= 0x01
    error = _refused(SCHEMES[name], replace(request, body=bytes(body)))
    assert isinstance(error, SignatureError), error  # refused by the signature, not by a parser


@pytest.mark.parametrize("name", NAMES)
def test_appended_whitespace_is_refused_exactly_where_the_body_is_signed(name: str) -> None:
    """Trailing whitespace leaves JSON and XML meaning the same: it is caught only by a scheme
    that signs the raw bytes. This keeps the table's ``covers_body`` column true."""
    scheme, request = SCHEMES[name], _request(name)
    padded = replace(request, body=request.body + b" ")
    if scheme.covers_body:
        assert isinstance(_refused(scheme, padded), SignatureError)
    else:
        (first, *_) = _receive(scheme, padded)
        assert first.body == request.body + b" "


@pytest.mark.parametrize("name", BODY_UNSIGNED)
def test_where_the_body_is_not_signed_a_change_to_what_is_signed_is_refused(name: str) -> None:
    scheme = SCHEMES[name]
    assert scheme.tamper is not None and scheme.notes, f"{name}: say what the scheme signs instead"
    error = _refused(scheme, scheme.tamper(_request(name)))
    assert isinstance(error, SignatureError), error


def test_every_scheme_that_signs_the_body_has_no_tamper_of_its_own() -> None:
    assert [name for name in BODY_SIGNED if SCHEMES[name].tamper is not None] == []


# -- stale --------------------------------------------------------------------------------------


def _window_options(scheme: Scheme) -> dict[str, object]:
    assert scheme.window is not None
    return {"tolerance": scheme.window.past} if scheme.window.default_off else {}


@pytest.mark.parametrize("name", WINDOWED)
@pytest.mark.parametrize("direction", ["past", "future"])
def test_a_request_outside_the_window_is_refused_and_one_just_inside_is_accepted(
    name: str, direction: str
) -> None:
    scheme = SCHEMES[name]
    window = scheme.window
    assert window is not None
    limit = window.past if direction == "past" else -window.future
    sign = 1 if direction == "past" else -1
    options = _window_options(scheme)
    outside = _request(name, offset=-(limit + sign))  # one second past the limit
    error = _refused(scheme, outside, options=options)
    assert (type(error), error.reason) == (window.error, window.reason)
    inside = _request(name, offset=-(limit - sign))
    assert _receive(scheme, inside, options=options)


DEFAULT_OFF = [n for n in WINDOWED if (w := SCHEMES[n].window) is not None and w.default_off]


@pytest.mark.parametrize("name", DEFAULT_OFF)
def test_a_window_that_is_off_by_default_lets_an_old_request_through(name: str) -> None:
    assert _receive(SCHEMES[name], _request(name, offset=-(10**6)))


@pytest.mark.parametrize("name", TIMELESS)
def test_where_no_time_is_signed_an_old_request_is_accepted(name: str) -> None:
    """No window is claimed for these schemes: a request signed months ago still verifies (dedupe,
    not a window, is what stops a replay of them; docs/security.md)."""
    assert _receive(SCHEMES[name], _request(name, offset=-(10**7)))


# -- wrong key, retired key -----------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_a_request_signed_with_another_key_is_refused(name: str) -> None:
    error = _refused(SCHEMES[name], _request(name, OTHER))
    assert isinstance(error, SignatureError), error


@pytest.mark.parametrize("name", [n for n in NAMES if SCHEMES[n].rotates])
def test_a_retired_key_is_refused_unless_still_listed(name: str) -> None:
    scheme, old = SCHEMES[name], _request(name, RETIRED)
    assert isinstance(_refused(scheme, old), SignatureError)
    deliveries = _receive(scheme, old, (CURRENT, RETIRED))
    assert {d.secret_index for d in deliveries} == {1}
    assert isinstance(_refused(scheme, old, (CURRENT, OTHER)), SignatureError)


def test_the_schemes_without_a_key_list_are_exactly_the_listed_ones() -> None:
    assert {n for n in NAMES if not SCHEMES[n].rotates} == set(NO_KEY_LIST)
    classes = _provider_classes()
    for name in ("paypal", "sns", "pubsub"):  # configured with no secret at all
        assert "secret" not in inspect.signature(classes[name]).parameters


# -- another provider's signature -------------------------------------------------------------------

PAIRS = [(endpoint, sender) for endpoint in NAMES for sender in NAMES if endpoint != sender]


@pytest.mark.parametrize(("endpoint", "sender"), PAIRS, ids=[f"{e}<-{s}" for e, s in PAIRS])
def test_another_providers_signed_request_is_refused(endpoint: str, sender: str) -> None:
    """Both sides share the same secret string where their forms allow: the hardest case."""
    scheme, request = SCHEMES[endpoint], _request(sender)
    provider = scheme.receiver([CURRENT])
    same = SAME_SIGNATURE.get((endpoint, sender))
    try:
        provider.verify(request, now=NOW)
    except SignatureError:
        assert same is None, f"{endpoint} <- {sender} is listed as the same signature but is not"
        return
    except (PayloadError, UnsupportedContentType):
        assert endpoint in SIGNED_IN_BODY and same is None
        return
    assert same is not None, f"{endpoint} verifies {sender}'s signature: list the pair and say why"
    if same == ACCEPTED:
        assert _receive(scheme, request)
    else:
        error = _refused(scheme, request)
        assert (type(error), error.reason) == same


def test_the_same_signature_list_names_only_real_schemes() -> None:
    assert {name for pair in SAME_SIGNATURE for name in pair} <= set(SCHEMES)
    assert SIGNED_IN_BODY <= set(SCHEMES)


# -- the copy of the table in docs/security.md ----------------------------------------------------

SECURITY_DOC = Path(__file__).resolve().parents[2] / "docs" / "security.md"


def _doc_rows() -> dict[str, list[str]]:
    text = SECURITY_DOC.read_text(encoding="utf-8")
    section = text.split("### Every provider's scheme, and how it is tested", 1)[1]
    rows = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("| `") and len(cells) == 6:
            rows[cells[0].strip("`")] = cells[1:]
    return rows


def _window_text(scheme: Scheme) -> str:
    window = scheme.window
    if window is None:
        return "none"
    if window.default_off:
        return "off by default (`tolerance=`)"
    return f"±{window.past:g} s" if window.past == window.future else f"{window.past:g} s old"


def test_the_scheme_table_in_the_security_docs_matches_the_tests() -> None:
    rows = _doc_rows()
    assert list(rows) == NAMES  # every scheme, in the tests' order, nothing else
    for name, (body, covers, window, keys, vector) in rows.items():
        scheme = SCHEMES[name]
        assert body == ("yes" if scheme.covers_body else "no"), name
        assert window.startswith(_window_text(scheme)), (name, window)
        assert keys.startswith("a list") == scheme.rotates, (name, keys)
        assert covers and vector, name

"""Signing helpers: HMAC digests, encodings, prefixes, rotation and the timestamp window."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretBytes, SecretStr

from hookreceiver.core.signing import (
    Algorithm,
    Encoding,
    Secrets,
    check_timestamp,
    constant_time_equal,
    decode_signature,
    encode_digest,
    hmac_digest,
    match_secret,
    parse_timestamp,
    verify_digest,
    verify_hmac,
)
from hookreceiver.exceptions import ConfigurationError, SignatureError, StaleTimestamp

BODY = b'{"type":"order.created","id":1}'
ALGORITHMS: tuple[Algorithm, ...] = ("sha1", "sha256", "sha512")
ENCODINGS: tuple[Encoding, ...] = ("hex", "base64")

# GitHub's documented example (PROVIDERS.md, known-answer vectors).
GITHUB_SECRET = "It's a Secret to Everybody"
GITHUB_BODY = b"Hello, World!"
GITHUB_SIGNATURE = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
# GitHub's sample request signed with "gh_webhook_secret", sha256 and legacy sha1 headers.
GITHUB_REQUEST_BODY = b'{"action":"opened","number":1,"repository":{"full_name":"octo/repo"}}'
GITHUB_REQUEST_SHA256 = "sha256=fefce014e19081b07bf2de7ab179d0a86917d05761684f647009bdbadf91f0a9"
GITHUB_REQUEST_SHA1 = "sha1=f447830eb23d109282e5b9089c3fd258cfb7213a"
# The same event sent form-encoded: the signature covers the form bytes.
GITHUB_FORM_BODY = (
    b"payload=%7B%22action%22%3A%22opened%22%2C%22number%22%3A1%2C%22repository%22%3A"
    b"%7B%22full_name%22%3A%22octo%2Frepo%22%7D%7D"
)
GITHUB_FORM_SHA256 = "sha256=2cc4af0cd138d5448c50a49280d20914933d69bdeae1abda44c7fd2f7bf9b845"


def expected(algorithm: str, key: bytes, body: bytes, encoding: str) -> str:
    """The reference signature, computed with the standard library directly."""
    digest = hmac.new(key, body, getattr(hashlib, algorithm)).digest()
    return digest.hex() if encoding == "hex" else base64.b64encode(digest).decode()


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_hmac_digest_matches_stdlib(algorithm: Algorithm) -> None:
    reference = hmac.new(b"k3y", BODY, getattr(hashlib, algorithm)).digest()
    assert hmac_digest(algorithm, b"k3y", BODY) == reference
    assert len(reference) == {"sha1": 20, "sha256": 32, "sha512": 64}[algorithm]


def test_hmac_digest_refuses_unknown_algorithm() -> None:
    with pytest.raises(ConfigurationError):
        hmac_digest("md5", b"k", BODY)  # type: ignore[arg-type]


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_encode_decode_round_trip(encoding: Encoding) -> None:
    digest = hashlib.sha256(b"x").digest()
    text = encode_digest(digest, encoding)
    assert text == (digest.hex() if encoding == "hex" else base64.b64encode(digest).decode())
    assert decode_signature(text, encoding) == digest


@pytest.mark.parametrize(
    ("text", "encoding"),
    [("zz", "hex"), ("abc", "hex"), ("not base64!", "base64"), ("YWJ", "base64"), ("é", "base64")],
)
def test_decode_signature_malformed_is_bad_signature(text: str, encoding: Encoding) -> None:
    with pytest.raises(SignatureError) as info:
        decode_signature(text, encoding)
    assert info.value.reason == "bad_signature"


def test_github_docs_vector() -> None:
    index = verify_hmac(
        GITHUB_BODY, GITHUB_SIGNATURE, secrets=Secrets(GITHUB_SECRET), algorithm="sha256", prefix="sha256="
    )
    assert index == 0
    assert "sha256=" + expected("sha256", GITHUB_SECRET.encode(), GITHUB_BODY, "hex") == GITHUB_SIGNATURE


@pytest.mark.parametrize(
    ("body", "algorithm", "signature", "prefix"),
    [
        (GITHUB_REQUEST_BODY, "sha256", GITHUB_REQUEST_SHA256, "sha256="),
        (GITHUB_REQUEST_BODY, "sha1", GITHUB_REQUEST_SHA1, "sha1="),
        (GITHUB_FORM_BODY, "sha256", GITHUB_FORM_SHA256, "sha256="),
    ],
)
def test_github_request_vectors(body: bytes, algorithm: Algorithm, signature: str, prefix: str) -> None:
    secrets = Secrets("gh_webhook_secret")
    assert verify_hmac(body, signature, secrets=secrets, algorithm=algorithm, prefix=prefix) == 0
    with pytest.raises(SignatureError):
        verify_hmac(body + b" ", signature, secrets=secrets, algorithm=algorithm, prefix=prefix)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("prefix", ["", "sha256=", "v1,"])
def test_verify_hmac_accepts_reference_signature(
    algorithm: Algorithm, encoding: Encoding, prefix: str
) -> None:
    signature = prefix + expected(algorithm, b"s3cret", BODY, encoding)
    secrets = Secrets("s3cret")
    for sent in (signature, f"  {signature}\t"):  # surrounding whitespace is tolerated
        index = verify_hmac(
            BODY, sent, secrets=secrets, algorithm=algorithm, encoding=encoding, prefix=prefix
        )
        assert index == 0


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_wrong_algorithm_fails(algorithm: Algorithm) -> None:
    other: Algorithm = "sha512" if algorithm != "sha512" else "sha1"
    signature = expected(other, b"s3cret", BODY, "hex")
    with pytest.raises(SignatureError) as info:
        verify_hmac(BODY, signature, secrets=Secrets("s3cret"), algorithm=algorithm)
    assert info.value.reason == "bad_signature"


def test_hex_comparison_is_case_insensitive_on_decoded_bytes() -> None:
    signature = expected("sha256", b"s3cret", BODY, "hex").upper()
    assert verify_hmac(BODY, signature, secrets=Secrets("s3cret")) == 0


@pytest.mark.parametrize(
    ("signature", "reason"),
    [
        (None, "missing_signature"),
        ("", "missing_signature"),
        ("sha1=" + expected("sha256", b"s3cret", BODY, "hex"), "bad_signature"),  # wrong prefix
        ("sha256=zz", "bad_signature"),  # malformed hex
        ("sha256=" + expected("sha256", b"other", BODY, "hex"), "bad_signature"),  # wrong secret
        ("sha256=" + expected("sha256", b"s3cret", BODY, "hex")[:-2], "bad_signature"),  # truncated
        ("sha256=", "bad_signature"),  # empty after the prefix
    ],
)
def test_verify_hmac_failures(signature: str | None, reason: str) -> None:
    with pytest.raises(SignatureError) as info:
        verify_hmac(BODY, signature, secrets=Secrets("s3cret"), prefix="sha256=", header="x-hub-sig")
    assert info.value.reason == reason
    assert type(info.value) is SignatureError
    assert "s3cret" not in str(info.value) and "s3cret" not in repr(info.value)


def test_missing_signature_names_the_header() -> None:
    with pytest.raises(SignatureError, match="x-my-sig"):
        verify_hmac(BODY, None, secrets=Secrets("s"), header="x-my-sig")


@pytest.mark.parametrize("matching", [0, 1, 2])
def test_rotation_returns_index_of_matching_secret(matching: int) -> None:
    keys = ["newest", "middle", "oldest"]
    signature = expected("sha256", keys[matching].encode(), BODY, "hex")
    assert verify_hmac(BODY, signature, secrets=Secrets(keys)) == matching


def test_rotation_with_several_signatures() -> None:
    secrets = Secrets([b"new", b"old"])
    old = hmac.new(b"old", BODY, hashlib.sha256).digest()
    junk = b"\x00" * 32
    assert verify_digest(BODY, [junk, old], secrets=secrets) == 1
    with pytest.raises(SignatureError) as info:
        verify_digest(BODY, [], secrets=secrets)
    assert info.value.reason == "missing_signature"
    with pytest.raises(SignatureError):
        verify_digest(BODY, [junk], secrets=secrets)


@pytest.mark.parametrize(
    ("a", "b", "equal"),
    [("abc", "abc", True), ("abc", "abd", False), (b"abc", "abc", True), ("", "", True), ("a", "ab", False)],
)
def test_constant_time_equal(a: str | bytes, b: str | bytes, equal: bool) -> None:
    assert constant_time_equal(a, b) is equal


# -- Secrets -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given_secrets", "values"),
    [
        ("one", (b"one",)),
        (b"raw\x00bytes", (b"raw\x00bytes",)),
        (["a", b"b"], (b"a", b"b")),
        (("x", "y", "z"), (b"x", b"y", b"z")),
        ("ünï", ("ünï".encode(),)),
    ],
)
def test_secrets_values(given_secrets: str | bytes | list[str | bytes], values: tuple[bytes, ...]) -> None:
    secrets = Secrets(given_secrets)
    assert secrets.values == values
    assert len(secrets) == len(values)


@pytest.mark.parametrize("bad", ["", b"", [], ["ok", ""], [b""]])
def test_empty_secrets_are_configuration_errors(bad: str | bytes | list[str | bytes]) -> None:
    with pytest.raises(ConfigurationError):
        Secrets(bad)


@pytest.mark.parametrize("bad", [123, None, [123], ["ok", None], [["nested"]], 1.5, [b"ok", 7]])
def test_secrets_of_the_wrong_type_are_configuration_errors(bad: Any) -> None:
    with pytest.raises(ConfigurationError, match="str or bytes"):
        Secrets(bad)


def test_secrets_accept_pydantic_secret_values() -> None:
    assert Secrets(SecretStr("from-env")).values == (b"from-env",)
    assert Secrets(SecretBytes(b"raw")).values == (b"raw",)
    assert Secrets([SecretStr("new"), "old", SecretBytes(b"older")]).values == (b"new", b"old", b"older")
    with pytest.raises(ConfigurationError):
        Secrets(SecretStr(""))


def test_secrets_repr_and_str_hide_values() -> None:
    secrets = Secrets(["topsecret-one", "topsecret-two"])
    for text in (repr(secrets), str(secrets), f"{secrets}", f"{secrets!r}"):
        assert "topsecret" not in text
        assert "2" in text


# -- timestamps ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "scale", "value"),
    [
        ("1700000000", 1.0, 1700000000.0),
        (" 1700000000 ", 1.0, 1700000000.0),
        ("1700000000123", 1000.0, 1700000000.123),
    ],
)
def test_parse_timestamp(text: str, scale: float, value: float) -> None:
    assert parse_timestamp(text, scale=scale) == pytest.approx(value)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (None, "missing_timestamp"),
        ("", "missing_timestamp"),
        ("  ", "missing_timestamp"),
        ("abc", "bad_timestamp"),
        ("1.5", "bad_timestamp"),
        ("1e9", "bad_timestamp"),
    ],
)
def test_parse_timestamp_failures(text: str | None, reason: str) -> None:
    with pytest.raises(SignatureError) as info:
        parse_timestamp(text, header="x-ts")
    assert info.value.reason == reason


NOW = 1_700_000_000.0


@pytest.mark.parametrize(
    ("timestamp", "tolerance", "future", "stale_skew"),
    [
        (NOW, 300, None, None),
        (NOW - 300, 300, None, None),  # exactly at the edge passes
        (NOW - 301, 300, None, 301.0),
        (NOW + 300, 300, None, None),
        (NOW + 301, 300, None, -301.0),
        (NOW + 10_000, 300, float("inf"), None),  # Stripe-style: any future time
        (NOW + 11, 300, 10, -11.0),
        (NOW - 10**9, 0, None, None),  # disabled
        (NOW + 10**9, -1, None, None),  # disabled
    ],
)
def test_check_timestamp(
    timestamp: float, tolerance: float, future: float | None, stale_skew: float | None
) -> None:
    if stale_skew is None:
        check_timestamp(timestamp, now=NOW, tolerance=tolerance, future_tolerance=future)
        return
    with pytest.raises(StaleTimestamp) as info:
        check_timestamp(timestamp, now=NOW, tolerance=tolerance, future_tolerance=future)
    assert info.value.skew == pytest.approx(stale_skew)
    assert info.value.reason == "stale_timestamp"
    assert info.value.status_hint == 401
    assert isinstance(info.value, SignatureError)
    assert ("old" in str(info.value)) is (stale_skew > 0)


# -- properties ----------------------------------------------------------------------------

secrets_strategy = st.lists(st.binary(min_size=1, max_size=40), min_size=1, max_size=4)


@given(
    body=st.binary(max_size=2048),
    keys=secrets_strategy,
    algorithm=st.sampled_from(ALGORITHMS),
    encoding=st.sampled_from(ENCODINGS),
    data=st.data(),
)
def test_sign_verify_round_trip(
    body: bytes, keys: list[bytes], algorithm: Algorithm, encoding: Encoding, data: st.DataObject
) -> None:
    index = data.draw(st.integers(0, len(keys) - 1))
    signature = "v1=" + encode_digest(hmac_digest(algorithm, keys[index], body), encoding)
    found = verify_hmac(
        body, signature, secrets=Secrets(keys), algorithm=algorithm, encoding=encoding, prefix="v1="
    )
    # An earlier identical key matches first, so the index is the first equal key.
    assert found == keys.index(keys[index])


@given(
    body=st.binary(min_size=1, max_size=512),
    key=st.binary(min_size=1, max_size=32),
    algorithm=st.sampled_from(ALGORITHMS),
    data=st.data(),
)
def test_any_flipped_body_byte_fails(
    body: bytes, key: bytes, algorithm: Algorithm, data: st.DataObject
) -> None:
    signature = encode_digest(hmac_digest(algorithm, key, body), "hex")
    position = data.draw(st.integers(0, len(body) - 1))
    flip = data.draw(st.integers(1, 255))
    tampered = bytearray(body)
    tampered[position] ^= flip
    with pytest.raises(SignatureError):
        verify_hmac(bytes(tampered), signature, secrets=Secrets(key), algorithm=algorithm)


@given(
    body=st.binary(max_size=512),
    key=st.binary(min_size=1, max_size=32),
    algorithm=st.sampled_from(ALGORITHMS),
    encoding=st.sampled_from(ENCODINGS),
    data=st.data(),
)
def test_any_flipped_signature_byte_fails(
    body: bytes, key: bytes, algorithm: Algorithm, encoding: Encoding, data: st.DataObject
) -> None:
    digest = bytearray(hmac_digest(algorithm, key, body))
    position = data.draw(st.integers(0, len(digest) - 1))
    digest[position] ^= data.draw(st.integers(1, 255))
    signature = encode_digest(bytes(digest), encoding)
    with pytest.raises(SignatureError):
        verify_hmac(body, signature, secrets=Secrets(key), algorithm=algorithm, encoding=encoding)


@given(signature=st.text(max_size=200), encoding=st.sampled_from(ENCODINGS))
def test_arbitrary_signature_text_raises_only_signature_error(signature: str, encoding: Encoding) -> None:
    with pytest.raises(SignatureError):
        verify_hmac(BODY, signature, secrets=Secrets("s3cret"), encoding=encoding)


def test_a_future_timestamp_names_the_future_limit_that_applied() -> None:
    with pytest.raises(StaleTimestamp) as caught:
        check_timestamp(NOW + 120, now=NOW, tolerance=300, future_tolerance=60)
    assert caught.value.skew == -120
    assert "120 s in the future; tolerance is 60 s" in caught.value.detail


@pytest.mark.parametrize("text", ["9" * 400, "1e9", "²", "١٧٠٠٠٠٠٠٠٠", "+1700000000", "17 00"])
def test_absurd_timestamps_are_bad_timestamps_not_crashes(text: str) -> None:
    with pytest.raises(SignatureError) as caught:
        parse_timestamp(text)
    assert caught.value.reason == "bad_timestamp"


# match_secret: the one "try every secret" loop behind verify_digest, verify_token and the
# providers with their own signature shapes (WeChat, Twilio).
ROTATING = Secrets(["new", "old", "older"])


def _upper(key: bytes) -> list[bytes]:
    return [key.upper(), key.upper() + b"!"]


@pytest.mark.parametrize(
    ("received", "index"),
    [
        ([b"NEW"], 0),
        ([b"OLD!"], 1),
        ([b"x", b"OLDER"], 2),
        (["OLD"], 1),
        ([b"OLD", b"NEW"], 0),
    ],
)
def test_match_secret_returns_the_first_matching_secrets_index(
    received: list[bytes | str], index: int
) -> None:
    assert match_secret(ROTATING, _upper, received, detail="no match") == index


def test_match_secret_tries_every_secret_even_after_a_match() -> None:
    tried: list[bytes] = []

    def expected(key: bytes) -> list[bytes]:
        tried.append(key)
        return [key]

    assert match_secret(ROTATING, expected, [b"new"], detail="no match") == 0
    assert tried == [b"new", b"old", b"older"]


@pytest.mark.parametrize("received", [[], [b"new"], [b""], ["NEW?"]])
def test_match_secret_raises_with_the_given_detail_and_reason(received: list[bytes | str]) -> None:
    with pytest.raises(SignatureError) as info:
        match_secret(ROTATING, _upper, received, detail="token does not match", reason="bad_token")
    assert (info.value.detail, info.value.reason) == ("token does not match", "bad_token")

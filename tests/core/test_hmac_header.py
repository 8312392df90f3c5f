"""HmacHeader: one header holding prefix + encoded HMAC, checked and made in one place."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hookreceiver.core.signing import HmacHeader, Secrets
from hookreceiver.exceptions import ConfigurationError, SignatureError

KEY = b"k" * 32
OTHER = b"o" * 32


def test_value_is_prefix_and_encoded_hmac() -> None:
    digest = hmac.new(KEY, b"body", hashlib.sha256).digest()
    assert HmacHeader("X-Sig", prefix="sha256=").value(KEY, b"body") == "sha256=" + digest.hex()
    sha1 = hmac.new(KEY, b"body", hashlib.sha1).digest()
    assert HmacHeader("X-Sig", algorithm="sha1", encoding="base64").value(KEY, b"body") == (
        base64.b64encode(sha1).decode()
    )


def test_header_is_the_lower_cased_name_and_messages_use_the_name() -> None:
    scheme = HmacHeader("X-Acme-Signature", prefix="v1=")
    assert scheme.header == "x-acme-signature"
    with pytest.raises(SignatureError, match="missing X-Acme-Signature") as missing:
        scheme.verify(b"body", None, Secrets(KEY))
    assert missing.value.reason == "missing_signature"
    with pytest.raises(SignatureError, match="X-Acme-Signature does not start with 'v1='"):
        scheme.verify(b"body", "v2=00", Secrets(KEY))


@given(
    message=st.binary(max_size=200),
    algorithm=st.sampled_from(["sha1", "sha256", "sha512"]),
    encoding=st.sampled_from(["hex", "base64"]),
    prefix=st.sampled_from(["", "sha256=", "v0="]),
)
def test_what_value_makes_verify_accepts_under_the_secret_that_made_it(
    message: bytes, algorithm: Any, encoding: Any, prefix: str
) -> None:
    scheme = HmacHeader("X-Sig", algorithm=algorithm, encoding=encoding, prefix=prefix)
    assert scheme.verify(message, scheme.value(OTHER, message), Secrets([KEY, OTHER])) == 1
    with pytest.raises(SignatureError):
        scheme.verify(message + b"!", scheme.value(OTHER, message), Secrets([KEY, OTHER]))
    with pytest.raises(SignatureError):
        scheme.verify(message, scheme.value(OTHER, message), Secrets(KEY))


@pytest.mark.parametrize("options", [{"algorithm": "md5"}, {"encoding": "base32"}])
def test_an_unknown_algorithm_or_encoding_is_a_configuration_error(options: Any) -> None:
    with pytest.raises(ConfigurationError):
        HmacHeader("X-Sig", **options)

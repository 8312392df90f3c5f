"""Test key pairs for the providers that sign with a private key (Discord, SendGrid, ``v1a``),
and an RSA key with its JWKS for Google Pub/Sub push tokens (``jwt_key_pair``).

A receiver is configured with the ``public`` half, in the form the provider's dashboard shows it.
The ``private`` half is what ``build_request`` and ``hookreceiver send --secret`` sign with: the
same providers accept it as ``secret=`` (and then verify with its public half). A ``seed`` makes
the pair reproducible; without one it is random. Never use these keys outside tests.

``python -m hookreceiver.testing.keys discord`` prints a fresh pair as JSON.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import os
import sys
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from hookreceiver.providers.asymmetric import Key, ed25519_private, from_private, private_pem

__all__ = ["KEY_PROVIDERS", "JwtKeyPair", "KeyPair", "jwt_key_pair", "key_pair"]

# Provider name -> the key kind it signs with.
KEY_PROVIDERS = {"discord": "ed25519", "sendgrid": "p256", "standard-webhooks": "ed25519", "svix": "ed25519"}
_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


@dataclass(frozen=True, repr=False)
class KeyPair:
    """``private``: what signs (``secret=`` for the kit); ``public``: what a receiver is given."""

    private: str
    public: str

    def __repr__(self) -> str:
        return f"KeyPair(public={self.public!r})"


def _material(seed: str | None) -> bytes:
    return hashlib.sha256(seed.encode()).digest() if seed is not None else os.urandom(32)


def _new(kind: str, seed: str | None) -> Key:
    material = _material(seed)
    if kind == "ed25519":
        return ed25519_private(material)
    scalar = int.from_bytes(material, "big") % (_P256_ORDER - 1) + 1
    return from_private(ec.derive_private_key(scalar, ec.SECP256R1()))


def key_pair(provider: str, seed: str | None = None) -> KeyPair:
    """A test key pair for ``provider``, each half in the form that provider takes."""
    kind = KEY_PROVIDERS.get(provider)
    if kind is None:
        raise LookupError(
            f"{provider!r} signs with no key pair; these do: {', '.join(sorted(KEY_PROVIDERS))}"
        )
    key = _new(kind, seed)
    raw = key.public_raw()
    if provider == "discord":
        return KeyPair(private_pem(key), raw.hex())
    if provider == "sendgrid":
        return KeyPair(private_pem(key), base64.b64encode(raw).decode())
    seed_bytes = key.private.private_bytes_raw()
    return KeyPair("whsk_" + base64.b64encode(seed_bytes).decode(), "whpk_" + base64.b64encode(raw).decode())


@dataclass(frozen=True, repr=False)
class JwtKeyPair:
    """An RSA-2048 key for RS256 tokens: ``private`` (PEM PKCS#8) signs, ``jwks`` (a JWK Set as
    JSON bytes, what the token issuer publishes) verifies; ``key_id`` is the ``kid`` of both."""

    private: str
    jwks: bytes
    key_id: str

    def __repr__(self) -> str:
        return f"JwtKeyPair(key_id={self.key_id!r})"


def _b64url_uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@functools.lru_cache(maxsize=8)
def jwt_key_pair(key_id: str = "hookreceiver-test-key") -> JwtKeyPair:
    """A fresh RSA key and its one-key JWKS, made once per ``key_id`` per process."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    numbers = private.public_key().public_numbers()
    jwk = {
        "kty": "RSA",
        "alg": "RS256",
        "use": "sig",
        "kid": key_id,
        "n": _b64url_uint(numbers.n),
        "e": _b64url_uint(numbers.e),
    }
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return JwtKeyPair(pem, json.dumps({"keys": [jwk]}).encode(), key_id)


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in KEY_PROVIDERS:
        print(
            f"usage: python -m hookreceiver.testing.keys {{{','.join(sorted(KEY_PROVIDERS))}}}",
            file=sys.stderr,
        )
        return 2
    pair = key_pair(argv[0])
    print(json.dumps({"private": pair.private, "public": pair.public}, indent=2))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main(sys.argv[1:]))

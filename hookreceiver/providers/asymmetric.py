"""Public-key signatures (Ed25519, ECDSA P-256) for the providers that use them.

Discord and Standard Webhooks ``v1a`` sign with Ed25519, SendGrid with ECDSA P-256 / SHA-256.
A receiver needs only the sender's **public** key. The same providers also accept a **private**
key in its place: they verify with its public half and can then ``sign()``, which is what the
testing kit and ``hookreceiver send`` need (see ``hookreceiver.testing.keys`` for test pairs).
Private keys are PEM PKCS#8 text (``-----BEGIN PRIVATE KEY-----``) unless a scheme defines its
own form (Standard Webhooks' ``whsk_``).

``Keys`` holds one or more keys, newest first; its repr shows how many, never a key.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from hookreceiver.exceptions import ConfigurationError, SignatureError

__all__ = ["Key", "KeyKind", "Keys", "load_pem_private", "verify_any"]

KeyKind = Literal["ed25519", "p256"]
_PEM_PRIVATE = "-----BEGIN PRIVATE KEY-----"


@dataclass(frozen=True, repr=False)
class Key:
    """One verification key; ``private`` is set when the key can sign as well."""

    kind: KeyKind
    public: Any  # Ed25519PublicKey | EllipticCurvePublicKey
    private: Any = None

    def __repr__(self) -> str:
        return f"Key({self.kind}, {'private' if self.private is not None else 'public'})"

    def verify(self, signature: bytes, message: bytes) -> bool:
        try:
            if self.kind == "ed25519":
                self.public.verify(signature, message)
            else:
                self.public.verify(signature, message, ec.ECDSA(hashes.SHA256()))
        except (InvalidSignature, ValueError):
            return False
        return True

    def sign(self, message: bytes) -> bytes:
        if self.private is None:
            raise ConfigurationError("this key is a public key: signing needs the private key")
        if self.kind == "ed25519":
            return bytes(self.private.sign(message))
        return bytes(self.private.sign(message, ec.ECDSA(hashes.SHA256())))

    def public_raw(self) -> bytes:
        """Ed25519: the 32 raw bytes; P-256: the DER SubjectPublicKeyInfo."""
        if self.kind == "ed25519":
            return bytes(self.public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))
        return bytes(
            self.public.public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )


def from_private(private: Any) -> Key:
    """A Key from a ``cryptography`` private key object (Ed25519 or P-256)."""
    if isinstance(private, ed25519.Ed25519PrivateKey):
        return Key("ed25519", private.public_key(), private)
    if isinstance(private, ec.EllipticCurvePrivateKey) and isinstance(private.curve, ec.SECP256R1):
        return Key("p256", private.public_key(), private)
    raise ConfigurationError("a private key must be Ed25519 or ECDSA P-256")


def is_pem_private(text: str) -> bool:
    return text.lstrip().startswith(_PEM_PRIVATE)


def load_pem_private(text: str, kind: KeyKind) -> Key:
    """A PEM PKCS#8 private key of ``kind``; anything else is a ConfigurationError (no key text in it)."""
    try:
        private = serialization.load_pem_private_key(text.strip().encode(), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise ConfigurationError("the private key is not a readable PEM PKCS#8 key") from None
    key = from_private(private)
    if key.kind != kind:
        raise ConfigurationError(f"the private key is not an {kind} key")
    return key


def ed25519_public(raw: bytes) -> Key:
    if len(raw) != 32:
        raise ConfigurationError("an Ed25519 public key is 32 bytes")
    return Key("ed25519", ed25519.Ed25519PublicKey.from_public_bytes(raw))


def ed25519_private(seed: bytes) -> Key:
    if len(seed) != 32:
        raise ConfigurationError("an Ed25519 private key is a 32-byte seed")
    return from_private(ed25519.Ed25519PrivateKey.from_private_bytes(seed))


def p256_public_der(der: bytes) -> Key:
    try:
        public = serialization.load_der_public_key(der)
    except (ValueError, UnsupportedAlgorithm):
        raise ConfigurationError("the public key is not a DER SubjectPublicKeyInfo") from None
    if not (isinstance(public, ec.EllipticCurvePublicKey) and isinstance(public.curve, ec.SECP256R1)):
        raise ConfigurationError("the public key is not an ECDSA P-256 key")
    return Key("p256", public)


def private_pem(key: Key) -> str:
    """The PEM PKCS#8 text of a key that has a private half (for the testing kit)."""
    if key.private is None:
        raise ConfigurationError("a public key has no private PEM")
    return str(
        key.private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
    )


class Keys:
    """One or more keys, newest first (several while the sender rotates); never shown in a repr."""

    __slots__ = ("_keys",)

    def __init__(self, items: Iterable[str | bytes], parse: Callable[[str | bytes], Key]) -> None:
        keys = tuple(parse(item) for item in items)
        if not keys:
            raise ConfigurationError("a key is required")
        self._keys = keys

    @staticmethod
    def items(secret: str | bytes | Iterable[str | bytes]) -> list[str | bytes]:
        return [secret] if isinstance(secret, str | bytes) else list(secret)

    @property
    def values(self) -> tuple[Key, ...]:
        return self._keys

    def __len__(self) -> int:
        return len(self._keys)

    def __repr__(self) -> str:
        return f"Keys(<{len(self._keys)} hidden>)"

    __str__ = __repr__


def verify_any(keys: Iterable[Key | None], signatures: list[bytes], message: bytes) -> int:
    """The index of the first key (``None`` entries skipped) that one of ``signatures`` verifies under."""
    if not signatures:
        raise SignatureError("no signature to check", reason="missing_signature")
    for index, key in enumerate(keys):
        if key is not None and any([key.verify(sig, message) for sig in signatures]):
            return index
    raise SignatureError("signature does not verify under any configured public key")

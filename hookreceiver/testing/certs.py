"""Test signing certificates for certificate-signed providers (Amazon SNS, PayPal).

``certificate_pair(name)`` is an RSA key and a self-signed certificate for it (made once per
name per process); serve ``certificate_pem`` from the fetcher you give the provider and sign
with ``private_pem``. Never use them outside tests.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from functools import lru_cache

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

__all__ = ["CertificatePair", "certificate_pair"]


@dataclass(frozen=True, repr=False)
class CertificatePair:
    """A private key (PEM PKCS#8) and its self-signed certificate (PEM)."""

    private_pem: str
    certificate_pem: bytes

    def __repr__(self) -> str:
        return "CertificatePair(<rsa-2048>)"


@lru_cache(maxsize=16)
def certificate_pair(name: str = "sns", common_name: str = "sns.amazonaws.com") -> CertificatePair:
    """An RSA-2048 key and a certificate valid 2000-2100 for ``common_name``, cached by name."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC))
        .not_valid_after(datetime.datetime(2100, 1, 1, tzinfo=datetime.UTC))
        .sign(key, hashes.SHA256())
    )
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return CertificatePair(private, certificate.public_bytes(serialization.Encoding.PEM))

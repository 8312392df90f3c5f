"""WeChat "safe mode" message encryption (AES-256-CBC), used by :mod:`hookreceiver.providers.wechat`.

The key is base64-decode(EncodingAESKey + "="): 43 characters give 32 bytes. The IV is the key's
first 16 bytes. The plaintext is 16 random bytes, the message length as 4 big-endian bytes, the
message, then the AppID, padded PKCS#7-style to a multiple of 32 bytes (not AES's 16). The
ciphertext travels as base64. ``cryptography`` is imported only when a message is handled.
"""

from __future__ import annotations

import base64
import binascii
import os
import struct
from typing import Any

from hookreceiver.exceptions import ConfigurationError, PayloadError

__all__ = ["BLOCK", "aes_key", "decrypt", "encrypt"]

BLOCK = 32


def aes_key(encoding_aes_key: str) -> bytes:
    """The 32-byte AES key of a 43-character EncodingAESKey."""
    text = encoding_aes_key.strip()
    try:
        key = base64.b64decode(text + "=", validate=True) if len(text) == 43 else b""
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != 32:
        raise ConfigurationError("aes_key must be the 43-character EncodingAESKey")
    return key


def _cipher(key: bytes) -> Any:
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    return Cipher(algorithms.AES(key), modes.CBC(key[:16]))


def encrypt(message: bytes, *, key: bytes, app_id: str, random16: bytes | None = None) -> str:
    """Encrypt ``message`` for ``app_id``; ``random16`` is fixed only by tests."""
    prefix = os.urandom(16) if random16 is None else random16
    if len(prefix) != 16:
        raise ValueError("random16 must be 16 bytes")
    plain = prefix + struct.pack(">I", len(message)) + message + app_id.encode()
    pad = BLOCK - len(plain) % BLOCK
    plain += bytes([pad]) * pad
    encryptor = _cipher(key).encryptor()
    return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()


def decrypt(ciphertext: str, *, key: bytes) -> tuple[bytes, str]:
    """The message and the AppID inside a safe-mode ``Encrypt`` value; bad input is a PayloadError."""
    try:
        raw = base64.b64decode(ciphertext, validate=True)
    except (binascii.Error, ValueError):
        raise PayloadError("Encrypt is not base64", reason="undecryptable") from None
    if not raw or len(raw) % 16:
        raise PayloadError("Encrypt is not whole AES blocks", reason="undecryptable")
    decryptor = _cipher(key).decryptor()
    plain = decryptor.update(raw) + decryptor.finalize()
    pad = plain[-1]
    if not 1 <= pad <= BLOCK or plain[-pad:] != bytes([pad]) * pad or len(plain) - pad < 20:
        raise PayloadError("Encrypt does not decrypt with this aes_key", reason="undecryptable")
    plain = plain[:-pad]
    (length,) = struct.unpack(">I", plain[16:20])
    if 20 + length > len(plain):
        raise PayloadError("Encrypt does not decrypt with this aes_key", reason="undecryptable")
    try:
        app_id = plain[20 + length :].decode()
    except UnicodeDecodeError:
        raise PayloadError("Encrypt does not decrypt with this aes_key", reason="undecryptable") from None
    return plain[20 : 20 + length], app_id

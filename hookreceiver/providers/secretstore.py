"""Secrets a provider learns at run time (Asana's ``X-Hook-Secret`` handshake), behind one Protocol.

Most senders share a secret you configure. Asana instead *sends* one, once, in a handshake when
the webhook is created, and signs every later delivery with it: the receiver must keep it.
``SecretStore`` is what the provider needs for that: read the secret kept under a key (the
webhook's target path) and keep a new one, atomically refusing to overwrite unless asked.

``MemorySecretStore`` is the default and the reference: a dict under a lock, so it lives as long
as the process. With more than one process, or across restarts, give the provider a store that
all of them share (a table in your database, a Redis hash): implement the two methods.
"""

from __future__ import annotations

import threading
from typing import Protocol, runtime_checkable

__all__ = ["MemorySecretStore", "SecretStore"]


@runtime_checkable
class SecretStore(Protocol):
    """Learned secrets by key; an implementation must make ``put`` atomic."""

    def get(self, key: str) -> bytes | None:
        """The secret kept under ``key``, or ``None``."""
        ...

    def put(self, key: str, secret: bytes, *, replace: bool = False) -> bool:
        """Keep ``secret`` under ``key``; without ``replace``, only if none is kept yet.
        Returns whether it was kept."""
        ...


class MemorySecretStore:
    """Learned secrets in this process's memory (lost on restart; not shared between processes)."""

    def __init__(self) -> None:
        self._secrets: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"MemorySecretStore(<{len(self._secrets)} hidden>)"

    def __len__(self) -> int:
        return len(self._secrets)

    def get(self, key: str) -> bytes | None:
        with self._lock:
            return self._secrets.get(key)

    def put(self, key: str, secret: bytes, *, replace: bool = False) -> bool:
        with self._lock:
            if key in self._secrets and not replace:
                return False
            self._secrets[key] = secret
            return True

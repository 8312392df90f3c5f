"""Dropbox notifications: which accounts have changes to fetch."""

from __future__ import annotations

from hookreceiver.models.base import Envelope

__all__ = ["DropboxAccounts", "DropboxNotification"]


class DropboxAccounts(Envelope):
    accounts: list[str] = []


class DropboxNotification(Envelope):
    """``list_folder.accounts`` are account ids (``dbid:...``) whose files changed."""

    list_folder: DropboxAccounts | None = None

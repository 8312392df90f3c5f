"""GitHub's common webhook fields (``action``, ``repository``, ``sender``, ``installation``,
``organization``) and light models of the two busiest events, push and pull_request."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hookreceiver.models.base import Envelope

__all__ = [
    "GitHubCommit",
    "GitHubEvent",
    "GitHubInstallation",
    "GitHubOrganization",
    "GitHubPullRequest",
    "GitHubPullRequestEvent",
    "GitHubPush",
    "GitHubRepository",
    "GitHubUser",
]


class GitHubUser(Envelope):
    login: str
    id: int
    type: str | None = None
    html_url: str | None = None


class GitHubRepository(Envelope):
    id: int
    name: str
    full_name: str
    private: bool = False
    html_url: str | None = None
    default_branch: str | None = None
    owner: GitHubUser | None = None


class GitHubInstallation(Envelope):
    """Present when the webhook belongs to a GitHub App installation."""

    id: int
    node_id: str | None = None


class GitHubOrganization(Envelope):
    login: str
    id: int


class GitHubEvent(Envelope):
    """The fields GitHub puts on (almost) every event; which ones are present depends on it."""

    action: str | None = None
    repository: GitHubRepository | None = None
    sender: GitHubUser | None = None
    installation: GitHubInstallation | None = None
    organization: GitHubOrganization | None = None


class GitHubCommit(Envelope):
    id: str
    message: str
    timestamp: datetime | None = None
    url: str | None = None
    author: dict[str, Any] | None = None


class GitHubPush(GitHubEvent):
    """``push``: a ref moved from ``before`` to ``after``."""

    ref: str
    before: str
    after: str
    created: bool = False
    deleted: bool = False
    forced: bool = False
    commits: list[GitHubCommit] = []
    head_commit: GitHubCommit | None = None
    pusher: dict[str, Any] | None = None


class GitHubPullRequest(Envelope):
    id: int
    number: int
    title: str
    state: str
    html_url: str | None = None
    user: GitHubUser | None = None
    draft: bool = False
    merged: bool | None = None
    head: dict[str, Any] | None = None
    base: dict[str, Any] | None = None


class GitHubPullRequestEvent(GitHubEvent):
    """``pull_request``: opened, closed, synchronize, ... (``action`` says which)."""

    number: int
    pull_request: GitHubPullRequest

"""GitLab webhooks: the fields most events share (``object_kind``, ``user``, ``project``,
``object_attributes``) and the push event."""

from __future__ import annotations

from typing import Any

from hookreceiver.models.base import Envelope

__all__ = ["GitLabEvent", "GitLabProject", "GitLabPush", "GitLabUser"]


class GitLabUser(Envelope):
    id: int | None = None
    name: str | None = None
    username: str | None = None
    email: str | None = None


class GitLabProject(Envelope):
    id: int
    name: str
    path_with_namespace: str
    web_url: str | None = None
    default_branch: str | None = None


class GitLabEvent(Envelope):
    """Any GitLab event; ``object_attributes`` holds the issue, merge request, pipeline, ..."""

    object_kind: str
    event_type: str | None = None
    user: GitLabUser | None = None
    project: GitLabProject | None = None
    object_attributes: dict[str, Any] | None = None
    repository: dict[str, Any] | None = None


class GitLabPush(GitLabEvent):
    """``push`` and ``tag_push``: a ref moved from ``before`` to ``after``."""

    ref: str
    before: str
    after: str
    checkout_sha: str | None = None
    user_username: str | None = None
    commits: list[dict[str, Any]] = []
    total_commits_count: int = 0

from __future__ import annotations

import pytest
from pydantic import ValidationError

from hookreceiver.models import GitLabEvent, GitLabPush
from hookreceiver.testing import sample_topics
from tests.models.support import received


@pytest.mark.parametrize("topic", sample_topics("gitlab"))
def test_every_sample_has_the_common_fields(topic: str) -> None:
    event = GitLabEvent.model_validate(received("gitlab", topic))
    assert event.object_kind == topic.partition(".")[0]
    assert event.project is not None and event.project.path_with_namespace == "depot-ops/parcel-tracker"


def test_push_and_merge_request() -> None:
    push = GitLabPush.model_validate(received("gitlab", "push"))
    assert (push.ref, push.total_commits_count, push.user_username) == ("refs/heads/main", 1, "tvarga")
    mr = GitLabEvent.model_validate(received("gitlab", "merge_request.open"))
    assert mr.object_attributes is not None and mr.object_attributes["action"] == "open"
    assert mr.user is not None and mr.user.username == "tvarga"


def test_object_kind_is_required() -> None:
    with pytest.raises(ValidationError, match="object_kind"):
        GitLabEvent.model_validate({"project": None})

from __future__ import annotations

import pytest
from pydantic import ValidationError

from hookreceiver.models import GitHubEvent, GitHubPullRequestEvent, GitHubPush
from hookreceiver.testing import sample_topics
from tests.models.support import received


@pytest.mark.parametrize("topic", sample_topics("github"))
def test_the_common_fields_of_every_sample(topic: str) -> None:
    event = GitHubEvent.model_validate(received("github", topic))
    assert event.repository is not None and event.repository.full_name == "lumen-labs/pager-kit"
    assert event.sender is not None and event.sender.login == "mira-okafor"
    assert event.action == (topic.partition(".")[2] or None)


def test_push() -> None:
    push = GitHubPush.model_validate(received("github", "push"))
    assert push.ref == "refs/heads/main" and push.head_commit is not None
    assert push.commits[0].message == "Fix off-by-one in pagination"
    assert push.installation is not None and push.installation.id == 52093117
    assert push.organization is not None and push.organization.login == "lumen-labs"


def test_pull_request() -> None:
    event = GitHubPullRequestEvent.model_validate(received("github", "pull_request.opened"))
    assert (event.action, event.number, event.pull_request.state) == ("opened", 212, "open")
    assert event.pull_request.model_extra is not None and event.pull_request.model_extra["commits"] == 3


def test_form_encoded_deliveries_validate_the_same() -> None:
    from urllib.parse import urlencode

    from hookreceiver.core.decoding import decode_form

    inner = '{"action":"opened","repository":{"id":1,"name":"repo","full_name":"octo/repo"}}'
    body = urlencode({"payload": inner}).encode()
    event = GitHubEvent.model_validate(decode_form(body))
    assert event.repository is not None and event.repository.full_name == "octo/repo"


def test_wrong_types_are_named() -> None:
    with pytest.raises(ValidationError, match="repository.id"):
        GitHubEvent.model_validate({"repository": {"id": "x", "name": "r", "full_name": "o/r"}})

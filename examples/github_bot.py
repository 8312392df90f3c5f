"""A small GitHub bot: welcomes new issues, reviews pull requests as they open or change.

Serve it:   hookreceiver serve examples.github_bot:hooks
Point a GitHub webhook (content type JSON or form, with a secret) at http://HOST:8000/github, or
send one by hand:
            hookreceiver send http://127.0.0.1:8000/github --app examples.github_bot:hooks \
                --topic issues.opened --data '{"issue": {"number": 7, "title": "Crash"}}'

The bot only decides what to say and logs it; posting the comment through the GitHub API (with
an installation token) would go where the log lines are.
"""

from __future__ import annotations

import logging
import os

from hookreceiver import Delivery, HookReceiver
from hookreceiver.providers import GitHub

log = logging.getLogger("github_bot")

DEV_SECRET = "github-bot-dev-secret"
secret = os.environ.get("GITHUB_WEBHOOK_SECRET", "")
if not secret:
    secret = DEV_SECRET
    log.warning("GITHUB_WEBHOOK_SECRET is not set: using the development secret; never do this in production")
# While rotating, keep the old secret valid too: the log says which one matched.
secrets = [secret, *filter(None, [os.environ.get("GITHUB_WEBHOOK_SECRET_OLD")])]

hooks = HookReceiver()
github = hooks.endpoint("/github", GitHub(secret=secrets))


def welcome_text(issue: dict[str, object]) -> str:
    return f"Thanks for reporting #{issue.get('number')} ({issue.get('title')!s}); we'll take a look."


@github.on("ping")
def ping(delivery: Delivery) -> None:
    log.info("hook %s is connected: %s", delivery.meta.get("hook_id"), delivery.payload.get("zen"))


@github.on("issues.opened")
def welcome(delivery: Delivery) -> None:
    issue = delivery.payload.get("issue", {})
    log.info("would comment on issue #%s: %s", issue.get("number"), welcome_text(issue))


@github.on("pull_request.opened", "pull_request.synchronize", "pull_request.reopened")
def review(delivery: Delivery) -> None:
    pull = delivery.payload.get("pull_request", {})
    size = int(pull.get("additions", 0)) + int(pull.get("deletions", 0))
    verdict = "needs a second reviewer" if size > 400 else "small enough for one review"
    log.info(
        "pull request #%s (%s): %d changed lines, %s",
        delivery.payload.get("number"),
        delivery.topic,
        size,
        verdict,
    )


@github.on("pull_request")
def audit(delivery: Delivery) -> None:
    """Every pull request event, whatever its action (``pull_request`` is an alias)."""
    log.debug("pull_request event %s delivery_id=%s", delivery.topic, delivery.delivery_id)

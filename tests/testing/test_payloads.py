"""The shipped sample payloads: where they live, how topics map to files, and that the wheel has them."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from hookreceiver.testing import sample, sample_topics

SAMPLES = Path(__file__).resolve().parents[2] / "hookreceiver" / "testing" / "samples"


def test_topics_with_slashes_are_subdirectories() -> None:
    assert sample_topics("shopify") == ["app/uninstalled", "orders/create", "orders/paid"]
    assert sample("shopify", "orders/create")["line_items"][0]["sku"] == "MUG-TEAL-12OZ"


def test_svix_shares_the_standard_webhooks_samples() -> None:
    assert sample_topics("svix") == sample_topics("standard-webhooks") != []
    assert sample("svix", "invoice.paid") == sample("standard-webhooks", "invoice.paid")


@pytest.mark.parametrize(
    "topic", ["../stripe/invoice.paid", "/etc/passwd", "", "a//b", "x\\y", "orders/../orders/create", "."]
)
def test_paths_cannot_leave_the_samples_folder(topic: str) -> None:
    with pytest.raises(LookupError):
        sample("shopify", topic)


@pytest.mark.parametrize("provider", ["..", "../testing", "nope", "a/b"])
def test_unknown_providers_have_no_samples(provider: str) -> None:
    assert sample_topics(provider) == []
    with pytest.raises(LookupError):
        sample(provider, "invoice.paid")


def test_every_sample_file_is_a_json_object() -> None:
    """An object, or for a sender that batches in a JSON array (SendGrid), an array of objects."""
    files = sorted(SAMPLES.rglob("*.json"))
    assert len(files) >= 20
    for path in files:
        value = json.loads(path.read_text(encoding="utf-8"))
        if path.parent.name == "sendgrid":
            assert isinstance(value, list) and value, path
            assert all(isinstance(item, dict) for item in value), path
        else:
            assert isinstance(value, dict), path


def test_the_wheel_includes_the_samples(tmp_path: Path) -> None:
    from hatchling.builders.wheel import WheelBuilder

    root = SAMPLES.parents[2]
    [wheel] = list(WheelBuilder(str(root)).build(directory=str(tmp_path), versions=["standard"]))
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
        assert "hookreceiver = hookreceiver.testing.plugin" in archive.read(entry_points).decode()
    shipped = {
        f"hookreceiver/{p.relative_to(root / 'hookreceiver').as_posix()}" for p in SAMPLES.rglob("*.json")
    }
    assert shipped <= names


# Identifiers from the providers' own documentation examples. Samples use made-up values of the
# same shape instead, so nothing in them can be mistaken for (or collide with) a real account.
DOCUMENTATION_IDS = [
    "820982911946154508",
    "IPOD2008GREEN",
    "#9999",
    "IPod Nano",
    "Amoebobacterieae",
    "548380009",  # Shopify
    "U061F7AUR",
    "T061EG9R6",
    "XXYYZZ1234abcdef",
    "A0PNCHHK2",
    "C0LAN2Q65",
    "Ev0PV52K2",  # Slack
    "octocat",
    "Hello-World",
    "1296269",
    "583231",
    "6dcb09b5b57875f334f61aebed695e2e4193db5e",  # GitHub
    "208045946",
    "diaspora",
    "da1560886d4f094c3e6c9ef40349f7d38b5d27d7",
    "MS-Viewport",  # GitLab
    "jenny.rosen@example.com",
    "Jenny Rosen",  # Stripe
    "CA1234567890abcdef",
    "AC0123456789abcdef",  # Twilio placeholders
]


@pytest.mark.parametrize(
    "path", sorted(SAMPLES.rglob("*.json")), ids=lambda p: p.relative_to(SAMPLES).as_posix()
)
def test_samples_use_made_up_identifiers(path: Path) -> None:
    text = path.read_text(encoding="utf-8").lower()
    assert [i for i in DOCUMENTATION_IDS if i.lower() in text] == []

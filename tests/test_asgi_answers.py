"""The headers an Answer sends: the short path taken by every JSON ack and refusal gives exactly
what the general one gives."""

from __future__ import annotations

import pytest

from hookreceiver.asgi.answers import Answer, json_answer


def general(answer: Answer) -> list[tuple[bytes, bytes]]:
    """The headers by the general path: the same answer with an extra header, which is removed."""
    with_extra = Answer(answer.status_code, answer.body, answer.content_type, {"x-probe": "1"})
    return [header for header in with_extra.raw_headers() if header[0] != b"x-probe"]


@pytest.mark.parametrize("status", [200, 202, 400, 401, 404, 408, 413, 415, 503])
def test_a_json_answer_has_its_length_and_type(status: int) -> None:
    answer = json_answer({"status": "accepted", "delivery_id": "d-1"}, status=status)
    assert answer.raw_headers() == [
        (b"content-length", str(len(answer.body)).encode()),
        (b"content-type", b"application/json"),
    ]
    assert answer.raw_headers() == general(answer)


@pytest.mark.parametrize("status", [101, 204, 304])
def test_statuses_without_a_body_send_no_length(status: int) -> None:
    answer = Answer(status, b"", "application/json")
    assert answer.raw_headers() == general(answer) == [(b"content-type", b"application/json")]


def test_extra_headers_come_first_and_a_given_type_wins() -> None:
    answer = json_answer({"error": "busy"}, status=503)
    answer.headers["retry-after"] = "5"
    answer.headers["Content-Type"] = "application/problem+json"
    assert answer.raw_headers() == [
        (b"retry-after", b"5"),
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(answer.body)).encode()),
    ]

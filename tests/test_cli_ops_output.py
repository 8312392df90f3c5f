"""What `hookreceiver dead-letters list|show` prints: sender-controlled text cannot drive the terminal."""

from __future__ import annotations

from dataclasses import replace

import pytest

from hookreceiver.cli import printable as _printable
from hookreceiver.cli.ops import _line, _show
from hookreceiver.stores.base import DeadLetter
from tests.helpers import NOW, delivery

ESCAPE = "\x1b]0;owned\x07\x1b[2J\x1b[31m"  # set the title, clear the screen, turn red
BODY = (
    '{"type":"order.created","note":"' + ESCAPE + 'x\rOVERWRITE\x9b1m\u202egnp.exe"}\n\t{"second":"line"}'
).encode()


def dead_letter() -> DeadLetter:
    sent = replace(delivery("d-1", topic="order.created" + ESCAPE), body=BODY)
    return DeadLetter(sent, "Traceback:\n\tValueError: bad " + ESCAPE, NOW, 3)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("plain text, caf\u00e9 \U0001f600", "plain text, caf\u00e9 \U0001f600"),
        ("\x1b[2J", "\\x1b[2J"),
        ("a\rb\x00c\x7fd\x9be", "a\\x0db\\x00c\\x7fd\\x9be"),
        ("left\u202eright\u2066", "left\\u202eright\\u2066"),
        ("keep\nlines\tand tabs", "keep\\x0alines\\x09and tabs"),
    ],
)
def test_printable(text: str, shown: str) -> None:
    assert _printable(text) == shown


def test_printable_keeps_what_it_is_told_to() -> None:
    assert _printable("a\nb\tc\rd", keep="\n\t") == "a\nb\tc\\x0dd"


def _controls(text: str) -> set[str]:
    return {
        c for c in text if (ord(c) < 0x20 and c not in "\n\t") or 0x7F <= ord(c) < 0xA0 or c in "\u202e\u2066"
    }


def test_show_escapes_the_body_topic_and_error_but_keeps_line_breaks() -> None:
    shown = _show(dead_letter())
    assert _controls(shown) == set()
    assert "\\x1b]0;owned\\x07\\x1b[2J" in shown and "x\\x0dOVERWRITE\\x9b1m\\u202egnp.exe" in shown
    assert '\n\t{"second":"line"}' in shown  # the body's own line breaks and tabs stay
    assert "topic:        order.created\\x1b]0;owned" in shown
    assert "\tValueError: bad \\x1b]0;owned" in shown


def test_list_line_is_one_escaped_line() -> None:
    line = _line(dead_letter())
    assert _controls(line) == set() and "\n" not in line and "\t" not in line
    assert line.startswith("/orders:d-1  order.created\\x1b]0;owned")

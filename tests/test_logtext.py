"""Escaping sender-controlled text for log lines."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hookreceiver.logtext import escaped, loggable, loggable_text


@pytest.mark.parametrize(
    ("value", "field", "text"),
    [
        ("order.created", "order.created", "order.created"),
        ("a b", "a\\x20b", "a b"),
        ("x\r\nINFO forged", "x\\x0d\\x0aINFO\\x20forged", "x\\x0d\\x0aINFO forged"),
        ("tab\there", "tab\\x09here", "tab\\x09here"),
        ("\x1b[31mred", "\\x1b[31mred", "\\x1b[31mred"),
        ("line\u2028sep", "line\\u2028sep", "line\\u2028sep"),
        ("caf\u00e9 \U0001f600", "caf\u00e9\\x20\U0001f600", "caf\u00e9 \U0001f600"),
        ("bad\ud800", "bad\\ud800", "bad\\ud800"),
        (42, "42", "42"),
    ],
)
def test_escapes(value: object, field: str, text: str) -> None:
    assert loggable(value) == field
    assert loggable_text(value) == text


def test_long_values_are_cut() -> None:
    assert loggable("a" * 200, limit=10) == "a" * 10 + "..."
    assert loggable_text("a" * 400) == "a" * 300 + "..."


@given(st.text())
def test_no_line_break_or_control_survives(value: str) -> None:
    for shown in (loggable(value), loggable_text(value)):
        assert all(c.isprintable() for c in shown)
    assert " " not in loggable(value)


@pytest.mark.parametrize(
    ("text", "keep", "shown"),
    [
        ("caf\u00e9 \U0001f600 ok", "", "caf\u00e9 \U0001f600 ok"),
        ("a\nb\tc\rd", "\n\t", "a\nb\tc\\x0dd"),
        ("zero\u200bwidth\u2028line", "", "zero\\u200bwidth\\u2028line"),
        ("astral\U000e0001tag", "", "astral\\U000e0001tag"),
    ],
)
def test_escaped_is_the_one_escaper(text: str, keep: str, shown: str) -> None:
    assert escaped(text, keep=keep) == shown
    assert escaped("a b", spaces=False) == "a\\x20b"

"""Sender-controlled text made safe for log lines (no starlette, no redis: any module may use it).

A topic, delivery id or path comes from whoever sent the request. Written raw, a CR or LF in one
starts a new line that a log reader takes for a line of our own; a space makes ``key=value``
parsing see a field that was never written; on a terminal, an escape sequence or a bidi override
changes what the rest of the output looks like. :func:`escaped` is the one escaper (log lines
and the CLI's output use it): such characters become ``\\xNN``, ``\\uNNNN`` or ``\\UNNNNNNNN``.
"""

from __future__ import annotations

__all__ = ["escaped", "loggable", "loggable_text"]


def escaped(text: str, *, keep: str = "", spaces: bool = True) -> str:
    """``text`` with every character that is not printable (controls, line breaks, bidi and other
    format characters) escaped, except those in ``keep``; with ``spaces=False``, plain spaces too."""
    if text.isprintable() and (spaces or " " not in text):
        return text  # the usual case: nothing to escape
    return "".join(char if char in keep else _escape(char, spaces=spaces) for char in text)


def _escape(char: str, *, spaces: bool) -> str:
    if char.isprintable() and (not char.isspace() or (spaces and char == " ")):
        return char
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def loggable(value: object, limit: int = 128) -> str:
    """One ``key=value`` field: no spaces, controls or line breaks; cut after ``limit`` characters."""
    text = str(value)
    if len(text) <= limit and text.isprintable() and " " not in text:
        return text  # the usual case: nothing to escape
    shown = escaped(text[:limit], spaces=False)
    return shown + "..." if len(text) > limit else shown


def loggable_text(value: object, limit: int = 300) -> str:
    """Free text at the end of a line (a detail, an error): plain spaces kept, controls escaped."""
    text = str(value)
    if len(text) <= limit and text.isprintable():
        return text
    shown = escaped(text[:limit])
    return shown + "..." if len(text) > limit else shown

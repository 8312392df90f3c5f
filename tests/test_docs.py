"""The docs are tested: every ```python block runs, and every relative link points at a file.

Each page's ``python`` blocks (info string exactly ``python``) run in order in one fresh namespace,
with the repository root as the working directory and the network switched off. Blocks marked
``python no-run`` (or any other info string) are shown, not run. Pages are found by glob, so a
page appears here as soon as it exists.
"""

from __future__ import annotations

import os
import re
import socket
import sys
import traceback
import types
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md")])
PAGE_IDS = [page.relative_to(ROOT).as_posix() for page in PAGES]

_FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
_LINK = re.compile(r"!?\[[^\]]*\]\((?P<target>[^)\s]+)(?:\s+\"[^\"]*\")?\)")
_REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*(?P<target>\S+)", re.MULTILINE)
_EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)  # http:, https:, mailto:, ...


@dataclass(frozen=True)
class Block:
    """One fenced code block: its info string, first line number (1-based) and source."""

    info: str
    line: int
    source: str


def split_page(text: str) -> tuple[list[Block], str]:
    """The fenced blocks of a Markdown page, and the page's prose with the blocks removed."""
    blocks: list[Block] = []
    prose: list[str] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        opening = _FENCE.match(lines[i])
        if opening is None or ("`" in opening["info"] and opening["fence"][0] == "`"):
            prose.append(lines[i])
            i += 1
            continue
        fence, info, start = opening["fence"], opening["info"].strip(), i + 1
        body: list[str] = []
        i += 1
        while i < len(lines):
            closing = _FENCE.match(lines[i])
            if (
                closing is not None
                and closing["fence"][0] == fence[0]
                and len(closing["fence"]) >= len(fence)
                and not closing["info"].strip()
            ):
                break
            body.append(lines[i])
            i += 1
        i += 1  # past the closing fence (or the end of an unclosed block)
        blocks.append(Block(info, start + 1, "\n".join(body) + "\n"))
    return blocks, "\n".join(prose)


def runnable(blocks: list[Block]) -> list[Block]:
    """The blocks the docs test executes: info string exactly ``python``."""
    return [block for block in blocks if block.info == "python"]


class DocsError(AssertionError):
    """A docs block failed; the message names the page, the block number and its line."""


def run_page(name: str, text: str) -> int:
    """Run a page's ``python`` blocks in order in one namespace; returns how many ran."""
    # A real (temporary) module, so dataclasses and pydantic models defined in a page can
    # resolve their annotations through sys.modules as they would in a user's file.
    module = types.ModuleType("docs_" + re.sub(r"\W", "_", name))
    sys.modules[module.__name__] = module
    blocks = runnable(split_page(text)[0])
    try:
        for number, block in enumerate(blocks, start=1):
            # Pad with blank lines so tracebacks show the line number within the page.
            code = compile("\n" * (block.line - 1) + block.source, name, "exec")
            try:
                exec(code, module.__dict__)
            except Exception as exc:
                details = "".join(traceback.format_exception(exc))
                raise DocsError(
                    f"{name}: python block {number} (line {block.line}) failed:\n{details}"
                ) from None
    finally:
        del sys.modules[module.__name__]
    return len(blocks)


def _no_network(self: socket.socket, *args: Any, **kwargs: Any) -> Any:
    if self.family in (socket.AF_INET, socket.AF_INET6):
        raise OSError("docs snippets must not use the network; mark the block `python no-run`")
    return _REAL_CONNECT(self, *args, **kwargs)


_REAL_CONNECT = socket.socket.connect
_PYTHON_FENCE = re.compile(r"^ {0,3}(?:`{3,}|~{3,})python[ \t]*$", re.MULTILINE)


@pytest.fixture
def docs_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Repository root as cwd, no HOOKRECEIVER_ variables (as on a fresh machine), no network."""
    monkeypatch.chdir(ROOT)
    for name in list(os.environ):
        if name.startswith("HOOKRECEIVER_"):
            monkeypatch.delenv(name)
    monkeypatch.setattr(socket.socket, "connect", _no_network)
    monkeypatch.setattr(socket.socket, "connect_ex", _no_network)
    yield


@pytest.mark.parametrize("page", PAGES, ids=PAGE_IDS)
def test_python_blocks_run(page: Path, docs_environment: None) -> None:
    name = page.relative_to(ROOT).as_posix()
    text = page.read_text(encoding="utf-8")
    fenced = len(_PYTHON_FENCE.findall(text))  # counted apart from the parser under test
    assert run_page(name, text) == fenced, f"{name}: {fenced} python blocks, not all of them ran"


def relative_links(text: str) -> list[str]:
    """Link targets in the prose (code blocks excluded) that point into the repository."""
    _, prose = split_page(text)
    prose = re.sub(r"`[^`\n]*`", "", prose)  # inline code is not a link
    targets = [m["target"] for m in _LINK.finditer(prose)]
    targets += [m["target"] for m in _REFERENCE.finditer(prose)]
    return [t for t in targets if not t.startswith("#") and not _EXTERNAL.match(t)]


@pytest.mark.parametrize("page", PAGES, ids=PAGE_IDS)
def test_relative_links_exist(page: Path) -> None:
    missing = []
    for target in relative_links(page.read_text(encoding="utf-8")):
        path = target.split("#", 1)[0]
        if not (page.parent / path).exists():
            missing.append(target)
    assert not missing, f"{page.relative_to(ROOT)} links to missing files: {missing}"


def test_core_pages_exist() -> None:
    for name in (
        "README.md",
        "docs/index.md",
        "docs/quickstart.md",
        "docs/handlers.md",
        "docs/security.md",
        "docs/configuration.md",
        "docs/benchmarks.md",
    ):
        assert (ROOT / name).is_file(), name


# -- the runner itself -------------------------------------------------------------------------

SAMPLE = """\
# Title

```python
x = 1
```

````markdown
```python
raise RuntimeError("inside an outer fence: shown, not run")
```
````

```python no-run
raise RuntimeError("not run")
```

~~~python
x += 1
~~~

```pycon
>>> raise RuntimeError("not run either")
```

See [the guide](docs/guide.md#part) and [the web](https://example.com), `[no](code.md)`.

[ref]: other.md
"""


def test_split_page_finds_blocks_and_lines() -> None:
    blocks, prose = split_page(SAMPLE)
    assert [(b.info, b.line) for b in blocks] == [
        ("python", 4),
        ("markdown", 8),
        ("python no-run", 14),
        ("python", 18),
        ("pycon", 22),
    ]
    assert [b.source for b in runnable(blocks)] == ["x = 1\n", "x += 1\n"]
    assert "not run" not in prose


def test_relative_links_skip_code_and_external() -> None:
    assert relative_links(SAMPLE) == ["docs/guide.md#part", "other.md"]


def test_run_page_shares_one_namespace() -> None:
    page = "```python\nvalues = [1]\n```\n\n```python\nvalues.append(2)\nassert values == [1, 2]\n```\n"
    assert run_page("page.md", page) == 2
    assert run_page("sample.md", SAMPLE) == 2


@pytest.mark.parametrize(
    ("page", "number", "line"),
    [
        ("```python\nok = True\n```\n\n```python\nassert not ok\n```\n", 2, 6),
        ("text\n\n```python\nundefined_name\n```\n", 1, 4),
    ],
    ids=["second-block", "first-block"],
)
def test_run_page_names_the_failing_block(page: str, number: int, line: int) -> None:
    with pytest.raises(DocsError, match=rf"bad\.md: python block {number} \(line {line}\)"):
        run_page("bad.md", page)


def test_pages_run_as_modules() -> None:
    page = """```python
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import pydantic


@dataclass(frozen=True)
class Order:
    kinds: ClassVar[tuple[str, ...]] = ("created",)
    total: int = 0


class Event(pydantic.BaseModel):
    order: Order | None = None
    model_config = {"arbitrary_types_allowed": True}


assert Event(order=Order(3)).order == Order(3)
```
"""
    assert run_page("models.md", page) == 1
    assert "docs_models_md" not in sys.modules


def test_no_network_inside_docs(docs_environment: None) -> None:
    page = "```python\nimport socket\nsocket.create_connection(('127.0.0.1', 6379), timeout=1)\n```\n"
    with pytest.raises(DocsError, match="must not use the network"):
        run_page("net.md", page)

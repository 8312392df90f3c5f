"""The docs are tested: every ```python block runs, and every relative link points at a file.

Each ``python`` block (info string exactly ``python``) runs on its own, in a fresh namespace, as
a reader would run it after copying just that block: so every block has its imports and defines
what it uses. They run with the repository root as the working directory, the network switched
off, and must log no warning of ours (an unsigned endpoint, an id the signature does not
cover: the docs show the recommended way); their ``secret=`` literals are not short words. A
block that shows such a warning on purpose is marked ``python {.warns}``: it runs too, and must
log one. Blocks marked ``python {.no-run}`` (or any other info string) are shown, not run. (The
``{.class}`` form is what mkdocs' superfences reads as a Python block with a class; GitHub takes
the first word.) Pages are found by glob, so a page appears here as soon as it exists.
"""

from __future__ import annotations

import logging
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

from hookreceiver.logs import FIELDS

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


RUN, WARNS = "python", "python {.warns}"


def runnable(blocks: list[Block]) -> list[Block]:
    """The blocks the docs test executes: info string exactly ``python`` or ``python {.warns}``."""
    return [block for block in blocks if block.info in (RUN, WARNS)]


class DocsError(AssertionError):
    """A docs block failed; the message names the page, the block number and its line."""


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        # A request's outcome line (a rejection a block demonstrates) is what the block shows;
        # anything else at WARNING says the block's own setup is not the recommended one.
        if getattr(record, FIELDS, None) is None:
            self.lines.append(f"{record.levelname} {record.name}: {record.getMessage()}")


def run_block(name: str, number: int, block: Block) -> None:
    """Run one block alone in a fresh namespace; a failure or a warning logged by hookreceiver
    raises :class:`DocsError` naming the page, the block and its line."""
    # A real (temporary) module, so dataclasses and pydantic models defined in a block can
    # resolve their annotations through sys.modules as they would in a user's file.
    module = types.ModuleType("docs_" + re.sub(r"\W", "_", name) + f"_{number}")
    sys.modules[module.__name__] = module
    where = f"{name}: python block {number} (line {block.line})"
    collect = _Collect()
    logger = logging.getLogger("hookreceiver")
    logger.addHandler(collect)
    try:
        # Pad with blank lines so tracebacks show the line number within the page.
        code = compile("\n" * (block.line - 1) + block.source, name, "exec")
        try:
            exec(code, module.__dict__)
        except Exception as exc:
            details = "".join(traceback.format_exception(exc))
            raise DocsError(f"{where} failed:\n{details}") from None
    finally:
        logger.removeHandler(collect)
        del sys.modules[module.__name__]
    if block.info == WARNS and not collect.lines:
        raise DocsError(f"{where} is marked `python {{.warns}}` but logged no warning of ours")
    if block.info == RUN and collect.lines:
        raise DocsError(f"{where} logged a warning of ours:\n" + "\n".join(collect.lines))


def run_page(name: str, text: str) -> int:
    """Run each of a page's ``python`` blocks alone; returns how many ran."""
    blocks = runnable(split_page(text)[0])
    for number, block in enumerate(blocks, start=1):
        run_block(name, number, block)
    return len(blocks)


def _no_network(self: socket.socket, *args: Any, **kwargs: Any) -> Any:
    if self.family in (socket.AF_INET, socket.AF_INET6):
        raise OSError("docs snippets must not use the network; mark the block `python {.no-run}`")
    return _REAL_CONNECT(self, *args, **kwargs)


_REAL_CONNECT = socket.socket.connect
_PYTHON_FENCE = re.compile(r"^ {0,3}(?:`{3,}|~{3,})python(?: \{\.warns\})?[ \t]*$", re.MULTILINE)


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


_SECRET_LITERAL = re.compile(r"""secret=(?P<q>["'])(?P<value>.*?)(?P=q)(?!\s*\+)""")
MIN_SECRET_CHARS = 16


@pytest.mark.parametrize("page", PAGES, ids=PAGE_IDS)
def test_runnable_blocks_use_strong_secrets(page: Path) -> None:
    """A reader copies the docs' secrets: none is a short word (``secrets.token_hex`` is best)."""
    weak = [
        f"line {block.line}: {m['value']!r}"
        for block in runnable(split_page(page.read_text(encoding="utf-8"))[0])
        for m in _SECRET_LITERAL.finditer(block.source)
        if len(m["value"]) < MIN_SECRET_CHARS
    ]
    assert not weak, f"{page.relative_to(ROOT)}: secrets shorter than {MIN_SECRET_CHARS} characters: {weak}"


def test_readme_links_are_absolute() -> None:
    """The README is also the package index's page, where a relative link leads nowhere."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert relative_links(text) == []
    prose = split_page(text)[1]
    ours = [m["target"] for m in _LINK.finditer(prose) if "hookreceiver/hookreceiver" in m["target"]]
    assert ours and all(t.startswith("https://github.com/hookreceiver/hookreceiver/") for t in ours)


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
x = 2
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
    assert [b.source for b in runnable(blocks)] == ["x = 1\n", "x = 2\n"]
    assert "not run" not in prose


def test_relative_links_skip_code_and_external() -> None:
    assert relative_links(SAMPLE) == ["docs/guide.md#part", "other.md"]


def test_each_block_runs_alone() -> None:
    page = "```python\nvalues = [1]\n```\n\n```python\nvalues.append(2)\n```\n"
    with pytest.raises(DocsError, match=r"python block 2 \(line 6\) failed:(.|\n)*NameError"):
        run_page("page.md", page)
    assert run_page("sample.md", SAMPLE) == 2


def test_a_warning_of_ours_fails_the_block() -> None:
    page = (
        "```python\nfrom hookreceiver import HookReceiver, MemoryStore\n"
        "from hookreceiver.providers import Generic\n"
        "HookReceiver(store=MemoryStore()).endpoint('/open', Generic(unsigned=True))\n```\n"
    )
    with pytest.raises(DocsError, match="logged a warning of ours:\nWARNING hookreceiver: endpoint /open"):
        run_page("warn.md", page)
    assert run_page("warns.md", page.replace("```python", "```python {.warns}")) == 1
    with pytest.raises(DocsError, match=r"marked `python \{\.warns\}` but logged no warning"):
        run_page("quiet.md", "```python {.warns}\nx = 1\n```\n")


@pytest.mark.parametrize(
    ("page", "number", "line"),
    [
        ("```python\nok = True\n```\n\n```python\nassert not True\n```\n", 2, 6),
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
    assert "docs_models_md_1" not in sys.modules


def test_no_network_inside_docs(docs_environment: None) -> None:
    page = "```python\nimport socket\nsocket.create_connection(('127.0.0.1', 6379), timeout=1)\n```\n"
    with pytest.raises(DocsError, match="must not use the network"):
        run_page("net.md", page)

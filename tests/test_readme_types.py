"""The README's python blocks type-check under ``mypy --strict``, each on its own (as copied).

A reader pastes a README block into a typed project: it must pass the same strict checking as
this package. Each block is written to its own file in a temporary directory and mypy runs on
them all at once, with the project's configuration (pyproject.toml) and the package importable.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_docs import ROOT, runnable, split_page

README = ROOT / "README.md"


def readme_blocks() -> list[str]:
    return [block.source for block in runnable(split_page(README.read_text(encoding="utf-8"))[0])]


def test_the_readme_has_python_blocks() -> None:
    assert len(readme_blocks()) >= 2


@pytest.mark.timeout(600)
def test_readme_blocks_pass_mypy_strict(tmp_path: Path) -> None:
    files = []
    for number, source in enumerate(readme_blocks(), start=1):
        path = tmp_path / f"readme_block_{number}.py"
        path.write_text(source, encoding="utf-8")
        files.append(str(path))
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--config-file", str(ROOT / "pyproject.toml"), *files],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr

"""The pure core stays pure: no starlette or redis at import time, no clocks, no environment."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import hookreceiver

PACKAGE = Path(hookreceiver.__file__).parent
PURE = sorted([*(PACKAGE / "core").rglob("*.py"), *(PACKAGE / "providers").rglob("*.py")])
# Only these modules may import these packages (STYLE.md).
OWNERS = {"starlette": {"asgi/__init__.py"}, "redis": {"stores/redis/__init__.py", "stores/redis/connect.py"}}

PROBE = """
import json, sys
import {modules}
print(json.dumps(sorted({{m.split(".")[0] for m in sys.modules}})))
"""


@pytest.mark.parametrize(
    "modules",
    ["hookreceiver.core", "hookreceiver.providers", "hookreceiver.core, hookreceiver.providers"],
)
def test_fresh_interpreter_keeps_starlette_and_redis_out(modules: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(modules=modules)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    loaded = set(json.loads(result.stdout))
    assert "hookreceiver" in loaded  # the probe really imported the package
    assert "starlette" not in loaded
    assert "redis" not in loaded


def test_the_probe_can_see_starlette_when_it_is_imported() -> None:
    """A control: the same probe does report starlette once the ASGI module is imported."""
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(modules="hookreceiver.asgi")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "starlette" in json.loads(result.stdout)


def test_pure_files_were_found() -> None:
    names = {path.name for path in PURE}
    assert {"signing.py", "decoding.py", "routing.py", "delivery.py", "base.py", "generic.py"} <= names


FORBIDDEN_TEXT = [
    r"\btime\.time\b",
    r"\btime\.monotonic\b",
    r"\btime\.perf_counter\b",
    r"\bos\.environ\b",
    r"\bos\.getenv\b",
    r"\bdatetime\.now\b",
    r"\bdatetime\.utcnow\b",
    r"\bdate\.today\b",
    r"^\s*import starlette\b",
    r"^\s*from starlette\b",
    r"^\s*import redis\b",
    r"^\s*from redis\b",
]


@pytest.mark.parametrize("path", PURE, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_pure_source_has_no_clock_env_or_forbidden_import(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    for pattern in FORBIDDEN_TEXT:
        hits = [line for line in text.splitlines() if re.search(pattern, line)]
        assert not hits, f"{path.name}: {pattern} in {hits}"
    for module in imported_modules(path):
        assert module.split(".")[0] not in {"starlette", "redis", "time", "uvicorn"}, f"{path.name}: {module}"


def imported_modules(path: Path) -> list[str]:
    """Every module an ``import`` statement names, at any depth (function-local imports too)."""
    modules: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.append(node.module)
    return modules


@pytest.mark.parametrize("package", OWNERS)
def test_only_the_owner_imports_starlette_or_redis(package: str) -> None:
    importers = {
        path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.rglob("*.py")
        if any(module.split(".")[0] == package for module in imported_modules(path))
    }
    assert importers <= OWNERS[package]


def test_imported_modules_sees_local_imports(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from redis.asyncio import Redis\n    import time\n", encoding="utf-8")
    assert imported_modules(sample) == ["redis.asyncio", "time"]


def private_imports(path: Path, prefix: str) -> list[str]:
    """``from MODULE import _name`` statements whose MODULE starts with ``prefix``."""
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(prefix):
            found.extend(f"{node.module}.{a.name}" for a in node.names if a.name.startswith("_"))
    return found


@pytest.mark.parametrize("path", sorted((PACKAGE / "cli").glob("*.py")), ids=lambda p: p.name)
def test_cli_modules_share_only_public_names(path: Path) -> None:
    """Each command group is its own module; they meet only at the registry in ``cli/__init__``."""
    assert private_imports(path, "hookreceiver.cli") == []
    siblings = {m for m in imported_modules(path) if m.startswith("hookreceiver.cli.")}
    assert siblings == set(), f"{path.name} imports another command module: {siblings}"


def test_private_imports_sees_them(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("from hookreceiver.cli import _hidden, shown\n", encoding="utf-8")
    assert private_imports(sample, "hookreceiver.cli") == ["hookreceiver.cli._hidden"]


def importers_of(module: str) -> set[str]:
    """The package's modules (paths relative to it) that import ``module`` or a name from it."""
    return {
        path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.rglob("*.py")
        if any(m == module or m.startswith(module + ".") for m in imported_modules(path))
    }


def test_only_the_receiver_wires_the_asgi_app() -> None:
    outside = {path for path in importers_of("hookreceiver.asgi") if not path.startswith("asgi/")}
    assert outside == {"receiver.py"}


def test_the_worker_is_used_by_the_receiver_and_the_layers_above_it_only() -> None:
    # The public API, ops.py (hookreceiver worker) and the testing kit sit above the receiver;
    # the observers (metrics, tracing) read the worker's Outcome values only (type checking).
    allowed = {"__init__.py", "receiver.py", "ops.py", "testing/client.py", "metrics.py", "tracing.py"}
    assert importers_of("hookreceiver.worker") <= allowed


@pytest.mark.parametrize("module", ["asgi/__init__.py", "asgi/answers.py", "worker.py", "endpoint.py"])
def test_the_receivers_parts_do_not_import_it(module: str) -> None:
    imported = set(imported_modules(PACKAGE / module))
    assert not imported & {"hookreceiver.receiver", "hookreceiver"}, module
    if module == "endpoint.py":
        assert not imported & {"hookreceiver.asgi", "hookreceiver.worker"}


@pytest.mark.parametrize("path", sorted((PACKAGE / "core").rglob("*.py")), ids=lambda p: p.name)
def test_the_core_imports_nothing_above_it(path: Path) -> None:
    """The core is the bottom layer: it may use itself and the exception tree, nothing else of ours."""
    ours = {m for m in imported_modules(path) if m == "hookreceiver" or m.startswith("hookreceiver.")}
    upward = {m for m in ours if not m.startswith("hookreceiver.core") and m != "hookreceiver.exceptions"}
    assert upward == set(), f"{path.name} imports {upward}"


# The layers of docs/architecture.md, bottom up: a module imports its own package and lower layers only.
LAYERS: dict[str, int] = {
    **dict.fromkeys(["exceptions", "defaults", "logtext", "models", "body_deadline", "__version__"], 0),
    "core": 1,
    **dict.fromkeys(["providers", "settings"], 2),
    "stores": 3,
    **dict.fromkeys(["endpoint", "health", "intake", "logs", "observe", "tally"], 4),
    **dict.fromkeys(["asgi", "worker"], 5),
    "receiver": 6,
    **dict.fromkeys(["__init__", "ops", "metrics", "tracing", "testing", "typed", "server"], 7),
    "cli": 8,
    "__main__": 9,  # python -m hookreceiver: runs the CLI
}


def unit_of(module: str) -> str:
    """The layer table's name for ``hookreceiver.X.Y``: ``X``, or ``__init__`` for the package."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def our_imports(path: Path) -> set[str]:
    """The units of ours a file imports (``from hookreceiver import name`` is that submodule if it
    is one, else the package's public API)."""
    units: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            units.update(unit_of(a.name) for a in node.names if a.name.split(".")[0] == "hookreceiver")
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "hookreceiver":
                for alias in node.names:
                    sub = PACKAGE / alias.name
                    is_module = sub.is_dir() or sub.with_suffix(".py").exists()
                    units.add(alias.name if is_module else "__init__")
            elif node.module.split(".")[0] == "hookreceiver":
                units.add(unit_of(node.module))
    return units


def test_every_module_has_a_layer() -> None:
    units = {path.relative_to(PACKAGE).parts[0].removesuffix(".py") for path in PACKAGE.rglob("*.py")}
    assert units - set(LAYERS) == set(), "add the new module to LAYERS (and to docs/architecture.md)"


@pytest.mark.parametrize(
    "path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: p.relative_to(PACKAGE).as_posix()
)
def test_imports_point_down_the_layers(path: Path) -> None:
    unit = path.relative_to(PACKAGE).parts[0].removesuffix(".py")
    level = LAYERS[unit]
    wrong = {other for other in our_imports(path) - {unit} if LAYERS[other] >= level}
    assert wrong == set(), f"{unit} (layer {level}) imports {wrong}: same layer or above"


def test_the_layer_check_sees_an_upward_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from hookreceiver import receiver, Delivery\nimport hookreceiver.asgi\n"
        "from hookreceiver.core import x\n",
        encoding="utf-8",
    )
    assert our_imports(sample) == {"receiver", "__init__", "asgi", "core"}

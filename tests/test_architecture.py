"""Dependencies point inward: the core never imports delivery code or another adapter's driver."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def _sources(under: str) -> list[Path]:
    return sorted((ROOT / under).rglob("*.py"))


@pytest.mark.parametrize("path", _sources("graph"), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_core_never_imports_the_delivery_layer_or_web_frameworks(path: Path) -> None:
    assert not _imports(path) & {"api", "fastapi", "strawberry", "starlette", "uvicorn"}


@pytest.mark.parametrize("path", _sources("graph"), ids=lambda p: str(p.relative_to(ROOT)))
def test_only_the_neo4j_adapter_imports_the_neo4j_driver(path: Path) -> None:
    if "adapters/neo4j" in path.as_posix():
        return
    assert "neo4j" not in _imports(path)


@pytest.mark.parametrize(
    "path",
    [p for p in _sources("graph") if "adapters" not in p.as_posix()],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_the_domain_knows_nothing_of_sqlite_networkx_or_numpy(path: Path) -> None:
    assert not _imports(path) & {"sqlite3", "networkx", "numpy"}

"""Dependencies point inward: the core never imports delivery code or another adapter's driver."""

from __future__ import annotations

import ast
import sys
from collections.abc import Collection
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


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imported_modules(path: Path, known: Collection[str]) -> set[str]:
    """The ``known`` modules ``path`` imports, at any depth of the file: ``from a import b``
    names ``a.b`` when that is a module, otherwise ``a``."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                found.add(submodule if submodule in known else node.module)
    return found & set(known)


def _import_cycle(package: str) -> list[str] | None:
    """Return one import cycle among the modules of ``package`` (a folder), or None."""
    modules = {_module_name(p): p for p in _sources(package)}
    edges = {name: _imported_modules(path, modules) - {name} for name, path in modules.items()}
    done: set[str] = set()

    def visit(name: str, trail: list[str]) -> list[str] | None:
        if name in trail:
            return [*trail[trail.index(name) :], name]
        if name in done:
            return None
        for target in sorted(edges[name]):
            if cycle := visit(target, [*trail, name]):
                return cycle
        done.add(name)
        return None

    for name in sorted(modules):
        if cycle := visit(name, []):
            return cycle
    return None


def test_the_cycle_finder_finds_a_cycle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "loop"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from loop.b import thing\n")
    (package / "b.py").write_text("def f():\n    from loop import a\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert _import_cycle("loop") == ["loop.a", "loop.b", "loop.a"]


@pytest.mark.parametrize("package", ["api/cli", "api", "graph"])
def test_modules_import_no_circle(package: str) -> None:
    assert _import_cycle(package) is None


def _modules_imported(path: Path) -> set[str]:
    """Every module named by an import in ``path``, in full (``a.b`` for ``from a.b import c``)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _reaches(path: Path, packages: set[str]) -> set[str]:
    return {
        module
        for module in _modules_imported(path)
        if any(module == p or module.startswith(f"{p}.") for p in packages)
    }


@pytest.mark.parametrize(
    "path",
    [p for p in _sources("graph") if "samples" not in p.as_posix()],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_the_core_never_imports_the_sample_networks(path: Path) -> None:
    assert not _reaches(path, {"graph.samples"})


@pytest.mark.parametrize("path", _sources("api/graphql"), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_schema_knows_nothing_of_http_or_the_command_line(path: Path) -> None:
    assert not _reaches(path, {"api.http", "api.cli", "fastapi", "starlette", "typer", "rich"})


@pytest.mark.parametrize("path", _sources("api/http"), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_http_service_knows_nothing_of_the_command_line(path: Path) -> None:
    assert not _reaches(path, {"api.cli", "typer", "rich"})


@pytest.mark.parametrize(
    "path",
    [p for p in _sources("api/cli") if p.stem not in ("__init__", "root")],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_a_command_group_never_imports_another(path: Path) -> None:
    shared = {"api.cli.options", "api.cli.output"}
    assert _reaches(path, {"api.cli"}) <= shared


def test_the_settings_of_the_api_live_in_the_api() -> None:
    graph_settings = (ROOT / "graph" / "settings.py").read_text(encoding="utf-8")
    for api_only in ("jwt_secret", "api_keys", "rate_limit_per_minute", "max_query_cost"):
        assert api_only not in graph_settings


_SHARED_BENCH_HELPERS = {"_percentile", "_progress", "_on_sigterm", "_free_port", "machine"}


@pytest.mark.parametrize(
    "path",
    [p for p in _sources("bench") if p.name != "_kit.py"],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_bench_scripts_use_the_shared_kit_rather_than_their_own_copies(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    defined = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
    assert not defined & _SHARED_BENCH_HELPERS

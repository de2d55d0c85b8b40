"""tiegraph's Neo4j procedures: built from source by the JDK once per source, put into each
server `tiegraph neo4j start` starts, and used by the store only in the version it needs."""

from __future__ import annotations

import logging
import re
import shlex
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from graph.adapters.neo4j import procedures
from graph.adapters.neo4j import server as neo4j_server
from graph.adapters.neo4j import store as neo4j_store
from graph.adapters.neo4j.server import NEO4J_VERSION, default_cache_dir, install
from graph.adapters.neo4j.store import Neo4jStore
from graph.domain.errors import ConfigurationError
from tests.support.neo4j import Neo4jTarget


def _scratch_install(tmp_path: Path) -> tuple[Path, str]:
    """An install's layout under ``tmp_path`` (its ``lib`` the real jars), so builds land
    there; and the ``java`` to build with."""
    lib = tmp_path / f"neo4j-{NEO4J_VERSION}" / "lib"
    lib.parent.mkdir()
    lib.symlink_to(install(default_cache_dir()), target_is_directory=True)
    java = shutil.which("java")
    assert java is not None
    return lib, java


def _copy_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The procedures' sources, copied where a test may edit them, and built from there."""
    copy = tmp_path / "procedures"
    shutil.copytree(procedures.SOURCES, copy)
    monkeypatch.setattr(procedures, "SOURCES", copy)
    return next(copy.rglob("IntroductionPaths.java"))


def test_a_built_jar_reports_the_digest_of_the_sources_it_was_built_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _copy_sources(tmp_path, monkeypatch)
    lib, java = _scratch_install(tmp_path)
    jar = procedures.build(lib, java=java)
    with zipfile.ZipFile(jar) as packed:
        version = packed.read(procedures.VERSION_RESOURCE).decode().strip()
    assert re.fullmatch(r"[0-9a-f]{16}", version)
    assert version == procedures.source_digest()
    assert version in jar.name


def test_the_compose_file_computes_the_same_digest_as_the_build() -> None:
    compose = (Path(__file__).parents[2] / "docker-compose.yml").read_text()
    pipeline = "(cd /src && find . -name '*.java' | LC_ALL=C sort | xargs cat) | sha256sum"
    assert pipeline in compose
    assert "| cut -c1-16 > /classes/" + procedures.VERSION_RESOURCE in compose
    here = pipeline.replace("/src", shlex.quote(str(procedures.SOURCES)))
    done = subprocess.run(
        ["bash", "-c", f"{here} | cut -c1-16"], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == procedures.source_digest()


def test_a_jar_is_built_once_per_source_and_again_when_a_source_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = _copy_sources(tmp_path, monkeypatch)
    lib, java = _scratch_install(tmp_path)

    built = procedures.build(lib, java=java)
    again = procedures.build(lib, java=java)
    assert again == built
    assert again.stat().st_mtime_ns == built.stat().st_mtime_ns  # not compiled again

    source.write_text(source.read_text() + "\n// an edit\n")
    edited = procedures.build(lib, java=java)
    assert edited != built
    assert edited.is_file()
    assert edited.name.startswith(procedures.JAR_PREFIX)


def test_a_source_that_does_not_compile_is_reported_with_its_file_and_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = _copy_sources(tmp_path, monkeypatch)
    source.write_text(source.read_text().replace("return VERSION;", "return VERSION"))
    lib, java = _scratch_install(tmp_path)
    with pytest.raises(procedures.ProceduresBuildError, match=r"IntroductionPaths\.java:\d+"):
        procedures.build(lib, java=java)
    assert not list((lib.parent / "plugins").glob("*.jar"))


def test_a_server_s_plugins_hold_one_procedures_jar_the_current_one(tmp_path: Path) -> None:
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / f"{procedures.JAR_PREFIX}old.jar").write_bytes(b"old")
    (plugins / "apoc.jar").write_bytes(b"someone else's")
    current = tmp_path / f"{procedures.JAR_PREFIX}new.jar"
    current.write_bytes(b"new")

    procedures.install_into(current, plugins)
    assert sorted(p.name for p in plugins.iterdir()) == ["apoc.jar", current.name]
    assert (plugins / current.name).read_bytes() == b"new"

    procedures.install_into(None, plugins)
    assert sorted(p.name for p in plugins.iterdir()) == ["apoc.jar"]


def _with_procedures(neo4j_target: Neo4jTarget | None) -> Neo4jTarget:
    if neo4j_target is None:
        pytest.skip("no Neo4j server")
    if not neo4j_target.with_procedures:
        # NEO4J_URI names a server of someone else's, or no JDK built them (a failure in CI).
        pytest.skip("the tests' Neo4j server has no tiegraph procedures of this version")
    return neo4j_target


def _store(target: Neo4jTarget, use_procedures: bool | None) -> Neo4jStore:
    return Neo4jStore(
        uri=target.uri,
        auth=target.auth,
        database=target.database,
        plan_searches_at_open=False,
        use_procedures=use_procedures,
    )


async def test_a_server_tiegraph_started_searches_paths_by_its_procedure(
    neo4j_target: Neo4jTarget | None,
) -> None:
    store = _store(_with_procedures(neo4j_target), None)
    await store.open()
    try:
        assert store.searches_by_procedure
    finally:
        await store.close()


async def test_procedures_of_another_version_are_not_used_or_refused_when_required(
    neo4j_target: Neo4jTarget | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = _with_procedures(neo4j_target)
    on_the_server = procedures.source_digest()
    monkeypatch.setattr(neo4j_store, "source_digest", lambda: "0")
    lenient = _store(target, None)
    await lenient.open()
    try:
        assert not lenient.searches_by_procedure
    finally:
        await lenient.close()
    strict = _store(target, True)
    wanted = rf"version '{on_the_server}' on the server, '0' needed"
    with pytest.raises(ConfigurationError, match=wanted):
        await strict.open()


async def test_a_store_told_not_to_use_the_procedures_searches_by_cypher(
    neo4j_target: Neo4jTarget | None,
) -> None:
    store = _store(_with_procedures(neo4j_target), False)
    await store.open()
    try:
        assert not store.searches_by_procedure
    finally:
        await store.close()


def test_without_a_jdk_a_server_starts_with_no_procedures_jar_and_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / f"{procedures.JAR_PREFIX}from-an-older-tiegraph.jar").write_bytes(b"old")

    def no_jdk(lib: Path, *, java: str) -> Path:
        raise procedures.ProceduresBuildError("`javac` is not on PATH")

    monkeypatch.setattr(procedures, "build", no_jdk)
    with caplog.at_level(logging.WARNING, logger=neo4j_server.__name__):
        neo4j_server._install_procedures(tmp_path / "lib", "java", plugins)
    assert list(plugins.iterdir()) == []
    assert "without tiegraph's procedures: `javac` is not on PATH" in caplog.text

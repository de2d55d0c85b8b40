"""tiegraph's own Neo4j procedures: built from source with the JDK, installed as a plugin.

The sources live next to the server's pom (`server/procedures/`). `build` compiles them with
`javac` against the jars of the Neo4j release that runs them and packs them into a jar kept
in the install's cache, named by a digest of the sources and the release: editing a source
builds a new jar, an unchanged one is built once. `start` in `server.py` copies that jar into
a server's plugins directory. A server without it still serves: the store then searches with
Cypher (see ``Neo4jStore``).

Only the JDK's own tools are used (no Maven plugins to fetch): `javac` and `jar`, found next
to the `java` that runs Neo4j or on PATH.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Final

__all__ = [
    "ProceduresBuildError",
    "build",
    "install_into",
    "source_digest",
    "sources",
]

SOURCES: Final = Path(__file__).parent / "server" / "procedures"
JAR_PREFIX: Final = "tiegraph-procedures-"
VERSION_RESOURCE: Final = "org/tiegraph/neo4j/version.txt"
"""Inside the jar: the digest of the sources it was built from, which
`tiegraph.proceduresVersion()` answers. The store uses the procedures only when that is the
digest of its own sources, so a server never runs a search older or newer than the code."""
_JAVA_RELEASE: Final = "17"
_BUILD_TIMEOUT_S: Final = 300.0


class ProceduresBuildError(RuntimeError):
    """Raised when the procedures cannot be compiled or packed."""


def sources() -> list[Path]:
    """The Java sources of the procedures, in a stable order."""
    return sorted(SOURCES.rglob("*.java"))


def source_digest() -> str:
    """The procedures' version: the first 16 hex digits of the SHA-256 of their sources'
    bytes, one after the other in the order of their paths (as the Docker Compose file
    computes it: ``find . -name '*.java' | LC_ALL=C sort | xargs cat | sha256sum``)."""
    digest = hashlib.sha256()
    for path in sorted(sources(), key=lambda p: p.relative_to(SOURCES).as_posix()):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def build(lib: Path, *, java: str) -> Path:
    """Return the procedures' jar for the Neo4j jars in ``lib``, compiling it if needed.

    The jar is written next to ``lib`` (in ``plugins/``) through a temporary name, so a build
    that is interrupted leaves nothing that looks finished.
    """
    files = sources()
    if not files:
        raise ProceduresBuildError(f"no procedure sources under {SOURCES}")
    version = source_digest()
    release = lib.resolve().parent.name  # the Neo4j release the jar is compiled against
    out_dir = lib.parent / "plugins"
    jar_path = out_dir / f"{JAR_PREFIX}{version}-{release}.jar"
    if jar_path.is_file():
        return jar_path
    javac = _jdk_tool("javac", java)
    jar_tool = _jdk_tool("jar", java)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="procedures-", dir=out_dir) as work:
        classes = Path(work) / "classes"
        classes.mkdir()
        _run(
            [
                javac,
                "--release",
                _JAVA_RELEASE,
                "-proc:none",
                "-nowarn",
                "-encoding",
                "UTF-8",
                "-cp",
                str(lib / "*"),
                "-d",
                str(classes),
                *map(str, files),
            ],
            "compile the procedures",
        )
        resource = classes / VERSION_RESOURCE
        resource.parent.mkdir(parents=True, exist_ok=True)
        resource.write_text(version + "\n", encoding="utf-8")
        packed = Path(work) / "procedures.jar"
        _run([jar_tool, "--create", "--file", str(packed), "-C", str(classes), "."], "pack them")
        os.replace(packed, jar_path)
    return jar_path


def install_into(jar: Path | None, plugins: Path) -> None:
    """Make ``jar`` the only tiegraph procedures jar in the server's ``plugins`` directory
    (``None``: none at all, so no outdated one is loaded)."""
    for old in plugins.glob(f"{JAR_PREFIX}*.jar"):
        if jar is None or old.name != jar.name:
            old.unlink(missing_ok=True)
    if jar is None:
        return
    target = plugins / jar.name
    if not target.is_file():
        temporary = plugins / f".{jar.name}.{os.getpid()}.tmp"
        shutil.copyfile(jar, temporary)
        os.replace(temporary, target)


def _jdk_tool(name: str, java: str) -> str:
    """The JDK tool ``name`` beside ``java`` (same JDK), else the one on PATH."""
    beside = Path(java).resolve().parent / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which(name)
    if found is None:
        raise ProceduresBuildError(
            f"`{name}` is not on PATH: a JDK (not only a JRE) builds tiegraph's Neo4j procedures"
        )
    return found


def _run(command: list[str], what: str) -> None:
    try:
        result = subprocess.run(  # noqa: S603 - fixed argv, no shell
            command, capture_output=True, text=True, timeout=_BUILD_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise ProceduresBuildError(f"could not {what}: {error}") from error
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip().splitlines()[-30:]
        raise ProceduresBuildError(
            f"could not {what} (exit {result.returncode}):\n" + "\n".join(output)
        )

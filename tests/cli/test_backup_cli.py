"""``tiegraph backup`` and ``restore``: a consistent copy while the store serves, put back whole."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from graph.adapters.embedded.store import EmbeddedStore
from graph.domain.model import Interaction, InteractionKind
from graph.ports import batch_of
from graph.samples.demo import core_batch
from tests.factories import at

runner = CliRunner()
PEOPLE = ["amir", "britt", "carl", "dina", "emil", "fatima", "gustav", "hanna", "lena"]


async def _ties(data_dir: Path) -> dict[str, list[tuple[str, str, float]]]:
    store = EmbeddedStore(data_dir)
    await store.open()
    try:
        ties = await store.ties_of(PEOPLE)
        return {p: sorted((t.a, t.b, round(t.score, 9)) for t in ts) for p, ts in ties.items()}
    finally:
        await store.close()


async def test_a_backup_taken_while_the_store_serves_restores_every_committed_write(
    app: typer.Typer, tmp_path: Path
) -> None:
    live = tmp_path / "live"
    store = EmbeddedStore(live)
    await store.open()
    await store.apply(core_batch())
    call = Interaction(
        key="late-call",
        at=at(500),
        kind=InteractionKind.CALL,
        participant_ids=("amir", "hanna"),
    )
    await store.apply(batch_of([call]))  # committed, still in the write-ahead log
    backup = tmp_path / "tiegraph.backup"
    taken = runner.invoke(app, ["backup", str(backup), "--data-dir", str(live)])
    assert taken.exit_code == 0, taken.output
    assert "wrote" in taken.output
    refused = runner.invoke(app, ["restore", str(backup), "--data-dir", str(live), "--replace"])
    assert refused.exit_code == 2
    assert "in use" in refused.output
    await store.close()

    restored = tmp_path / "restored"
    put_back = runner.invoke(app, ["restore", str(backup), "--data-dir", str(restored)])
    assert put_back.exit_code == 0, put_back.output
    assert await _ties(restored) == await _ties(live)
    assert any((a, b) == ("amir", "hanna") for a, b, _ in (await _ties(restored))["hanna"])


async def test_restore_refuses_a_damaged_backup_and_an_occupied_directory_and_changes_nothing(
    app: typer.Typer, tmp_path: Path
) -> None:
    live = tmp_path / "live"
    store = EmbeddedStore(live)
    await store.open()
    await store.apply(core_batch())
    await store.close()
    backup = tmp_path / "good.backup"
    assert runner.invoke(app, ["backup", str(backup), "--data-dir", str(live)]).exit_code == 0
    again = runner.invoke(app, ["backup", str(backup), "--data-dir", str(live)])
    assert again.exit_code == 2
    assert "exists" in again.output

    damaged = tmp_path / "damaged.backup"
    damaged.write_bytes(backup.read_bytes()[:5000])
    before = (live / "tiegraph.sqlite3").read_bytes()
    for args, reason in [
        (["restore", str(damaged), "--data-dir", str(live), "--replace"], "not a tiegraph"),
        (["restore", str(backup), "--data-dir", str(live)], "--replace"),
        (["restore", str(tmp_path / "missing"), "--data-dir", str(live)], "not a file"),
    ]:
        result = runner.invoke(app, args)
        assert result.exit_code == 2, result.output
        assert reason in result.output.replace("\n", " ")
    assert (live / "tiegraph.sqlite3").read_bytes() == before


async def _a_backup(app: typer.Typer, tmp_path: Path) -> Path:
    live = tmp_path / "live"
    store = EmbeddedStore(live)
    await store.open()
    await store.apply(core_batch())
    await store.close()
    backup = tmp_path / "good.backup"
    taken = runner.invoke(app, ["backup", str(backup), "--data-dir", str(live)])
    assert taken.exit_code == 0, taken.output
    return backup


@pytest.mark.parametrize(
    ("crafted", "named"),
    [
        pytest.param(
            "CREATE TRIGGER keep_aside AFTER DELETE ON records BEGIN"
            " INSERT INTO meta VALUES ('aside-' || old.id, old.data); END",
            "trigger 'keep_aside'",
            id="a trigger that keeps erased rows aside",
        ),
        pytest.param(
            "CREATE VIEW everyone AS SELECT * FROM records", "view 'everyone'", id="a view"
        ),
        pytest.param("CREATE TABLE stash (data BLOB)", "table 'stash'", id="an extra table"),
        pytest.param(
            "CREATE INDEX by_data ON records (data)", "index 'by_data'", id="an extra index"
        ),
        pytest.param(
            "ALTER TABLE audit ADD COLUMN erased_id TEXT",
            "altered table 'audit'",
            id="an altered table",
        ),
        pytest.param("DROP INDEX refs_of_record", "lacks the index 'refs_of_record'", id="less"),
        pytest.param(
            "DROP INDEX interactions_by_key",
            "lacks the index 'interactions_by_key'",
            id="interactions whose keys are not unique",
        ),
    ],
)
async def test_restore_refuses_a_backup_whose_schema_is_not_a_stores_and_names_the_object(
    app: typer.Typer, tmp_path: Path, crafted: str, named: str
) -> None:
    backup = await _a_backup(app, tmp_path)
    with contextlib.closing(sqlite3.connect(backup)) as conn:
        conn.execute(crafted)
        conn.commit()
    restored = tmp_path / "restored"

    result = runner.invoke(app, ["restore", str(backup), "--data-dir", str(restored)])

    assert result.exit_code == 2, result.output
    assert named in result.output.replace("\n", " ")
    assert not (restored / "tiegraph.sqlite3").exists()
    assert list(restored.glob("tiegraph.sqlite3*")) == []


async def test_a_backup_from_a_store_of_schema_version_1_is_restored_and_upgraded(
    app: typer.Typer, tmp_path: Path
) -> None:
    backup = await _a_backup(app, tmp_path)
    # What schema version 1 looked like: no scores, no group sizes, no saved tie index, no
    # change log.
    with contextlib.closing(sqlite3.connect(backup)) as conn:
        conn.execute("DROP TABLE tie_index")
        conn.execute("DROP TABLE changes")
        for column in ("score", "score_by_a", "score_by_b"):
            conn.execute(f"ALTER TABLE ties DROP COLUMN {column}")
        _make_keys_unique_by_the_table(conn, group_size=False)
        conn.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
        conn.commit()
    restored = tmp_path / "restored"

    result = runner.invoke(app, ["restore", str(backup), "--data-dir", str(restored)])

    assert result.exit_code == 0, result.output
    assert "schema version 1" in result.output
    assert (await _ties(restored))["amir"]


def _make_keys_unique_by_the_table(conn: sqlite3.Connection, *, group_size: bool) -> None:
    """Make the interactions table again as stores made before the named key index had it:
    the keys unique by a constraint of the table."""
    conn.execute("DROP INDEX interactions_by_key")
    conn.execute("ALTER TABLE interactions RENAME TO later")
    columns = "seq, key, at_us, kind, participants, initiator, duration_s, channel"
    conn.execute(
        "CREATE TABLE interactions (seq INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE,"
        " at_us INTEGER NOT NULL, kind TEXT NOT NULL, participants TEXT NOT NULL,"
        " initiator TEXT, duration_s INTEGER, channel TEXT"
        + (", group_size INTEGER)" if group_size else ")")
    )
    if group_size:
        columns += ", group_size"
    conn.execute(f"INSERT INTO interactions SELECT {columns} FROM later")  # noqa: S608
    conn.execute("DROP TABLE later")


async def test_a_backup_whose_keys_are_unique_by_a_constraint_of_the_table_is_restored_as_is(
    app: typer.Typer, tmp_path: Path
) -> None:
    backup = await _a_backup(app, tmp_path)
    with contextlib.closing(sqlite3.connect(backup)) as conn:
        _make_keys_unique_by_the_table(conn, group_size=True)
        conn.commit()
    restored = tmp_path / "restored"

    result = runner.invoke(app, ["restore", str(backup), "--data-dir", str(restored)])

    assert result.exit_code == 0, result.output
    assert (await _ties(restored))["amir"]
    with contextlib.closing(sqlite3.connect(restored / "tiegraph.sqlite3")) as conn:
        indexes = {name for _, name, *_ in conn.execute("PRAGMA index_list(interactions)")}
    assert indexes == {"sqlite_autoindex_interactions_1"}


async def test_a_backup_taken_before_stores_saved_their_tie_index_is_restored(
    app: typer.Typer, tmp_path: Path
) -> None:
    backup = await _a_backup(app, tmp_path)
    with contextlib.closing(sqlite3.connect(backup)) as conn:
        conn.execute("DROP TABLE tie_index")
        conn.execute("DELETE FROM meta WHERE key = 'tie_index_through'")
        conn.commit()
    restored = tmp_path / "restored"

    result = runner.invoke(app, ["restore", str(backup), "--data-dir", str(restored)])

    assert result.exit_code == 0, result.output
    assert (await _ties(restored))["amir"]


async def test_a_backup_taken_before_stores_kept_a_change_log_is_restored_with_one(
    app: typer.Typer, tmp_path: Path
) -> None:
    backup = await _a_backup(app, tmp_path)
    with contextlib.closing(sqlite3.connect(backup)) as conn:
        conn.execute("DROP TABLE changes")
        conn.commit()
    restored = tmp_path / "restored"

    result = runner.invoke(app, ["restore", str(backup), "--data-dir", str(restored)])

    assert result.exit_code == 0, result.output
    assert (await _ties(restored))["amir"]
    with contextlib.closing(sqlite3.connect(restored / "tiegraph.sqlite3")) as conn:
        assert conn.execute("SELECT count(*) FROM changes").fetchone() is not None


async def test_backups_and_restored_stores_are_readable_by_their_owner_only(
    app: typer.Typer, tmp_path: Path
) -> None:
    previous = os.umask(0o022)  # the usual umask, which would leave them world-readable
    try:
        backup = await _a_backup(app, tmp_path)
        restored = tmp_path / "restored" / "store"
        result = runner.invoke(app, ["restore", str(backup), "--data-dir", str(restored)])
        assert result.exit_code == 0, result.output
    finally:
        os.umask(previous)

    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert stat.S_IMODE(restored.stat().st_mode) == 0o700
    for path in restored.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name

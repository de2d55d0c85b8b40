"""``tiegraph backup`` and ``restore``: a consistent copy while the store serves, put back whole."""

from __future__ import annotations

from pathlib import Path

import typer
from typer.testing import CliRunner

from graph.adapters.embedded.store import EmbeddedStore
from graph.demo import core_batch
from graph.domain.model import Interaction, InteractionKind
from graph.ports import batch_of
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

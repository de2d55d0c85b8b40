"""The exports read every store alike: JSON Lines imported back into the emptied store gives
the same graph, and GraphML carries the strengths the insights use case gives, on each backend."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from graph.exporting import export_graphml, export_jsonl
from graph.importing.runner import import_files
from graph.ports import GraphStore
from graph.samples.demo import load_core_demo
from graph.usecases.insights import Insights
from graph.usecases.viewer import Viewer
from tests.importing.test_import_runner import everything
from tests.support.ties import assert_same_ties

AT = datetime(2024, 6, 1, 12, tzinfo=UTC)


def ties_by_pair(graph_: dict[str, Any]) -> dict[tuple[str, str], Any]:
    return {(t.a, t.b): t for found in graph_["ties"].values() for t in found}


async def test_jsonl_exported_then_imported_into_the_emptied_store_gives_the_same_graph(
    store: GraphStore, tmp_path: Path
) -> None:
    await load_core_demo(store)
    before = await everything(store)
    target = tmp_path / "network.jsonl"
    with target.open("wb") as sink:
        summary = await export_jsonl(store, sink)

    await store.delete_everything()
    assert (await everything(store))["person"] == []
    report = await import_files(store, [target])

    assert report.ok, report.problems
    assert summary.diverging == 0
    after = await everything(store)
    assert {k: v for k, v in after.items() if k != "ties"} == {
        k: v for k, v in before.items() if k != "ties"
    }
    assert_same_ties(ties_by_pair(after), ties_by_pair(before))


async def test_graphml_carries_each_ties_strength_as_the_insights_use_case_assesses_it(
    store: GraphStore,
) -> None:
    await load_core_demo(store)
    sink = io.BytesIO()

    summary = await export_graphml(store, sink, at=AT)

    read = nx.read_graphml(io.BytesIO(sink.getvalue()))
    insights = Insights(store, clock=lambda: AT)
    assert summary.written["tie"] == read.number_of_edges() > 0
    for a, b, values in read.edges(data=True):
        report = await insights.relationship(Viewer.admin("test"), a, b, at=AT)
        assert report is not None
        assert values["strength"] == pytest.approx(
            report.relationship.strength, rel=1e-9, abs=1e-15
        )
        assert values["count"] == report.relationship.tie.count

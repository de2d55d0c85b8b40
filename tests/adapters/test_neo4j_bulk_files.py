"""neo4j-admin's files as the bulk load writes them: tab-separated, quoted only where a cell
must be, read back as the values written (no server needed: the files alone)."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from graph.adapters.neo4j.bulk import _Table, _write_table

CELLS = st.one_of(
    st.none(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.text(alphabet=st.sampled_from('ab "\t\n\r,;|\\é'), max_size=8),
)


def written(table: _Table) -> bytes:
    out = io.BytesIO()
    _write_table(out, table)
    return out.getvalue()


def read_back(data: bytes) -> list[list[str]]:
    text = io.StringIO(data.decode("utf-8"), newline="")
    return list(csv.reader(text, delimiter="\t", quotechar='"'))


@given(st.lists(st.lists(CELLS, min_size=3, max_size=3), max_size=40))
def test_every_cell_reads_back_as_written_whatever_it_holds(rows: list[list[object]]) -> None:
    columns = [list(column) for column in zip(*rows, strict=True)] if rows else [[], [], []]

    lines = read_back(written(_Table(("a", "b:long", "c"), columns)))

    assert lines[0] == ["a", "b:long", "c"]
    expected = [["" if cell is None else str(cell) for cell in row] for row in rows]
    assert lines[1:] == expected


NO_CARRIAGE_RETURN = CELLS.filter(lambda cell: not (isinstance(cell, str) and "\r" in cell))


@given(st.lists(st.lists(NO_CARRIAGE_RETURN, min_size=2, max_size=2), min_size=1, max_size=40))
def test_the_bytes_are_those_the_csv_module_writes(rows: list[list[object]]) -> None:
    columns = [list(column) for column in zip(*rows, strict=True)]
    expected = io.StringIO(newline="")
    writer = csv.writer(expected, delimiter="\t", quotechar='"', lineterminator="\n")
    writer.writerow(["x", "y"])
    writer.writerows(rows)

    assert written(_Table(("x", "y"), columns)) == expected.getvalue().encode("utf-8")


def test_a_carriage_return_is_quoted_where_the_csv_module_leaves_it_bare() -> None:
    # A reader that ends lines at a carriage return would split the row there.
    assert written(_Table(("a", "b"), [["x\ry"], [1]])) == b'a\tb\n"x\ry"\t1\n'


def test_a_table_spanning_several_chunks_keeps_every_row_in_order() -> None:
    rows = 65_536 * 2 + 3
    table = _Table(
        ("n:long", "text"), [range(rows), ["x\ty" if n % 2 else "z" for n in range(rows)]]
    )

    lines = read_back(written(table))

    assert len(lines) == rows + 1
    assert lines[-1] == [str(rows - 1), "z"]
    assert lines[65_537] == ["65536", "z"]
    assert lines[65_538] == ["65537", "x\ty"]


def test_columns_of_different_lengths_are_refused() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        written(_Table(("a", "b"), [[1, 2], [1]]))

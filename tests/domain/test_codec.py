"""Every kind of record comes back from its encoding as it was, in either temporal form."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from graph.domain.codec import decode, encode
from graph.samples.synth import generate_network


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_a_record_decodes_to_itself_from_either_encoding(seed: int) -> None:
    records = list(generate_network(people=40, seed=seed).records())
    kinds = {type(record) for record in records}
    assert len(kinds) >= 8  # people, groups, meetings, attendance, interactions...
    for record in records:
        for temporal in ("iso", "native"):
            assert decode(type(record), encode(record, temporal=temporal)) == record

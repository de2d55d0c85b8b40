"""Reading the LDBC SNB Interactive v1 layout: what each table becomes, and what is refused."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from graph.domain.errors import InvalidInput, Problem
from graph.domain.model import (
    Group,
    Interaction,
    InteractionKind,
    Interest,
    Membership,
    MembershipRole,
    Organization,
    Person,
)
from graph.importing.ldbc import ldbc_batches, ldbc_records

T0 = 1_262_304_000_000
"""2010-01-01T00:00:00Z in epoch milliseconds."""
ON_T0 = datetime(2010, 1, 1, tzinfo=UTC)

# A three-person network: ann and bo know each other, cy knows bo; bo's post gets a reply from
# ann, ann's comment a reply from bo, and bo replies to his own comment (which is no contact).
TABLES: dict[str, list[str]] = {
    "static/tag_0_0.csv": ["id|name|url", "1|Jazz|u", "2|Supply_chain|u"],
    "static/place_0_0.csv": ["id|name|url|type", "10|Lyon|u|city", "11|France|u|country"],
    "static/organisation_0_0.csv": [
        "id|type|name|url",
        "20|company|Acme|u",
        "21|company|Globex|u",
        "22|university|Uni|u",
    ],
    "dynamic/person_0_0.csv": [
        "id|firstName|lastName|gender|birthday|creationDate|locationIP|browserUsed|language|email",
        f"100|Ann|Lee|female|0|{T0}|1.2.3.4|Firefox|en|ann@a.org;ann@b.org",
        f"101|Bo|van Dijk|male|0|{T0}|1.2.3.4|Firefox|en|",
        f"102|Cy Jo|Park|male|0|{T0}|1.2.3.4|Firefox|en|cy@c.org",
    ],
    "dynamic/person_isLocatedIn_place_0_0.csv": ["Person.id|Place.id", "100|10"],
    "dynamic/person_hasInterest_tag_0_0.csv": ["Person.id|Tag.id", "100|2", "100|1", "101|1"],
    "dynamic/person_workAt_organisation_0_0.csv": [
        "Person.id|Organisation.id|workFrom",
        "100|20|2008",
        "100|21|2011",
    ],
    "dynamic/person_knows_person_0_0.csv": [
        "Person.id|Person.id|creationDate",
        f"101|100|{T0}",
        f"101|102|{T0 + 1000}",
    ],
    "dynamic/forum_0_0.csv": ["id|title|creationDate", f"30|Wall of Bo|{T0}"],
    "dynamic/forum_hasModerator_person_0_0.csv": ["Forum.id|Person.id", "30|101"],
    "dynamic/forum_hasMember_person_0_0.csv": [
        "Forum.id|Person.id|joinDate",
        f"30|100|{T0 + 86_400_000}",
        f"30|101|{T0}",
    ],
    "dynamic/post_hasCreator_person_0_0.csv": ["Post.id|Person.id", "40|101"],
    "dynamic/comment_0_0.csv": [
        "id|creationDate|locationIP|browserUsed|content|length",
        f"50|{T0 + 5}|1.2.3.4|Firefox|nice|4",
        f"51|{T0 + 6}|1.2.3.4|Firefox|thanks|6",
        f"52|{T0 + 7}|1.2.3.4|Firefox|me too|6",
    ],
    "dynamic/comment_hasCreator_person_0_0.csv": [
        "Comment.id|Person.id",
        "50|100",
        "51|101",
        "52|101",
    ],
    "dynamic/comment_replyOf_post_0_0.csv": ["Comment.id|Post.id", "50|40"],
    "dynamic/comment_replyOf_comment_0_0.csv": ["Comment.id|Comment.id", "51|50", "52|51"],
}


def folder(root: Path, **changes: list[str]) -> Path:
    """Write the tables (with ``changes``, by file stem) as an LDBC folder under ``root``."""
    for name, lines in TABLES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(changes.get(path.stem, lines)) + "\n", encoding="utf-8")
    return root


def problems_reading(root: Path) -> list[Problem]:
    with pytest.raises(InvalidInput) as caught:
        ldbc_records(root)
    return caught.value.problems


def test_each_table_becomes_the_records_it_stands_for_in_reference_order(
    tmp_path: Path,
) -> None:
    records = [record for record, _ in ldbc_records(folder(tmp_path))]

    assert records == [
        Organization(id="21", name="Globex"),
        Interest(id="jazz", name="Jazz"),
        Interest(id="supply_chain", name="Supply_chain"),
        Person(
            id="100",
            name="Ann Lee",
            email="ann@a.org",
            location="Lyon",
            organization_id="21",
            interests=("Supply_chain", "Jazz"),
        ),
        Person(id="101", name="Bo van Dijk", interests=("Jazz",)),
        Person(id="102", name="Cy Jo Park", email="cy@c.org"),
        Group(id="30", name="Wall of Bo", leader_id="101", starts_on=date(2010, 1, 1)),
        Membership(group_id="30", person_id="100", joined_on=date(2010, 1, 2)),
        Membership(
            group_id="30", person_id="101", role=MembershipRole.LEADER, joined_on=date(2010, 1, 1)
        ),
        Interaction(
            key="ldbc:knows:100:101",
            at=ON_T0,
            kind=InteractionKind.CONNECTION,
            participant_ids=("101", "100"),
        ),
        Interaction(
            key="ldbc:knows:101:102",
            at=datetime(2010, 1, 1, 0, 0, 1, tzinfo=UTC),
            kind=InteractionKind.CONNECTION,
            participant_ids=("101", "102"),
        ),
        Interaction(
            key="ldbc:reply:50",
            at=datetime(2010, 1, 1, 0, 0, 0, 5_000, tzinfo=UTC),
            kind=InteractionKind.MESSAGE,
            participant_ids=("100", "101"),
            initiator_id="100",
            channel="reply-to-post",
        ),
        Interaction(
            key="ldbc:reply:51",
            at=datetime(2010, 1, 1, 0, 0, 0, 6_000, tzinfo=UTC),
            kind=InteractionKind.MESSAGE,
            participant_ids=("101", "100"),
            initiator_id="101",
            channel="reply-to-comment",
        ),
    ]


def test_every_record_is_labelled_with_the_line_it_comes_from(tmp_path: Path) -> None:
    records = ldbc_records(folder(tmp_path))
    by_key = {r.key: label for r, label in records if isinstance(r, Interaction)}
    assert by_key["ldbc:knows:101:102"] == "dynamic/person_knows_person_0_0.csv line 3"
    assert by_key["ldbc:reply:51"] == "dynamic/comment_replyOf_comment_0_0.csv line 2"


def test_batches_keep_reference_order_and_their_size(tmp_path: Path) -> None:
    batches = list(ldbc_batches(folder(tmp_path), batch_size=4))
    assert [len(b) for b in batches] == [4, 4, 4, 1]
    assert [len(batches[0].organizations), len(batches[0].interests)] == [1, 2]
    assert batches[0].label("person", 0, batches[0].people[0]).endswith("person_0_0.csv line 2")


def test_a_malformed_cell_is_refused_naming_file_line_and_column(tmp_path: Path) -> None:
    knows = [*TABLES["dynamic/person_knows_person_0_0.csv"][:2], "101|102|yesterday"]
    problems = problems_reading(folder(tmp_path, person_knows_person_0_0=knows))
    assert problems == [
        Problem(
            "dynamic/person_knows_person_0_0.csv line 3",
            "creationDate (column 3)",
            "yesterday",
            "must be a time in Unix epoch milliseconds",
        )
    ]


def test_every_bad_line_of_a_table_is_reported_at_once(tmp_path: Path) -> None:
    members = [
        "Forum.id|Person.id|joinDate",
        f"30|999|{T0}",
        f"30|100|{T0}|extra",
        f"30|abc|{T0}",
    ]
    problems = problems_reading(folder(tmp_path, forum_hasMember_person_0_0=members))
    assert [(p.record, p.field, p.reason) for p in problems] == [
        (
            "dynamic/forum_hasMember_person_0_0.csv line 2",
            "Person.id (column 2)",
            "no person has this id",
        ),
        (
            "dynamic/forum_hasMember_person_0_0.csv line 3",
            "(line)",
            "has 4 cells where the header has 3",
        ),
        (
            "dynamic/forum_hasMember_person_0_0.csv line 4",
            "Person.id (column 2)",
            "must be an LDBC id: a whole number >= 0, no leading zeros",
        ),
    ]


def test_a_repeated_pair_and_a_self_connection_are_refused(tmp_path: Path) -> None:
    knows = ["Person.id|Person.id|creationDate", f"101|100|{T0}", f"100|101|{T0}", f"102|102|{T0}"]
    problems = problems_reading(folder(tmp_path, person_knows_person_0_0=knows))
    assert [(p.record, p.reason) for p in problems] == [
        ("dynamic/person_knows_person_0_0.csv line 3", "repeats the pair of line 2"),
        ("dynamic/person_knows_person_0_0.csv line 4", "is the same person as in column 1"),
    ]


def test_an_unexpected_header_refuses_the_file(tmp_path: Path) -> None:
    problems = problems_reading(folder(tmp_path, forum_0_0=["id|name|creationDate", "30|x|0"]))
    assert problems == [
        Problem(
            "dynamic/forum_0_0.csv line 1",
            "(header)",
            "id|name|creationDate",
            "must be the header id|title|creationDate",
        )
    ]


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    root = folder(tmp_path)
    (root / "dynamic" / "comment_0_0.csv").unlink()
    [problem] = problems_reading(root)
    assert (problem.record, problem.field) == ("dynamic/comment_0_0.csv", "(file)")
    assert problem.reason.startswith("cannot be read")


def test_a_folder_holding_vanilla_is_read_like_vanilla_itself(tmp_path: Path) -> None:
    folder(tmp_path / "vanilla")
    assert ldbc_records(tmp_path) == ldbc_records(tmp_path / "vanilla")

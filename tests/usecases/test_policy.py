"""The policy's rules, pinned: what each kind of caller may and may not do."""

from __future__ import annotations

from dataclasses import replace

import pytest

from graph.domain.errors import Forbidden, NotFound
from graph.usecases.policy import Action, Facts, authorize, authorize_or_hide, may
from graph.usecases.viewer import Role, Viewer


def member(person: str) -> Viewer:
    return Viewer(person_id=person, roles=frozenset({Role.MEMBER}), subject=person)


def leader(person: str) -> Viewer:
    return Viewer(person_id=person, roles=frozenset({Role.LEADER}), subject=person)


ADMIN = Viewer.admin()


def test_anyone_signed_in_reads_public_profiles_and_groups() -> None:
    assert may(member("ada"), Action.READ_PUBLIC_PROFILE)
    assert may(member("ada"), Action.READ_GROUP, Facts(groups=["g"]))


def test_a_person_writes_their_own_profile_and_nobody_elses() -> None:
    assert may(member("ada"), Action.WRITE_PERSON, Facts(people=["ada"]))
    assert not may(member("ada"), Action.WRITE_PERSON, Facts(people=["bo"]))
    assert not may(leader("ada"), Action.WRITE_PERSON, Facts(people=["bo"]))


def test_contacts_are_recorded_by_those_who_took_part() -> None:
    assert may(member("ada"), Action.RECORD_CONTACT, Facts(people=["ada", "bo"]))
    assert not may(member("cy"), Action.RECORD_CONTACT, Facts(people=["ada", "bo"]))


def test_a_leader_records_events_only_for_groups_they_lead() -> None:
    mine = Facts(groups=["g"], led_by_viewer={"g"})
    theirs = Facts(groups=["h"], led_by_viewer={"g"})
    assert may(leader("lena"), Action.RECORD_GROUP_EVENT, mine)
    assert not may(leader("lena"), Action.RECORD_GROUP_EVENT, theirs)
    # Leading a group is not enough without the leader role, and vice versa.
    assert not may(member("lena"), Action.RECORD_GROUP_EVENT, mine)


def test_members_and_leaders_see_their_groups_details_but_outsiders_do_not() -> None:
    assert may(member("bo"), Action.READ_GROUP_DETAILS, Facts(groups=["g"], member_of={"g"}))
    assert may(leader("lena"), Action.READ_GROUP_DETAILS, Facts(groups=["g"], led_by_viewer={"g"}))
    assert not may(member("cy"), Action.READ_GROUP_DETAILS, Facts(groups=["g"]))


def test_private_profiles_are_for_the_person_and_their_leaders() -> None:
    assert may(member("ada"), Action.READ_PRIVATE_PROFILE, Facts(people=["ada"]))
    assert may(
        leader("lena"),
        Action.READ_PRIVATE_PROFILE,
        Facts(people=["ada"], groups=["g"], led_by_viewer={"g"}),
    )
    assert not may(member("bo"), Action.READ_PRIVATE_PROFILE, Facts(people=["ada"]))


def test_only_admins_read_statistics_and_admins_may_do_anything() -> None:
    assert not may(leader("lena"), Action.READ_STATISTICS)
    assert all(may(ADMIN, action) for action in Action)


def test_a_refusal_names_what_was_refused() -> None:
    with pytest.raises(Forbidden, match="not allowed to erase a person"):
        authorize(member("ada"), Action.ERASE_PERSON, Facts(people=["bo"]))


def test_a_viewer_without_roles_may_do_nothing() -> None:
    nobody = Viewer(person_id=None, roles=frozenset(), subject="anonymous")
    assert not any(may(nobody, action, Facts(people=["ada"])) for action in Action)


def test_a_group_write_needs_the_viewer_as_its_new_and_its_stored_leader() -> None:
    led = Facts(groups=["g"], led_by_viewer={"g"})
    assert may(leader("lena"), Action.WRITE_GROUP, replace(led, people=["lena", "lena"]))
    assert not may(leader("lena"), Action.WRITE_GROUP, replace(led, people=["carl", "lena"]))
    # A co-leader (led by membership) does not make themselves the group's leader.
    assert not may(leader("carl"), Action.WRITE_GROUP, replace(led, people=["carl", "lena"]))


def test_a_group_event_names_only_the_groups_members() -> None:
    mine = Facts(groups=["g"], led_by_viewer={"g"}, people=["ada"])
    assert may(leader("lena"), Action.RECORD_GROUP_EVENT, replace(mine, members={"ada"}))
    assert not may(leader("lena"), Action.RECORD_GROUP_EVENT, mine)


def test_only_the_person_or_an_admin_moves_a_membership_on() -> None:
    mine = Facts(groups=["g"], led_by_viewer={"g"})
    assert may(leader("lena"), Action.ENROL_DIRECTLY, replace(mine, people=["lena"]))
    assert not may(leader("lena"), Action.ENROL_DIRECTLY, replace(mine, people=["ada"]))
    assert may(member("ada"), Action.ANSWER_INVITATION, Facts(people=["ada"]))
    assert not may(leader("lena"), Action.ANSWER_INVITATION, Facts(people=["ada"]))
    assert may(ADMIN, Action.ENROL_DIRECTLY, Facts(people=["ada"]))


def test_a_contact_is_recorded_as_the_viewer_in_groups_they_belong_to() -> None:
    both = Facts(people=["ada", "bo"])
    assert may(member("ada"), Action.RECORD_CONTACT, replace(both, initiator="ada"))
    assert not may(member("ada"), Action.RECORD_CONTACT, replace(both, initiator="bo"))
    tagged = replace(both, groups=["g"])
    assert may(member("ada"), Action.RECORD_CONTACT, replace(tagged, member_of={"g"}))
    assert not may(member("ada"), Action.RECORD_CONTACT, tagged)
    # Leading the group is no licence to record others' conversations.
    led = replace(tagged, led_by_viewer={"g"})
    assert not may(leader("lena"), Action.RECORD_CONTACT, led)


def test_introductions_and_stored_directory_entries_are_written_directly_only_by_admins() -> None:
    assert not may(member("ada"), Action.IMPORT_INTRODUCTION, Facts(people=["ada"]))
    assert not may(leader("lena"), Action.AMEND_DIRECTORY)
    assert may(ADMIN, Action.IMPORT_INTRODUCTION)


def test_a_hidden_refusal_reads_as_an_unknown_record() -> None:
    with pytest.raises(NotFound) as refused:
        authorize_or_hide(
            member("ada"), Action.ANSWER_INVITATION, Facts(people=["bo"]), entity="x", key="k"
        )
    assert str(refused.value) == str(NotFound("x", "k"))


def test_consent_flags_and_blocks_are_the_persons_own_even_for_their_leader() -> None:
    assert may(member("ada"), Action.READ_CONSENT, Facts(people=["ada"]))
    led = Facts(people=["bo"], groups=["g"], led_by_viewer={"g"})
    assert may(leader("lena"), Action.READ_PRIVATE_PROFILE, led)
    assert not may(leader("lena"), Action.READ_CONSENT, led)
    assert not may(member("ada"), Action.READ_CONSENT, Facts(people=["bo"]))
    assert may(ADMIN, Action.READ_CONSENT, Facts(people=["bo"]))

"""The keys people are matched by: e-mail addresses, profile URLs and names, normalized once."""

from __future__ import annotations

import string
import unicodedata
from typing import Literal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from graph.ports import email_key, person_name_key, profile_url_key

hosts = st.from_regex(r"[a-z][a-z0-9-]{0,10}\.(com|se|org)", fullmatch=True)
# No '%': an encoded letter and the letter itself are one path, by design.
segments = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Z", "Cc"), blacklist_characters="/?#%"),
    min_size=1,
    max_size=12,
)
paths = st.lists(segments, min_size=1, max_size=3).map(lambda parts: "/" + "/".join(parts))
queries = st.text(alphabet=string.ascii_letters + string.digits + "=&_", max_size=12)


@given(st.text(max_size=60))
def test_a_profile_url_key_is_its_own_key(text: str) -> None:
    key = profile_url_key(text)
    if key is not None:
        assert profile_url_key(key) == key


@given(st.text(max_size=40))
def test_an_email_key_is_its_own_key(text: str) -> None:
    key = email_key(text)
    if key is not None:
        assert email_key(key) == key


@given(hosts, paths, queries, st.booleans(), st.booleans(), st.booleans())
def test_scheme_host_case_www_trailing_slash_and_query_do_not_change_the_key(
    host: str, path: str, query: str, upper: bool, www: bool, http: bool
) -> None:
    plain = profile_url_key(f"https://{host}{path}")
    shown_host = ("www." if www else "") + (host.upper() if upper else host)
    spelled = f"{'http' if http else 'HTTPS'}://{shown_host}{path}/?{query}#top"

    assert plain is not None
    assert profile_url_key(spelled) == plain


@given(hosts, paths, paths)
def test_different_paths_give_different_keys(host: str, one: str, other: str) -> None:
    if one.rstrip("/") != other.rstrip("/"):
        assert profile_url_key(f"https://{host}{one}") != profile_url_key(f"https://{host}{other}")


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("https://www.linkedin.com/in/ada-lind/", "https://linkedin.com/in/ada-lind"),
        ("http://LinkedIn.com/in/ada-lind?trk=x", "https://linkedin.com/in/ada-lind"),
        ("se.linkedin.com/in/ada-lind", "https://linkedin.com/in/ada-lind"),
        ("https://www.linkedin.com/in/j%c3%b6rg", "https://linkedin.com/in/j%C3%B6rg"),
        ("https://www.linkedin.com/in/jörg", "https://linkedin.com/in/j%C3%B6rg"),
        ("https://example.com:8443/people/Ada", "https://example.com/people/Ada"),
        ("  https://example.com/a b  ", "https://example.com/a%20b"),
    ],
)
def test_profile_url_keys(url: str, key: str) -> None:
    assert profile_url_key(url) == key


@pytest.mark.parametrize(
    "url",
    [
        "",
        "   ",
        "https://www.linkedin.com",
        "https://linkedin.com/",
        "mailto:a@b.se",
        "ftp://x.se/a",
    ],
)
def test_what_is_no_http_url_with_a_path_has_no_key(url: str) -> None:
    assert profile_url_key(url) is None


@pytest.mark.parametrize(
    ("address", "key"),
    [(" Ada.Lind@Example.ORG ", "ada.lind@example.org"), ("bo@x", "bo@x")],
)
def test_email_keys(address: str, key: str) -> None:
    assert email_key(address) == key


@pytest.mark.parametrize("address", ["", "ada", "@example.org", "ada@", "ada lind@example.org"])
def test_what_is_no_address_has_no_key(address: str) -> None:
    assert email_key(address) is None


@given(st.text(max_size=40))
def test_a_person_name_key_is_its_own_key(text: str) -> None:
    key = person_name_key(text)
    if key is not None:
        assert person_name_key(key) == key


words = st.text(alphabet=st.characters(categories=("Lu", "Ll", "Lo", "Nd")), min_size=1, max_size=8)
spaces = st.text(alphabet=" \t\u00a0\u2003", min_size=1, max_size=3)


@given(
    st.lists(words, min_size=1, max_size=4), spaces, st.booleans(), st.sampled_from(["NFC", "NFD"])
)
def test_case_white_space_and_composition_do_not_change_a_name_key(
    parts: list[str], space: str, folded: bool, form: Literal["NFC", "NFD"]
) -> None:
    name = " ".join(parts)
    spelled = space + space.join(p.casefold() if folded else p for p in parts) + space
    spelled = unicodedata.normalize(form, spelled)

    assert person_name_key(spelled) == person_name_key(name)


def test_upper_case_names_key_as_written_ones() -> None:
    assert person_name_key("CARL EK") == person_name_key("Carl Ek") == "carl ek"
    assert person_name_key("ÅSA ÖBERG") == person_name_key("Åsa Öberg") == "åsa öberg"


@pytest.mark.parametrize(
    ("a", "b"),
    [("Ćarl Ek", "Carl Ek"), ("Öberg", "Oberg"), ("Anna-Karin Ek", "Anna Karin Ek")],
)
def test_accents_and_hyphens_count_in_a_name_key(a: str, b: str) -> None:
    assert person_name_key(a) != person_name_key(b)


def test_a_blank_name_has_no_key() -> None:
    assert person_name_key(" \t\u00a0") is None

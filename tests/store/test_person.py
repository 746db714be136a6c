"""Who is one person: `cctrace.store.users.person_of`, the key the four-eyes rule compares
(issue 16: never the case's own owner, even through a second account of the same name)."""

from __future__ import annotations

import pytest

from cctrace.store.users import person_of


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("dr-kim", "Dr-Kim"),
        ("Dr Kim", "dr  kim"),
        ("dr kim", " dr kim "),
        ("ｄｒ－ｋｉｍ", "dr-kim"),  # full-width letters, as some keyboards type them
        ("STRASSE", "straße"),
    ],
)
def test_the_same_person(a: str, b: str) -> None:
    assert person_of(a) == person_of(b)


@pytest.mark.parametrize(("a", "b"), [("dr-kim", "dr-kim2"), ("dr-kim", "dr-ng"), ("kim", "k im")])
def test_other_people(a: str, b: str) -> None:
    assert person_of(a) != person_of(b)

"""Human words for every value the report prints."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone

import pytest

from cctrace.report import words


@pytest.mark.parametrize(
    ("value", "text"),
    [(True, "masked"), (False, "not masked"), (None, "unknown (face too small or not seen)")],
)
def test_mask_state_in_words(value: bool | None, text: str) -> None:
    assert words.mask_state(value) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.0, "0 s"),
        (44.6, "45 s"),
        (252.0, "4 min 12 s"),
        (900.0, "15 min"),
        (3900.0, "1 h 05 min"),
        (86400.0, "24 h"),
        (math.nan, "—"),
    ],
)
def test_duration(seconds: float, text: str) -> None:
    assert words.duration(seconds) == text


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (datetime(2026, 12, 7, 10, 2, 13, tzinfo=UTC), "2026-12-07 10:02:13 UTC"),
        (datetime(2026, 12, 7, 10, 2, 13), "2026-12-07 10:02:13 UTC"),
        (
            datetime(2026, 12, 7, 19, 2, 13, tzinfo=timezone(timedelta(hours=9))),
            "2026-12-07 10:02:13 UTC",
        ),
    ],
)
def test_when_is_utc(moment: datetime, text: str) -> None:
    assert words.when(moment) == text


@pytest.mark.parametrize(
    ("iso", "text"),
    [
        ("2026-12-07T10:02:13+00:00", "2026-12-07 10:02:13 UTC"),
        ("2026-12-07T10:02:13.734+00:00", "2026-12-07 10:02:13 UTC"),
        ("2026-12-07T10:02:13Z", "2026-12-07 10:02:13 UTC"),
        ("2026-12-07T11:02:13+01:00", "2026-12-07 10:02:13 UTC"),
    ],
)
def test_trace_times(iso: str, text: str) -> None:
    assert words.when(words.parse_time(iso)) == text


@pytest.mark.parametrize(("value", "text"), [(True, "yes"), (False, "no"), (None, "unknown")])
def test_yes_no_unknown(value: bool | None, text: str) -> None:
    assert words.yes_no_unknown(value) == text


@pytest.mark.parametrize(
    ("share", "text"), [(None, "unknown"), (math.nan, "unknown"), (0.0, "0%"), (0.404, "40%")]
)
def test_percent(share: float | None, text: str) -> None:
    assert words.percent(share) == text


@pytest.mark.parametrize(
    ("text", "shown"), [(None, "—"), ("", "—"), ("  ", "—"), (" Hall ", "Hall")]
)
def test_or_dash(text: str | None, shown: str) -> None:
    assert words.or_dash(text) == shown


@pytest.mark.parametrize(
    ("length_m", "text"), [(0.5, "0.5 m"), (5.0, "5 m"), (200.0, "200 m"), (2000.0, "2 km")]
)
def test_length_label(length_m: float, text: str) -> None:
    assert words.length_label(length_m) == text


def test_distances_never_print_nan() -> None:
    assert words.metres(math.nan) == "—"
    assert words.number(math.inf) == "—"
    assert words.minutes(math.nan) == "—"
    assert words.metres(1.2) == "1.20 m"

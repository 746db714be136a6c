"""Human words for the report: times, durations, distances, yes/no/unknown.

A report is filed by people, so no raw literal (``None``, ``True``, ``nan``, ISO
strings with a ``T``) ever reaches it: every value passes through one of these.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

DASH = "—"
"""Shown where a value is missing (no site, no encounter time)."""


def as_utc(moment: datetime) -> datetime:
    """``moment`` in UTC; a naive datetime is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def parse_time(iso: str) -> datetime:
    """An ISO 8601 string of the trace's JSON (``StayOut.start``) as a UTC datetime."""
    return as_utc(datetime.fromisoformat(iso))


def when(moment: datetime) -> str:
    """``2026-12-07 10:02:13 UTC``."""
    return as_utc(moment).strftime("%Y-%m-%d %H:%M:%S UTC")


def clock(moment: datetime) -> str:
    """``10:02:13`` (UTC), for tables whose header says the day."""
    return as_utc(moment).strftime("%H:%M:%S")


def yes_no(value: bool) -> str:
    return "yes" if value else "no"


def yes_no_unknown(value: bool | None) -> str:
    return "unknown" if value is None else yes_no(value)


MASK_UNKNOWN = "unknown (face too small or not seen)"


def mask_state(masked: bool | None) -> str:
    """``masked``, ``not masked`` or, when no face wide enough to tell was seen (faces
    under `cctrace.vision.mask.MIN_VOTE_FACE_PX` cast no vote), `MASK_UNKNOWN`; never
    a bare "yes" a reader could take for evidence."""
    if masked is None:
        return MASK_UNKNOWN
    return "masked" if masked else "not masked"


def or_dash(text: str | None) -> str:
    """``text``, or a dash when it is missing or blank."""
    return text.strip() if text and text.strip() else DASH


def duration(seconds: float) -> str:
    """``45 s``, ``4 min 12 s``, ``15 min``, ``1 h 05 min``, ``24 h`` (to the second)."""
    if not math.isfinite(seconds):
        return DASH
    total = round(max(0.0, seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min" if minutes or secs else f"{hours} h"
    if minutes:
        return f"{minutes} min {secs:02d} s" if secs else f"{minutes} min"
    return f"{secs} s"


def minutes(seconds: float) -> str:
    """Exposure as minutes with one decimal: ``12.5``."""
    return f"{seconds / 60:.1f}" if math.isfinite(seconds) else DASH


def metres(value_m: float, digits: int = 2) -> str:
    """``1.20 m``; a dash when the distance is unknown (NaN, infinite)."""
    return f"{value_m:.{digits}f} m" if math.isfinite(value_m) else DASH


def number(value: float, digits: int = 2) -> str:
    """A plain number for CSV cells: ``1.20``; a dash when unknown."""
    return f"{value:.{digits}f}" if math.isfinite(value) else DASH


def percent(share: float | None) -> str:
    """``40%``; ``unknown`` when there is no share (no face seen)."""
    if share is None or not math.isfinite(share):
        return "unknown"
    return f"{share:.0%}"


def length_label(length_m: float) -> str:
    """A scale-bar length: ``5 m``, ``200 m``, ``2 km``, ``0.5 m``."""
    if length_m >= 1000:
        return f"{length_m / 1000:g} km"
    return f"{length_m:g} m"


EVIDENCE_WORDS = {
    "face": "face match",
    "track": "followed along the track",
    "appearance": "appearance (clothing, body)",
}


def evidence_words(evidence: str) -> str:
    """How a stay was found, in words (an unknown kind is shown as it is)."""
    return EVIDENCE_WORDS.get(evidence, evidence)

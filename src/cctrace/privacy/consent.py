"""The consent gate: no case, and so no search, without a consent record.

A consent record names who consented and when, and keeps the SHA-256 of the scanned
consent form (the form itself stays with the health authority's records, not here).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cctrace.core.errors import InputError

MAX_FORM_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class Consent:
    given_by: str
    date: datetime
    form_sha256: str


def parse_time(text: str, what: str, field: str | None = None) -> datetime:
    """An ISO 8601 time (date alone means midnight UTC; no zone means UTC)."""
    try:
        t = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InputError(
            f"{what} {text!r} is not an ISO 8601 time; write it like 2026-03-01T08:30:00+01:00",
            field=field,
        ) from None
    return (t if t.tzinfo else t.replace(tzinfo=UTC)).astimezone(UTC)


def read_consent(form: Path | None, given_by: str, date_text: str, now: datetime) -> Consent:
    """Check a consent record; InputError (exit 2) saying what is missing or wrong."""
    if form is None:
        raise InputError(
            "no consent: attach the scanned, signed consent form (the consent file); "
            "no case is opened without it",
            field="consent_file",
        )
    if not form.exists():
        raise InputError(
            f"consent file {form}: no such file; no case is opened without consent",
            field="consent_file",
        )
    if not form.is_file():
        raise InputError(f"consent file {form}: not a regular file", field="consent_file")
    try:
        size = form.stat().st_size
        if size == 0:
            raise InputError(
                f"consent file {form} is empty; scan the signed form again", field="consent_file"
            )
        if size > MAX_FORM_BYTES:
            raise InputError(
                f"consent file {form}: {size} bytes is over the 50 MB limit", field="consent_file"
            )
        digest = hashlib.sha256(form.read_bytes()).hexdigest()
    except OSError as exc:
        raise InputError(f"consent file {form}: cannot read it ({exc.strerror})") from None
    who = given_by.strip()
    if not who:
        raise InputError(
            "--consent-given-by is empty: name the person who consented", field="consent_given_by"
        )
    date = parse_time(date_text, "--consent-date", "consent_date")
    if date > now + timedelta(minutes=5):
        raise InputError(
            f"--consent-date {date.isoformat()} lies in the future", field="consent_date"
        )
    return Consent(who, date, digest)

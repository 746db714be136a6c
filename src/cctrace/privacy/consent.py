"""The consent gate: no case, and so no search, without a consent record.

A consent record names who consented and when, the health authority's diagnosis
reference, and keeps the SHA-256 of the scanned consent form (the form itself stays with
the health authority's records, not here). The form must be a document by its content: a
PDF with at least one page, or a JPEG or PNG scan large enough to read.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cctrace.core.errors import InputError

MAX_FORM_BYTES = 50 * 1024 * 1024
MIN_SCAN_SIDE_PX = 400
"""A scanned or photographed A4 page is legible from about 50 dpi (413 x 585 px); below
that the signature and the text cannot be read back, so it is no record of consent."""
MAX_DIAGNOSIS_REF = 200


@dataclass(frozen=True)
class Consent:
    given_by: str
    date: datetime
    form_sha256: str
    diagnosis_ref: str = ""


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


def check_form(data: bytes, name: str) -> None:
    """InputError (exit 2) naming ``name`` unless ``data`` is a PDF with a page or a
    readable JPEG/PNG image, judged by content (magic bytes, then parsed), never by name."""
    if data.startswith(b"%PDF-"):
        _check_pdf(data, name)
    elif data.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")):
        _check_image(data, name)
    else:
        raise InputError(
            f"consent file {name} is not a PDF, JPEG or PNG document: attach the scanned, "
            "signed consent form itself",
            field="consent_file",
        )


def _check_pdf(data: bytes, name: str) -> None:
    import io
    import logging

    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # its warnings are not the user's
    try:
        pages = len(PdfReader(io.BytesIO(data), strict=False).pages)
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
        pages = 0
    if pages < 1:
        raise InputError(
            f"consent file {name} is not a readable PDF with a page: scan the signed form again",
            field="consent_file",
        )


def _check_image(data: bytes, name: str) -> None:
    import cv2
    import numpy as np

    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)
    if image is None:
        raise InputError(
            f"consent file {name} is not a readable JPEG or PNG image: scan the form again",
            field="consent_file",
        )
    h, w = image.shape[:2]
    if min(h, w) < MIN_SCAN_SIDE_PX:
        raise InputError(
            f"consent file {name} is a {w} x {h} pixel image, too small to read a signed "
            f"form: scan it with at least {MIN_SCAN_SIDE_PX} pixels on its short side",
            field="consent_file",
        )


def read_consent(
    form: Path | None,
    given_by: str,
    date_text: str,
    now: datetime,
    diagnosis_ref: str = "",
    form_name: str | None = None,
) -> Consent:
    """Check a consent record; InputError (exit 2) saying what is missing or wrong.

    ``form_name``: how to name the form in an error (an upload's own file name)."""
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
        data = form.read_bytes()
    except OSError as exc:
        raise InputError(f"consent file {form}: cannot read it ({exc.strerror})") from None
    check_form(data, form_name or str(form))
    digest = hashlib.sha256(data).hexdigest()
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
    ref = " ".join(diagnosis_ref.split())
    if not ref:
        raise InputError(
            "the diagnosis reference is empty: give the health authority's case or lab report "
            "number",
            field="diagnosis_ref",
        )
    if len(ref) > MAX_DIAGNOSIS_REF:
        raise InputError(
            f"the diagnosis reference is {len(ref)} characters long; at most {MAX_DIAGNOSIS_REF}",
            field="diagnosis_ref",
        )
    return Consent(who, date, digest, ref)

"""Opening a case: a consented patient, reference faces, a time window and a region."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from pathlib import Path

import numpy as np

from cctrace.core.errors import AuthError, CctraceError, InputError, NoFaceError
from cctrace.privacy.consent import Consent
from cctrace.store.records import CaseRecord, CaseReference, User
from cctrace.store.repository import Store
from cctrace.trace.types import CaseQuery
from cctrace.video.images import load_image
from cctrace.vision.analyze import FaceAnalyzer

MIN_REFERENCE_QUALITY = 0.05
"""Below this a reference face is too small, blurred or turned away to search with."""


def reference_faces(
    photos: list[Path], analyzer: FaceAnalyzer, names: list[str] | None = None
) -> list[CaseReference]:
    """The largest face of each photo; NoFaceError (exit 3) naming a photo without one.

    ``names``: what to call each photo in an error (an upload's file name rather than the
    temporary file it was streamed to)."""
    refs = []
    for k, photo in enumerate(photos):
        name = names[k] if names is not None else str(photo)
        try:
            image = load_image(photo)
            analysis = analyzer.analyze(image)
            i = analysis.largest(str(photo))
        except CctraceError as exc:
            exc.message = exc.message.replace(str(photo), name)
            exc.args = (exc.message,)
            exc.field = "patient_photo"
            raise
        if float(analysis.quality[i]) < MIN_REFERENCE_QUALITY:
            raise NoFaceError(
                f"{name}: the face is too small, blurred or turned away to search with "
                f"(quality {float(analysis.quality[i]):.2f}); use a sharper, frontal photo",
                field="patient_photo",
            )
        refs.append(
            CaseReference(
                photo_sha256=hashlib.sha256(photo.read_bytes()).hexdigest(),
                quality=float(analysis.quality[i]),
                embedding=np.asarray(analysis.embedding[i], np.float32),
            )
        )
    return refs


def region_cameras(
    store: Store, site: str | None, camera_ids: list[str] | None
) -> tuple[str, ...] | None:
    """The cameras a case may search: a site's, a list, or None for every camera."""
    if site and camera_ids:
        raise InputError("give --site or --cameras, not both")
    if site:
        ids = tuple(c.camera_id for c in store.list_cameras() if c.site == site)
        if not ids:
            raise InputError(f"site {site!r} has no camera; see `cctrace cameras list`")
        return ids
    if camera_ids:
        for cid in camera_ids:
            store.require_camera(cid)
        return tuple(dict.fromkeys(camera_ids))
    return None


def check_window(t_from: datetime, t_to: datetime, now: datetime, max_days: int) -> None:
    """A case's window fits an infection: it ends after it starts, no later than ``now``
    (the case's opening: nobody consents to footage not yet recorded) and spans at most
    ``max_days`` days. InputError naming the field otherwise."""
    if t_to <= t_from:
        raise InputError(
            f"--to {t_to.isoformat()} must be after --from {t_from.isoformat()}", field="to"
        )
    if t_to > now:
        raise InputError(
            f"--to {t_to.isoformat()} lies after the case is opened ({now:%Y-%m-%dT%H:%M}Z): "
            "a case's window ends no later than now",
            field="to",
        )
    span_days = (t_to - t_from).total_seconds() / 86400
    if span_days > max_days:
        raise InputError(
            f"the window from {t_from.isoformat()} to {t_to.isoformat()} spans "
            f"{span_days:.1f} days, over the limit of {max_days} days (max_case_window_days): "
            "narrow --from to the patient's infectious period",
            field="from",
        )


def check_region(store: Store, cameras: tuple[str, ...] | None, max_cameras: int) -> None:
    """A case without a region searches every camera only while there are at most
    ``max_cameras``; above that it must name a site or cameras."""
    if cameras is not None:
        return
    total = len(store.list_cameras())
    if total > max_cameras:
        raise InputError(
            f"this system has {total} cameras, more than the {max_cameras} a case may search "
            "without a region (max_case_cameras): give --site or --cameras",
            field="site",
        )


def open_case(
    store: Store,
    owner: User,
    consent: Consent,
    references: list[CaseReference],
    t_from: datetime,
    t_to: datetime,
    label: str = "",
    site: str | None = None,
    camera_ids: list[str] | None = None,
) -> CaseRecord:
    """Store a pending case (a supervisor approves it before it is traced). The window and
    the region's size are checked by the caller first (`check_window`, `check_region`)."""
    cameras = region_cameras(store, site, camera_ids)
    case = CaseRecord(
        case_id=f"case-{secrets.token_hex(6)}",
        owner_id=owner.user_id,
        label=label,
        consent_given_by=consent.given_by,
        consent_date=consent.date,
        consent_sha256=consent.form_sha256,
        t_from_s=t_from.timestamp(),
        t_to_s=t_to.timestamp(),
        site=site,
        camera_ids=cameras,
        diagnosis_ref=consent.diagnosis_ref,
    )
    return store.create_case(case, references)


def case_query(store: Store, case: CaseRecord) -> CaseQuery:
    """The search an open case allows; InputError for a closed case or one without a face.

    Who may search it (the role, the case's owner) is decided before, by
    `cctrace.services.auth.authorize`."""
    if case.status in ("closed", "rejected"):
        raise InputError(
            f"case {case.case_id} is {case.status} and its reference faces were destroyed, so "
            "it cannot be traced: open a new case, with the patient's consent, to trace again"
        )
    if case.status != "approved":
        # `authorize` refuses this first; kept here so no path searches an unapproved case.
        raise AuthError(f"case {case.case_id} is {case.status}: a supervisor's approval is missing")
    refs = store.case_references(case.case_id)
    if not refs:
        raise InputError(f"case {case.case_id} has no reference face")
    return CaseQuery(
        case_id=case.case_id,
        reference_embeddings=np.stack([r.embedding for r in refs]).astype(np.float32),
        t_from_s=case.t_from_s,
        t_to_s=case.t_to_s,
        camera_ids=case.camera_ids,
    )

"""Sighting rows: a `Sighting` to its row and back, and the bound on how long one lasts.

Shared by the repositories that write sightings (ingest checkpoints, bulk loads) and
those that read them (windows, screening): module functions, not methods, so that no
repository has to derive from another to use them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Double, select, update
from sqlalchemy import cast as cast_
from sqlalchemy.orm import Session

from cctrace.core.types import Sighting
from cctrace.store.codecs import (
    APPEARANCE,
    FACE,
    THUMBNAIL,
    decode_appearance,
    decode_path,
    encode_appearance,
    encode_path,
    sealed_sketch,
)
from cctrace.store.crypto import Cipher
from cctrace.store.models import SettingRow, SightingRow, utc_now

LONGEST_SIGHTING = "longest_sighting_s"
"""Setting: the longest sighting stored, in seconds (schema 0008; raised by every insert
in the same transaction). Window reads scan the index from this far before a window."""
IN_CHUNK = 500  # ids per IN (...) clause: well under SQLite's and PostgreSQL's limits

MAX_SIGHTING_S = 3600.0
"""No sighting may last longer: ingestion ends every track at a checkpoint, at most
every hour of video. Time-window queries bound their scan by the longest sighting
actually stored (`LONGEST_SIGHTING`: with the default 5-minute checkpoint, 300 s), and
by this only on a store that has no such setting."""


def check_duration(s: Sighting) -> None:
    if not s.t_end_s - s.t_start_s <= MAX_SIGHTING_S:
        raise ValueError(
            f"sighting {s.sighting_id} lasts {s.t_end_s - s.t_start_s:.0f} s, more than "
            f"the {MAX_SIGHTING_S:.0f} s a sighting may last"
        )


def utc_day(t_s: float) -> str:
    """The UTC calendar day ``YYYY-MM-DD`` of epoch seconds ``t_s``."""
    return datetime.fromtimestamp(t_s, UTC).strftime("%Y-%m-%d")


def id_chunks(ids: list[str]) -> Iterator[list[str]]:
    """``ids`` in runs of at most `IN_CHUNK`, one per ``IN (...)`` clause."""
    for i in range(0, len(ids), IN_CHUNK):
        yield ids[i : i + IN_CHUNK]


def raise_longest(session: Session, sightings: Sequence[Sighting]) -> None:
    """Raise the `LONGEST_SIGHTING` setting to the longest of ``sightings`` if they hold
    a longer one: one conditional UPDATE, no read, in the inserting transaction (so a
    reader that sees a row sees a bound that covers it)."""
    if not sightings:
        return
    longest = max(float(s.t_end_s - s.t_start_s) for s in sightings)
    session.execute(
        update(SettingRow)
        .where(
            SettingRow.key == LONGEST_SIGHTING,
            cast_(SettingRow.value, Double()) < longest,
        )
        .values(value=repr(longest), updated_at=utc_now(), updated_by="ingestion")
    )


def longest_in(conn: Session | Connection) -> float:
    """The longest stored sighting (`LONGEST_SIGHTING`), read in ``conn``'s transaction."""
    return longest_of(
        conn.execute(select(SettingRow.value).where(SettingRow.key == LONGEST_SIGHTING)).first()
    )


def longest_of(found: Any) -> float:
    """A `LONGEST_SIGHTING` row's value; without one (a store whose schema 0008 did not
    set it), the longest any sighting may last."""
    return MAX_SIGHTING_S if found is None else float(found[0])


def existing_ids(session: Session, ids: list[str]) -> set[str]:
    """The ids among ``ids`` already stored."""
    found: set[str] = set()
    for chunk in id_chunks(ids):
        found.update(session.scalars(select(SightingRow.id).where(SightingRow.id.in_(chunk))))
    return found


def read_columns(with_thumbnail: bool) -> list[Any]:
    """The sighting columns a read needs: the thumbnail (the largest blob) only if asked."""
    skip = {"created_at"} if with_thumbnail else {"created_at", "thumbnail_enc"}
    return [c for c in SightingRow.__table__.columns if c.key not in skip]


def row_of(enc: Cipher, s: Sighting) -> SightingRow:
    """The row of ``s``, its biometric fields sealed with ``enc``."""
    sid = s.sighting_id
    return SightingRow(
        id=sid,
        video_id=s.video_id,
        camera_id=s.camera_id,
        track_id=int(s.track_id),
        t_start_s=float(s.t_start_s),
        t_end_s=float(s.t_end_s),
        day=utc_day(s.t_start_s),
        path_json=None,
        path_bin=encode_path(s),
        path_approximate=bool(s.path_approximate),
        face_count=int(s.face_count),
        face_quality=float(s.face_quality),
        mask_ratio=None if s.mask_ratio is None else float(s.mask_ratio),
        face_embedding_enc=None
        if s.face_embedding is None
        else enc.encrypt_array(s.face_embedding, sid, FACE),
        appearance_enc=None
        if s.appearance is None
        else enc.encrypt_bytes(encode_appearance(s.appearance), sid, APPEARANCE),
        appearance_colour_enc=sealed_sketch(enc, sid, s.appearance),
        thumbnail_enc=None
        if s.thumbnail_jpeg is None
        else enc.encrypt_bytes(s.thumbnail_jpeg, sid, THUMBNAIL),
        created_at=utc_now(),
    )


def row_values(enc: Cipher, s: Sighting) -> dict[str, object]:
    """The column values of a sighting row, as `row_of` makes them (for Core inserts)."""
    row = row_of(enc, s)
    return {c.key: getattr(row, c.key) for c in SightingRow.__table__.columns}


def sighting_of(dec: Cipher, row: Any, with_biometrics: bool, with_thumbnail: bool) -> Sighting:
    """A `Sighting` from a row of `read_columns` (or a `SightingRow`)."""
    path = decode_path(row.id, row.path_bin, row.path_json)
    face = appearance = None
    thumb = None
    if with_biometrics:
        if row.face_embedding_enc is not None:
            face = dec.decrypt_array(row.face_embedding_enc, row.id, FACE)
        if row.appearance_enc is not None:
            appearance = decode_appearance(
                row.id, dec.decrypt_bytes(row.appearance_enc, row.id, APPEARANCE)
            )
        if with_thumbnail and row.thumbnail_enc is not None:
            thumb = dec.decrypt_bytes(row.thumbnail_enc, row.id, THUMBNAIL)
    return Sighting(
        sighting_id=row.id,
        camera_id=row.camera_id,
        video_id=row.video_id,
        track_id=row.track_id,
        t_start_s=row.t_start_s,
        t_end_s=row.t_end_s,
        path_t_s=path.t_s,
        path_floor_xy_m=path.floor_xy_m,
        path_approximate=row.path_approximate,
        face_count=row.face_count,
        face_quality=row.face_quality,
        face_embedding=face,
        appearance=appearance,
        mask_ratio=row.mask_ratio,
        thumbnail_jpeg=thumb,
        path_box_xyxy=path.box_xyxy,
        path_face_px=path.face_px,
    )

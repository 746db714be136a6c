"""The catalog: cameras, their videos, and the checkpoints of a video's ingestion.

A video is registered ``ingesting``; each checkpoint stores a batch of its sightings and
moves the checkpoint in one transaction, so that an interrupted ingestion resumes where
its last commit left it; ``done`` ends it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, cast

from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.orm import Session

from cctrace.core.errors import InputError, NotFoundError
from cctrace.core.types import Sighting
from cctrace.store.base import StoreBase
from cctrace.store.models import CameraRow, SightingRow, VideoRow, utc_now
from cctrace.store.records import CameraRecord, VideoRecord
from cctrace.store.sighting_rows import check_duration, existing_ids, raise_longest, row_of


class CatalogRepo(StoreBase):
    # -- cameras -----------------------------------------------------------------------

    def add_camera(self, camera: CameraRecord) -> CameraRecord:
        return self.add_cameras([camera])[0]

    def add_cameras(self, cameras: Sequence[CameraRecord]) -> list[CameraRecord]:
        """Add every camera in one transaction: all of them, or none if one id exists."""
        with self._write() as session:
            return [self._add_camera(session, c) for c in cameras]

    def _add_camera(self, session: Session, camera: CameraRecord) -> CameraRecord:
        if session.get(CameraRow, camera.camera_id) is not None:
            raise InputError(
                f"camera {camera.camera_id!r} already exists: choose another id "
                "or remove the existing camera first"
            )
        row = CameraRow(
            id=camera.camera_id,
            name=camera.name,
            site=camera.site,
            lat=camera.lat,
            lon=camera.lon,
            x_m=camera.x_m,
            y_m=camera.y_m,
            calibration_json=camera.calibration_json,
            reprojection_error_m=camera.reprojection_error_m,
            created_at=utc_now(),
        )
        session.add(row)
        session.flush()
        return _camera_of(row)

    def set_calibration(
        self, camera_id: str, calibration_json: str, reprojection_error_m: float
    ) -> CameraRecord:
        """Replace a camera's floor calibration (footage indexed later uses it)."""
        with self._write() as session:
            row = session.get(CameraRow, camera_id)
            if row is None:
                raise NotFoundError(
                    f"unknown camera {camera_id!r}: add it first, or see the known ones "
                    "with `cctrace cameras list`",
                    "camera_id",
                )
            row.calibration_json = calibration_json
            row.reprojection_error_m = reprojection_error_m
            session.flush()
            return _camera_of(row)

    def videos_of_camera(self, camera_id: str) -> list[VideoRecord]:
        with self._sessions() as session:
            rows = session.scalars(
                select(VideoRow).where(VideoRow.camera_id == camera_id).order_by(VideoRow.start_utc)
            )
            return [_video_of(r) for r in rows]

    def get_camera(self, camera_id: str) -> CameraRecord | None:
        with self._sessions() as session:
            row = session.get(CameraRow, camera_id)
            return None if row is None else _camera_of(row)

    def require_camera(self, camera_id: str) -> CameraRecord:
        camera = self.get_camera(camera_id)
        if camera is None:
            raise InputError(
                f"unknown camera {camera_id!r}: add it first, or see the known ones "
                "with `cctrace cameras list`"
            )
        return camera

    def list_cameras(self) -> list[CameraRecord]:
        # Plain rows, not ORM objects: a city's thousands of cameras are read by every
        # trace, and building mapped instances cost 0.12 s for 2,857 of them.
        columns = CameraRow.__table__.columns
        with self._sessions() as session:
            return [
                _camera_of(r)  # type: ignore[arg-type]  # a Row has the same attributes
                for r in session.execute(select(*columns).order_by(CameraRow.id))
            ]

    # -- videos and their ingestion ----------------------------------------------------

    def video_by_id(self, video_id: str) -> VideoRecord | None:
        with self._sessions() as session:
            row = session.get(VideoRow, video_id)
            return None if row is None else _video_of(row)

    def begin_video(self, video: VideoRecord) -> VideoRecord:
        """Register a video for ingestion, or return the stored one if its content is known.

        The caller reads the result: ``status == "done"`` means nothing to do (same file
        ingested before), ``"ingesting"`` with a checkpoint means resume from there.
        """
        with self._write() as session:
            row = session.get(VideoRow, video.video_id)
            if row is not None:
                return _video_of(row)
            if session.get(CameraRow, video.camera_id) is None:
                raise InputError(
                    f"video {video.path} names unknown camera {video.camera_id!r}: "
                    "add the camera first"
                )
            row = VideoRow(
                id=video.video_id,
                camera_id=video.camera_id,
                path=video.path,
                start_utc=video.start_utc,
                duration_s=video.duration_s,
                fps=video.fps,
                width=video.width,
                height=video.height,
                status="ingesting",
                checkpoint_t_s=None,
                next_track_id=video.next_track_id,
                frames_analysed=0,
                created_at=utc_now(),
            )
            session.add(row)
            session.flush()
            return _video_of(row)

    def commit_checkpoint(
        self,
        video_id: str,
        sightings: Sequence[Sighting],
        checkpoint_t_s: float,
        next_track_id: int,
        frames_analysed: int,
    ) -> list[str]:
        """Store ``sightings`` and move the video's checkpoint, in one transaction.

        Sightings whose id is already stored are skipped, so committing a batch twice
        (a crash after commit, then a resume) stores it once. Returns the ids inserted
        now, in input order: exactly those the vector index still needs.
        """
        for s in sightings:
            check_duration(s)
            if s.video_id != video_id:
                raise ValueError(
                    f"sighting {s.sighting_id} is of video {s.video_id}, not {video_id}"
                )
        with self._write() as session:
            # The UPDATE comes first so SQLite takes its write lock before any read: a
            # read-then-write transaction can fail outright when another writer got in.
            updated = cast(
                CursorResult[Any],
                session.execute(
                    update(VideoRow)
                    .where(VideoRow.id == video_id, VideoRow.status == "ingesting")
                    .values(
                        checkpoint_t_s=checkpoint_t_s,
                        next_track_id=next_track_id,
                        frames_analysed=frames_analysed,
                    )
                ),
            ).rowcount
            if updated != 1:
                raise InputError(
                    f"video {video_id} is not being ingested (unknown, or already done): "
                    "call begin_video first"
                )
            raise_longest(session, sightings)
            existing = existing_ids(session, [s.sighting_id for s in sightings])
            inserted: list[str] = []
            for s in sightings:
                if s.sighting_id in existing:
                    continue
                existing.add(s.sighting_id)  # a batch holding one id twice stores it once
                session.add(row_of(self.cipher, s))
                inserted.append(s.sighting_id)
            session.flush()
        return inserted

    def finish_video(self, video_id: str) -> None:
        with self._write() as session:
            row = session.get(VideoRow, video_id)
            if row is None:
                raise InputError(f"unknown video {video_id}: nothing to finish")
            row.status = "done"
            row.finished_at = utc_now()

    def delete_unfinished_video(self, video_id: str) -> int:
        """Remove a video still ``ingesting`` and its sightings; returns sightings removed.

        The face index still holds their vectors until `VectorIndex.reconcile` runs.
        """
        with self._write() as session:
            row = session.get(VideoRow, video_id)
            if row is None:
                return 0
            if row.status == "done":
                raise InputError(
                    f"video {video_id} finished ingesting; it is removed by retention, "
                    "not as an unfinished video"
                )
            gone = delete(SightingRow).where(SightingRow.video_id == video_id)
            n = cast(CursorResult[Any], session.execute(gone)).rowcount
            session.delete(row)
            return int(n)


def _camera_of(row: CameraRow) -> CameraRecord:
    return CameraRecord(
        camera_id=row.id,
        name=row.name,
        site=row.site,
        lat=row.lat,
        lon=row.lon,
        x_m=row.x_m,
        y_m=row.y_m,
        calibration_json=row.calibration_json,
        reprojection_error_m=row.reprojection_error_m,
        created_at=row.created_at,
    )


def _video_of(row: VideoRow) -> VideoRecord:
    status: Literal["ingesting", "done"] = "done" if row.status == "done" else "ingesting"
    return VideoRecord(
        video_id=row.id,
        camera_id=row.camera_id,
        path=row.path,
        start_utc=row.start_utc,
        duration_s=row.duration_s,
        fps=row.fps,
        width=row.width,
        height=row.height,
        status=status,
        checkpoint_t_s=row.checkpoint_t_s,
        next_track_id=row.next_track_id,
        frames_analysed=row.frames_analysed,
        created_at=row.created_at,
        finished_at=row.finished_at,
    )

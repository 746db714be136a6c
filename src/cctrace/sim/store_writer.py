"""Write a simulated city into a data folder, bypassing vision, and keep its truth aside.

The store gets what ingestion would have written: cameras (site metres, calibration),
one pseudo-video per camera and hour (id ``sim-...``, path ``sim://camera/hour``),
sightings committed per 5-minute checkpoint, and the face index. The truth goes to
``<home>/sim/truth.json`` (mode 0600), which only `cctrace.sim.evaluate` reads.

A folder that holds any video not made by the simulator holds real footage: it is
refused, so synthetic people never mix with real ones. A folder that already holds
another simulated city is refused too (its truth would be overwritten); writing the
same city twice changes nothing.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from cctrace.core.errors import InputError
from cctrace.core.types import Sighting
from cctrace.sim.world import (
    CHECKPOINT_S,
    IMAGE_SIZE_PX,
    SIM_PATH_SCHEME,
    SIM_VIDEO_PREFIX,
    Meeting,
    Presence,
    SimConfig,
    SimPatient,
    SimTruth,
    SimWorld,
    TrueContact,
    Visit,
)
from cctrace.store.camera_import import camera_record
from cctrace.store.home import Home, init_home
from cctrace.store.records import VideoRecord
from cctrace.store.repository import Store, utc_day
from cctrace.store.vector_index import FlatFaceIndex

TRUTH_FILE = "truth.json"
TRUTH_FORMAT = 1


@dataclass(frozen=True)
class WriteReport:
    """What `write_world` did; ``admin_token`` only when it created the data folder."""

    home: Path
    created_home: bool
    admin_token: str | None
    cameras: int
    videos: int
    sightings: int
    faces: int
    truth_path: Path
    already_written: bool = False


def truth_path(root: Path) -> Path:
    return root / "sim" / TRUTH_FILE


def is_sim_video(video_id: str, path: str) -> bool:
    return video_id.startswith(SIM_VIDEO_PREFIX) and path.startswith(SIM_PATH_SCHEME)


def write_world(world: SimWorld, root: Path, env: Mapping[str, str] | None = None) -> WriteReport:
    """Store ``world`` in the data folder at ``root`` (created if missing or empty).

    Raises InputError for a folder holding real footage or another simulated city.
    """
    home = Home.at(root, env)
    created = None
    if not (home.uses_sqlite and home.db_path.exists()):
        created = init_home(home.root, env)
    tpath = truth_path(home.root)
    with Store.open(home) as store:
        _refuse_real_footage(store, home)
        if tpath.exists():
            stored = read_truth_config(home.root)
            if stored != world.config:
                raise InputError(
                    f"{home.root} already holds a simulated city (seed {stored.seed}, "
                    f"{stored.cameras} cameras, {stored.people} people); write this one to "
                    "another folder with --home"
                )
            return WriteReport(
                home.root,
                False,
                None,
                len(world.cameras),
                len(world.videos),
                len(world.sightings),
                0,
                tpath,
                already_written=True,
            )
        _refuse_a_folder_in_use(store, home)
        store.check_writable()
        store.add_cameras(
            [
                camera_record(
                    c.camera_id,
                    c.name,
                    site=c.place,
                    x_m=c.x_m,
                    y_m=c.y_m,
                    calibration=c.calibration,
                    where="simulated city",
                )
                for c in world.cameras
            ]
        )
        index = FlatFaceIndex(home.faces_index_dir, store.cipher)
        faces = _write_sightings(store, index, world)
        _write_truth(tpath, world.config, world.truth)
    return WriteReport(
        home=home.root,
        created_home=created is not None and created.created,
        admin_token=None if created is None else created.admin_token,
        cameras=len(world.cameras),
        videos=len(world.videos),
        sightings=len(world.sightings),
        faces=faces,
        truth_path=tpath,
    )


def _refuse_real_footage(store: Store, home: Home) -> None:
    for camera in store.list_cameras():
        for video in store.videos_of_camera(camera.camera_id):
            if not is_sim_video(video.video_id, video.path):
                raise InputError(
                    f"{home.root} holds real footage (video {video.path}, camera "
                    f"{camera.camera_id}): a simulated city is never written next to real "
                    "people; choose an empty folder with --home"
                )


def _refuse_a_folder_in_use(store: Store, home: Home) -> None:
    """A new simulated city goes only to a folder with no cameras and no cases: its
    synthetic people must never sit beside a real installation's cameras or cases,
    footage or not."""
    cameras = store.list_cameras()
    if cameras:
        raise InputError(
            f"{home.root} already has cameras (e.g. {cameras[0].camera_id}): a simulated city "
            "is written only to an empty data folder; choose one with --home"
        )
    if store.count_cases() > 0:
        raise InputError(
            f"{home.root} already has cases: a simulated city is written only to an empty "
            "data folder; choose one with --home"
        )


def _write_sightings(store: Store, index: FlatFaceIndex, world: SimWorld) -> int:
    by_video: dict[str, list[Sighting]] = {v.video_id: [] for v in world.videos}
    for s in world.sightings:
        by_video[s.video_id].append(s)
    faces_by_day: dict[str, tuple[list[str], list[np.ndarray]]] = {}  # type: ignore[type-arg]
    w, h = IMAGE_SIZE_PX
    for video in world.videos:
        store.begin_video(
            VideoRecord(
                video_id=video.video_id,
                camera_id=video.camera_id,
                path=video.path,
                start_utc=datetime.fromtimestamp(video.start_utc_s, UTC),
                duration_s=video.duration_s,
                fps=world.config.path_hz,
                width=w,
                height=h,
            )
        )
        group = by_video[video.video_id]
        chunk = [int((s.t_start_s - video.start_utc_s) // CHECKPOINT_S) for s in group]
        n_chunks = max(1, int(np.ceil(video.duration_s / CHECKPOINT_S)))
        for c in range(n_chunks):
            batch = [s for s, k in zip(group, chunk, strict=True) if k == c]
            next_id = max((s.track_id for s in batch), default=-1) + 1
            inserted = set(
                store.commit_checkpoint(
                    video.video_id,
                    batch,
                    checkpoint_t_s=min((c + 1) * CHECKPOINT_S, video.duration_s),
                    next_track_id=max(next_id, 0),
                    frames_analysed=int((c + 1) * CHECKPOINT_S * world.config.path_hz),
                )
            )
            for s in batch:
                if s.sighting_id in inserted and s.face_embedding is not None:
                    ids, embs = faces_by_day.setdefault(utc_day(s.t_start_s), ([], []))
                    ids.append(s.sighting_id)
                    embs.append(s.face_embedding)
        store.finish_video(video.video_id)
    total = 0
    for day, (ids, embs) in sorted(faces_by_day.items()):
        index.add(day, ids, np.stack(embs).astype(np.float32))
        total += len(ids)
    return total


# -- truth on disk ---------------------------------------------------------------------


def _write_truth(path: Path, config: SimConfig, truth: SimTruth) -> None:
    doc = {
        "format": TRUTH_FORMAT,
        "note": "synthetic people only; ground truth of `cctrace sim`, read by `cctrace eval sim`",
        "config": asdict(config),
        "t_from_s": truth.t_from_s,
        "t_to_s": truth.t_to_s,
        "masked": list(truth.masked),
        "presences": [asdict(p) for p in truth.presences],
        "sighting_person": truth.sighting_person,
        "visits": [asdict(v) for v in truth.visits],
        "meetings": [asdict(m) for m in truth.meetings],
        "patients": [
            {"person": p.person, "reference_embeddings": p.reference_embeddings.tolist()}
            for p in truth.patients
        ],
        "contacts": [asdict(c) for c in truth.contacts],
    }
    path.parent.mkdir(mode=0o700, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(doc, f)
    tmp.replace(path)


def _load(root: Path) -> dict[str, object]:
    path = truth_path(root)
    if not path.exists():
        raise InputError(
            f"{root} holds no simulated city ({path} is missing): run `cctrace sim` first"
        )
    doc = json.loads(path.read_text())
    if not isinstance(doc, dict) or doc.get("format") != TRUTH_FORMAT:
        raise InputError(f"{path} is not a truth file this cctrace can read; rerun `cctrace sim`")
    return doc


def _config_of(raw: object) -> SimConfig:
    assert isinstance(raw, dict)
    fields = dict(raw)
    fields["policies"] = tuple(fields["policies"])
    return SimConfig(**fields)


def read_truth_config(root: Path) -> SimConfig:
    return _config_of(_load(root)["config"])


def read_truth(root: Path) -> tuple[SimConfig, SimTruth]:
    """The config and truth `write_world` kept aside in ``root``."""
    doc: dict[str, object] = _load(root)

    def rows(key: str) -> list[dict[str, object]]:
        value = doc[key]
        assert isinstance(value, list)
        return value

    truth = SimTruth(
        t_from_s=float(doc["t_from_s"]),  # type: ignore[arg-type]
        t_to_s=float(doc["t_to_s"]),  # type: ignore[arg-type]
        masked=tuple(bool(m) for m in rows("masked")),
        presences=tuple(Presence(**r) for r in rows("presences")),  # type: ignore[arg-type]
        sighting_person={str(k): int(v) for k, v in doc["sighting_person"].items()},  # type: ignore[attr-defined]
        visits=tuple(Visit(**r) for r in rows("visits")),  # type: ignore[arg-type]
        meetings=tuple(Meeting(**r) for r in rows("meetings")),  # type: ignore[arg-type]
        patients=tuple(
            SimPatient(
                int(r["person"]),  # type: ignore[call-overload]
                np.asarray(r["reference_embeddings"], np.float32).reshape(-1, 128),
            )
            for r in rows("patients")
        ),
        contacts=tuple(TrueContact(**r) for r in rows("contacts")),  # type: ignore[arg-type]
    )
    return _config_of(doc["config"]), truth


__all__ = ["WriteReport", "is_sim_video", "read_truth", "truth_path", "write_world"]

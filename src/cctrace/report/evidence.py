"""Evidence exports: frames (and short clips) of each stay and encounter, bystanders redacted.

For every route stay and every contact encounter, a few evenly spaced JPEG frames and,
optionally, one short MP4 clip are cut from the ingested footage. Every image goes
through `cctrace.privacy.redact`: the patient stays clear, every other face is pixelated,
following the tracks stored at ingestion and every face a detector finds, dilated in
time. Files are written to a staging folder beside the output and renamed into place
at the end, so a failure leaves nothing half-written. File names carry only the item's
kind and number and the camera id; ``manifest.json`` says what each file shows.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path
from typing import Literal

import av
import cv2
import numpy as np

from cctrace.core.errors import InputError
from cctrace.core.types import FloatArray, ImageBGR
from cctrace.privacy.exports import new_export_id
from cctrace.privacy.redact import PIXEL_CELLS, RedactedFrame, TrackBoxes, redact_frames
from cctrace.store.records import VideoRecord
from cctrace.store.repository import Store
from cctrace.trace.types import TraceResult

Detect = Callable[[ImageBGR], FloatArray]
"""A face detector for redaction: an image to its (N, 4) face boxes."""


@dataclass(frozen=True)
class EvidenceOptions:
    frames_per_item: int = 3
    """JPEG frames per stay or encounter, evenly spaced over it."""
    clips: bool = False
    clip_max_s: float = 6.0
    """A clip is the middle of its stay or encounter, at most this long."""
    max_fps: float = 8.0
    """Clips keep at most this many frames per second (each one redacted on its own)."""
    dilate_s: float = 0.5
    """A detected face stays pixelated this long before and after it was seen."""
    jpeg_quality: int = 90


@dataclass(frozen=True)
class EvidenceItem:
    """One stay (of the route) or encounter (of a contact), numbered from 1 per kind."""

    kind: Literal["stay", "encounter"]
    index: int
    camera_id: str
    t_start_s: float
    t_end_s: float
    contact_id: str | None = None


@dataclass(frozen=True)
class EvidenceFile:
    """A manifest entry: what one exported file shows (no biometrics)."""

    file: str
    kind: Literal["stay", "encounter"]
    index: int
    camera_id: str
    media: Literal["frame", "clip"]
    t_start_utc: str
    t_end_utc: str
    frames: int
    blurred_faces: int
    """Faces pixelated in the file (summed over a clip's frames)."""
    contact_id: str | None = None
    whole_frame_blurred: bool = False
    """Someone present could not be located, so the whole frame was pixelated."""


@dataclass(frozen=True)
class EvidenceExport:
    case_id: str
    out: Path
    files: tuple[EvidenceFile, ...] = field(default=())
    unblurred_contact: str | None = None
    export_id: str = ""

    @property
    def frames(self) -> int:
        return sum(1 for f in self.files if f.media == "frame")

    @property
    def clips(self) -> int:
        return sum(1 for f in self.files if f.media == "clip")

    @property
    def blurred_faces(self) -> int:
        return sum(f.blurred_faces for f in self.files)


class RedactionFaceDetector:
    """YuNet at a low threshold plus CenterFace on the whole frame: for redaction a missed
    face matters, a false one does not (recall over precision)."""

    def __init__(
        self,
        yunet_score: float = 0.5,
        centerface_score: float = 0.4,
        centerface_side_px: int | None = 640,
    ) -> None:
        from cctrace.vision.centerface import CenterFaceDetector
        from cctrace.vision.faces import YuNetFaceDetector

        self.yunet = YuNetFaceDetector(score_threshold=yunet_score)
        # Capped: at full size CenterFace costs several times YuNet; YuNet covers the
        # small faces the cap loses.
        self.centerface = CenterFaceDetector(
            score_min=centerface_score, max_side_px=centerface_side_px
        )

    def __call__(self, image_bgr: ImageBGR) -> FloatArray:
        a = self.yunet.detect(image_bgr).box_xyxy
        b = self.centerface.detect(image_bgr).box_xyxy
        return np.asarray(np.concatenate([a, b]), np.float32).reshape(-1, 4)


def evidence_items(result: TraceResult) -> list[EvidenceItem]:
    """The route's stays, then every contact's encounters in the trace's order."""
    items = [
        EvidenceItem("stay", i, s.camera_id, s.t_start_s, s.t_end_s)
        for i, s in enumerate(result.route, 1)
    ]
    n = 0
    for contact in result.contacts:
        for e in contact.encounters:
            n += 1
            items.append(
                EvidenceItem(
                    "encounter", n, e.camera_id, e.t_start_s, e.t_end_s, contact.contact_id
                )
            )
    return items


def frame_times(t_start_s: float, t_end_s: float, count: int) -> list[float]:
    """``count`` times evenly spaced inside ``[t_start_s, t_end_s]`` (midpoints of equal parts)."""
    span = max(t_end_s - t_start_s, 0.0)
    return [t_start_s + span * (i + 0.5) / count for i in range(max(count, 0))]


def check_out_dir(out: Path) -> None:
    """DIR must be new or empty, in an existing folder; InputError (exit 2) otherwise."""
    if out.exists() and not out.is_dir():
        raise InputError(f"{out} exists and is not a folder; give a new or empty folder")
    if out.is_dir() and any(out.iterdir()):
        raise InputError(f"{out} is not empty; give a new or empty folder (nothing written)")
    if not out.absolute().parent.is_dir():
        raise InputError(f"{out.absolute().parent}: no such folder; create it first")


@contextmanager
def staged(out: Path) -> Iterator[Path]:
    """A private staging folder beside ``out``, renamed to ``out`` when the block succeeds
    and removed when it fails: readers never see a half-written export."""
    check_out_dir(out)
    parent = out.absolute().parent
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=parent))
    try:
        yield tmp
        if out.is_dir():
            out.rmdir()  # empty (checked); a racing writer makes this fail, not merge
        tmp.replace(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _utc(t_s: float) -> str:
    return datetime.fromtimestamp(t_s, UTC).isoformat()


def _safe(camera_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", camera_id)[:40] or "camera"


def _start_s(video: VideoRecord) -> float:
    start = video.start_utc
    return (start if start.tzinfo else start.replace(tzinfo=UTC)).timestamp()


class CachedDetect:
    """Faces per (camera, frame time), so frames shared by a stay and an encounter are
    analysed once."""

    def __init__(self, detect: Detect) -> None:
        self.detect = detect
        self._faces: dict[tuple[str, float], FloatArray] = {}

    def __call__(self, camera_id: str, t_s: float, image_bgr: ImageBGR) -> FloatArray:
        key = (camera_id, round(t_s, 4))
        if key not in self._faces:
            self._faces[key] = self.detect(image_bgr)
        return self._faces[key]


class FootageReader:
    """Frames of a camera's ingested videos by UTC time; each file is checked once
    against its SHA-256 (the video id): other footage would not match the stored tracks."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._videos: dict[str, list[VideoRecord]] = {}
        self._checked: set[str] = set()

    def videos(self, camera_id: str) -> list[VideoRecord]:
        if camera_id not in self._videos:
            self._videos[camera_id] = self.store.videos_of_camera(camera_id)
        return self._videos[camera_id]

    def _check(self, video: VideoRecord) -> Path:
        path = Path(video.path)
        if video.video_id in self._checked:
            return path
        from cctrace.ingest.pipeline import file_sha256

        try:
            digest = file_sha256(path)
        except OSError as exc:
            raise InputError(
                f"{path}: the footage of camera {video.camera_id} cannot be read "
                f"({exc.strerror or exc}); restore the file or its permissions"
            ) from None
        if digest != video.video_id:
            raise InputError(
                f"{path}: the file changed since it was ingested (SHA-256 differs); "
                "restore the original footage"
            )
        self._checked.add(video.video_id)
        return path

    def read(
        self, camera_id: str, t_from_s: float, t_to_s: float, max_fps: float
    ) -> list[tuple[float, ImageBGR]]:
        """Frames (UTC time, image) in ``[t_from_s, t_to_s]``, at most ``max_fps`` per second."""
        frames: list[tuple[float, ImageBGR]] = []
        for video in self.videos(camera_id):
            start = _start_s(video)
            if start > t_to_s or start + video.duration_s < t_from_s:
                continue
            path = self._check(video)
            frames += [
                (start + t, img) for t, img in _decode(path, t_from_s - start, t_to_s - start)
            ]
        frames.sort(key=lambda f: f[0])
        kept: list[tuple[float, ImageBGR]] = []
        for t, img in frames:
            if not kept or t - kept[-1][0] >= 0.9 / max_fps:
                kept.append((t, img))
        return kept


def _decode(path: Path, t0: float, t1: float) -> Iterator[tuple[float, ImageBGR]]:
    """Frames at video times in ``[t0, t1]`` (seconds from the first frame), by seeking."""
    try:
        with av.open(str(path), mode="r") as container:
            stream = container.streams.video[0]
            base = stream.time_base
            if base is None:
                raise InputError(f"{path}: the video stream has no time base")
            first = next(container.decode(stream))
            first_pts = first.pts or 0
            container.seek(first_pts + max(int((t0 - 1.0) / base), 0), stream=stream, backward=True)
            for frame in container.decode(stream):
                if frame.pts is None:
                    continue
                t = float((frame.pts - first_pts) * base)
                if t < t0 - 1e-6:
                    continue
                if t > t1 + 1e-6:
                    break
                yield t, np.ascontiguousarray(frame.to_ndarray(format="bgr24"), np.uint8)
    except (av.error.FFmpegError, StopIteration, IndexError) as exc:
        raise InputError(f"{path}: the footage cannot be decoded ({exc})") from None


def _merge(spans: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    merged: list[tuple[float, float]] = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def _write_clip(path: Path, frames: Sequence[RedactedFrame], fps: float) -> None:
    time_base = Fraction(1, 1000)
    h, w = frames[0].image_bgr.shape[:2]
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream(
            "libx264",
            rate=Fraction(fps).limit_denominator(1000),
            options={"preset": "veryfast", "crf": "20"},
        )
        stream.width, stream.height = w - w % 2, h - h % 2
        stream.pix_fmt = "yuv420p"
        stream.time_base = time_base
        stream.codec_context.time_base = time_base
        t0 = frames[0].t_s
        for f in frames:
            image = np.ascontiguousarray(f.image_bgr[: h - h % 2, : w - w % 2])
            vf = av.VideoFrame.from_ndarray(image, format="bgr24")
            vf.pts = round((f.t_s - t0) * 1000)
            vf.time_base = time_base
            for packet in stream.encode(vf):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    path.chmod(0o600)


def write_evidence(
    store: Store,
    result: TraceResult,
    out: Path,
    detect: Detect,
    options: EvidenceOptions | None = None,
    unblur_contact: str | None = None,
    export_id: str | None = None,
    trace_id: str | None = None,
) -> EvidenceExport:
    """Write every item's redacted frames (and clips) and ``manifest.json`` into ``out``
    (a fresh staging folder). ``unblur_contact``: that contact's face stays clear too.
    ``export_id`` (default: a new random one) goes into the manifest: closing the case
    destroys the folder only while its manifest names the case and this id."""
    opts = options or EvidenceOptions()
    keep = {sid for stay in result.route for sid in stay.sighting_ids}
    if unblur_contact is not None:
        contact = next((c for c in result.contacts if c.contact_id == unblur_contact), None)
        if contact is None:
            raise InputError(
                f"unknown contact {unblur_contact!r} in case {result.case_id}; "
                "see `cctrace trace` for its contacts"
            )
        keep |= set(contact.sighting_ids)
    reader = FootageReader(store)
    cached = CachedDetect(detect)
    files: list[EvidenceFile] = []
    for item in evidence_items(result):
        files += _export_item(store, reader, item, keep, out, cached, opts)
    export_id = export_id or new_export_id()
    export = EvidenceExport(result.case_id, out, tuple(files), unblur_contact, export_id)
    manifest = {
        "case_id": result.case_id,
        "export_id": export_id,
        "trace_id": trace_id,
        "policy": result.policy,
        "unblurred_contact": unblur_contact,
        "redaction": {
            "method": "pixelation",
            "cells_across": PIXEL_CELLS,
            "dilate_s": opts.dilate_s,
            "kept_clear": "the patient" + (" and the unblurred contact" if unblur_contact else ""),
        },
        "frames": export.frames,
        "clips": export.clips,
        "blurred_faces": export.blurred_faces,
        "files": [asdict(f) for f in files],
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    (out / "manifest.json").chmod(0o600)
    return export


def _export_item(
    store: Store,
    reader: FootageReader,
    item: EvidenceItem,
    keep: set[str],
    out: Path,
    detect: CachedDetect,
    opts: EvidenceOptions,
) -> list[EvidenceFile]:
    d = opts.dilate_s
    wanted = frame_times(item.t_start_s, item.t_end_s, opts.frames_per_item)
    spans = [(t - d, t + d) for t in wanted]
    clip: tuple[float, float] | None = None
    if opts.clips:
        mid = (item.t_start_s + item.t_end_s) / 2
        half = min(item.t_end_s - item.t_start_s, opts.clip_max_s) / 2
        clip = (mid - half, mid + half)
        spans.append((clip[0] - d, clip[1] + d))
    t_lo, t_hi = min(a for a, _ in spans), max(b for _, b in spans)
    tracks = [
        TrackBoxes(s.path_t_s, s.path_box_xyxy, s.t_start_s, s.t_end_s, s.sighting_id in keep)
        for s in store.sightings([item.camera_id], t_lo - 5.0, t_hi + 5.0)
    ]
    redacted: list[RedactedFrame] = []
    for a, b in _merge(spans):
        frames = reader.read(item.camera_id, a, b, opts.max_fps)
        if not frames:
            continue
        times = [t for t, _ in frames]
        images = [img for _, img in frames]
        faces = [detect(item.camera_id, t, img) for t, img in frames]
        redacted += redact_frames(times, images, faces, tracks, d)
    if not redacted:
        raise InputError(
            f"no footage of camera {item.camera_id} at {_utc(item.t_start_s)}: the video "
            "for this stay is missing from the index"
        )
    redacted.sort(key=lambda r: r.t_s)
    stem = f"{item.kind}-{item.index:03d}-cam_{_safe(item.camera_id)}"  # see EXPORT_FILE_RE
    files: list[EvidenceFile] = []
    at = np.array([r.t_s for r in redacted])
    chosen = dict.fromkeys(int(np.argmin(np.abs(at - t))) for t in wanted)
    for n, i in enumerate(chosen, 1):
        r = redacted[i]
        name = f"{stem}-f{n:02d}.jpg"
        ok, data = cv2.imencode(".jpg", r.image_bgr, [cv2.IMWRITE_JPEG_QUALITY, opts.jpeg_quality])
        if not ok:
            raise InputError(f"cannot encode {name} as JPEG")
        (out / name).write_bytes(data.tobytes())
        (out / name).chmod(0o600)
        files.append(
            EvidenceFile(
                name,
                item.kind,
                item.index,
                item.camera_id,
                "frame",
                _utc(r.t_s),
                _utc(r.t_s),
                1,
                r.blurred_faces,
                item.contact_id,
                r.unlocated,
            )
        )
    if clip is not None:
        c0, c1 = clip
        in_clip = [r for r in redacted if c0 - 1e-6 <= r.t_s <= c1 + 1e-6]
        if in_clip:
            name = f"{stem}.mp4"
            _write_clip(out / name, in_clip, opts.max_fps)
            files.append(
                EvidenceFile(
                    name,
                    item.kind,
                    item.index,
                    item.camera_id,
                    "clip",
                    _utc(in_clip[0].t_s),
                    _utc(in_clip[-1].t_s),
                    len(in_clip),
                    sum(r.blurred_faces for r in in_clip),
                    item.contact_id,
                    any(r.unlocated for r in in_clip),
                )
            )
    return files

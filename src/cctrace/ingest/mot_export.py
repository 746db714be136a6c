"""Export a camera's tracks in MOTChallenge format, one file per video.

MOT frames are 1-based indices of the video's frames; a track point at video time t
is frame ``round(t * fps) + 1``. Boxes are the person boxes the tracker kept.
"""

from __future__ import annotations

from pathlib import Path

from cctrace.core.errors import InputError
from cctrace.store.repository import Store


def export_mot(store: Store, camera_id: str, out_dir: Path) -> tuple[list[Path], int, int]:
    """Write ``<out_dir>/<video id prefix>.txt`` per video; returns (files, tracks, lines)."""
    store.require_camera(camera_id)
    videos = [v for v in store.videos_of_camera(camera_id) if v.status == "done"]
    if not videos:
        raise InputError(f"camera {camera_id!r} has no ingested video to export")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create {out_dir} ({exc.strerror})") from None
    files, tracks, total = [], 0, 0
    for video in videos:
        start_s = video.start_utc.timestamp()
        rows: list[tuple[int, int, str]] = []
        for s in store.sightings(camera_ids=[camera_id]):
            if s.video_id != video.video_id or s.path_box_xyxy is None:
                continue
            tracks += 1
            for t, (x1, y1, x2, y2) in zip(s.path_t_s, s.path_box_xyxy, strict=True):
                frame = round((float(t) - start_s) * video.fps) + 1
                line = (
                    f"{frame},{s.track_id},{x1:.1f},{y1:.1f},{x2 - x1:.1f},{y2 - y1:.1f},1,-1,-1,-1"
                )
                rows.append((frame, s.track_id, line))
        rows.sort()
        path = out_dir / f"{video.video_id[:16]}.txt"
        tmp = path.with_suffix(".tmp")
        tmp.write_text("".join(r[2] + "\n" for r in rows))
        tmp.replace(path)
        files.append(path)
        total += len(rows)
    return files, tracks, total

"""A ByteTrack-style multi-object tracker for one camera's video, with real timestamps.

`ByteTracker.update(dets, t_s)` takes one sampled frame's detections and its time, and
returns the detections that belong to confirmed tracks, each with its track ID. Tracks
that ended come out of `finished()`; `flush()` ends the rest at the end of the video.
Each `Track` keeps its history (time, box, score per matched frame) so a caller can
build the path.

The association is pure (`cctrace.tracking.association`), the motion model is
`cctrace.tracking.kalman`; this class only keeps the per-track state. IDs are counted
per tracker instance, from 1, so two cameras never share a counter (ByteTrack's global
counter makes IDs depend on what else ran in the process).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from cctrace.core.types import Detections, FloatArray, TrackedDetections
from cctrace.tracking.association import associate
from cctrace.tracking.kalman import F64, BoxKalmanFilter, cxcywh_to_xyxy, xyxy_to_cxcywh


@dataclass(frozen=True)
class Track:
    """One confirmed track's history: K matched frames in time order.

    ``t_s`` (K,) float64 seconds, ``box_xyxy`` (K, 4) float32 pixels as detected,
    ``score`` (K,) float32 detector confidence.
    """

    track_id: int
    t_s: NDArray[np.float64]
    box_xyxy: FloatArray
    score: FloatArray

    @property
    def t_start_s(self) -> float:
        return float(self.t_s[0])

    @property
    def t_end_s(self) -> float:
        return float(self.t_s[-1])

    @property
    def duration_s(self) -> float:
        return self.t_end_s - self.t_start_s

    @property
    def foot_xy(self) -> FloatArray:
        """Bottom centre of each box, (K, 2) pixels: where the person stands on the floor."""
        b = self.box_xyxy
        return np.stack([(b[:, 0] + b[:, 2]) / 2, b[:, 3]], axis=1).astype(np.float32)

    def __len__(self) -> int:
        return len(self.t_s)


@dataclass(frozen=True)
class LiveTrack:
    """Read-only view of one live track: whether it is confirmed, when it was last
    matched (s) and its box ``box_xyxy`` (4,) in frame pixels (last matched, or
    predicted at the time asked for)."""

    confirmed: bool
    t_update_s: float
    box_xyxy: FloatArray


@dataclass
class _TrackState:
    """Mutable state of a live track; Kalman mean/cov are the posterior at ``t_update_s``."""

    mean: F64
    cov: F64
    t_update_s: float
    hits: int = 1
    track_id: int = 0  # 0 until confirmed: IDs are given only to confirmed tracks
    t_hist: list[float] = field(default_factory=list)
    box_hist: list[FloatArray] = field(default_factory=list)
    score_hist: list[float] = field(default_factory=list)

    def to_track(self) -> Track:
        return Track(
            track_id=self.track_id,
            t_s=np.asarray(self.t_hist, dtype=np.float64),
            box_xyxy=np.asarray(self.box_hist, dtype=np.float32).reshape(-1, 4),
            score=np.asarray(self.score_hist, dtype=np.float32),
        )


class ByteTracker:
    """Per-camera tracker. Defaults are tuned for ~4 sampled frames per second.

    - ``high_score`` / ``low_score``: ByteTrack's two detection bands; detections below
      ``low_score`` are ignored.
    - ``new_track_score``: a new track needs a detection at least this confident.
    - ``match_iou``: least IoU between predicted track box and a high-score detection.
      At ~4 fps a walker's box moves a third of its width between frames; the 30 fps
      value still works because the Kalman prediction, not the last box, is compared
      (0.1 to 0.3 measured the same on the synthetic scenes).
    - ``low_match_iou``: least IoU for the low-score stage (ByteTrack's 0.5).
    - ``low_max_age_s``: only tracks matched within this many seconds take low-score
      detections (ByteTrack: the previous frame).
    - ``center_gate_h``: fallback match by centre distance in track heights; ``None``
      disables it.
    - ``max_lost_s``: a track unmatched for longer than this (seconds) has ended.
    - ``min_hits``: matched frames before a track is confirmed and gets an ID; a tentative
      track that misses a frame is dropped (ByteTrack's unconfirmed tracks), which
      removes most one-frame false detections.
    """

    def __init__(
        self,
        high_score: float = 0.5,
        low_score: float = 0.1,
        new_track_score: float = 0.6,
        match_iou: float = 0.2,
        low_match_iou: float = 0.5,
        low_max_age_s: float = 1.5,
        center_gate_h: float | None = 0.5,
        max_lost_s: float = 2.0,
        min_hits: int = 2,
        kalman: BoxKalmanFilter | None = None,
        first_track_id: int = 1,
    ) -> None:
        if not 0.0 <= low_score <= high_score <= 1.0:
            raise ValueError(
                f"need 0 <= low_score <= high_score <= 1, got {low_score}, {high_score}"
            )
        if min_hits < 1:
            raise ValueError(f"min_hits must be at least 1, got {min_hits}")
        if max_lost_s < 0:
            raise ValueError(f"max_lost_s must be >= 0 seconds, got {max_lost_s}")
        self.high_score = high_score
        self.low_score = low_score
        self.new_track_score = new_track_score
        self.match_iou = match_iou
        self.low_match_iou = low_match_iou
        self.low_max_age_s = low_max_age_s
        self.center_gate_h = center_gate_h
        self.max_lost_s = max_lost_s
        self.min_hits = min_hits
        self.kalman = kalman if kalman is not None else BoxKalmanFilter()
        self._tracks: list[_TrackState] = []
        self._finished: list[Track] = []
        if first_track_id < 1:
            raise ValueError(f"first_track_id must be at least 1, got {first_track_id}")
        # A resumed ingestion continues the numbering where the interrupted run stopped.
        self._next_id = first_track_id
        self._t_last_s = -math.inf

    def _predicted_boxes(self, t_s: float) -> F64:
        """Predicted (T, 4) xyxy boxes of the live tracks at time ``t_s``."""
        if not self._tracks:
            return np.zeros((0, 4))
        mean = np.stack([s.mean for s in self._tracks])
        cov = np.stack([s.cov for s in self._tracks])
        dt = np.array([t_s - s.t_update_s for s in self._tracks])
        pred, _ = self.kalman.predict(mean, cov, dt)
        # A shrinking box can be extrapolated through zero; keep it a box.
        pred[:, 2:4] = np.maximum(pred[:, 2:4], 1.0)
        return cxcywh_to_xyxy(pred[:, :4])

    def update(self, dets: Detections, t_s: float) -> TrackedDetections:
        """Track one frame: ``dets`` in its pixels, ``t_s`` its time in seconds.

        Returns the detections of this frame that belong to confirmed tracks (rows in
        input order) with their track IDs. Times must not go backwards.
        """
        if t_s < self._t_last_s:
            raise ValueError(
                f"frame time {t_s:.3f} s is before the previous one ({self._t_last_s:.3f} s): "
                "feed frames in presentation order"
            )
        self._t_last_s = t_s
        pred_xyxy = self._predicted_boxes(t_s)
        age_s = np.array([t_s - s.t_update_s for s in self._tracks], dtype=np.float64)
        res = associate(
            pred_xyxy,
            age_s,
            dets.box_xyxy,
            dets.score,
            high_score=self.high_score,
            low_score=self.low_score,
            match_iou=self.match_iou,
            low_match_iou=self.low_match_iou,
            low_max_age_s=self.low_max_age_s,
            center_gate_h=self.center_gate_h,
        )

        # Matched tracks: one vectorised predict+update for all of them.
        out_rows: list[int] = []
        out_ids: list[int] = []
        if len(res.matches):
            ti, di = res.matches[:, 0], res.matches[:, 1]
            states = [self._tracks[i] for i in ti]
            mean = np.stack([s.mean for s in states])
            cov = np.stack([s.cov for s in states])
            dt = np.array([t_s - s.t_update_s for s in states])
            mean, cov = self.kalman.predict(mean, cov, dt)
            mean, cov = self.kalman.update(mean, cov, xyxy_to_cxcywh(dets.box_xyxy[di]))
            for k, (s, d) in enumerate(zip(states, di, strict=True)):
                s.mean, s.cov, s.t_update_s = mean[k], cov[k], t_s
                s.hits += 1
                s.t_hist.append(t_s)
                s.box_hist.append(dets.box_xyxy[d].copy())
                s.score_hist.append(float(dets.score[d]))
                if s.track_id == 0 and s.hits >= self.min_hits:
                    s.track_id = self._next_id
                    self._next_id += 1
                if s.track_id:
                    out_rows.append(int(d))
                    out_ids.append(s.track_id)

        # Unmatched tracks: tentative ones die at once; confirmed ones wait max_lost_s.
        alive: list[_TrackState] = []
        unmatched = set(res.unmatched_tracks.tolist())
        for i, s in enumerate(self._tracks):
            if i not in unmatched:
                alive.append(s)
                continue
            if s.track_id == 0:
                continue
            if t_s - s.t_update_s > self.max_lost_s:
                self._finished.append(s.to_track())
            else:
                alive.append(s)

        new_dets = res.unmatched_high_dets[
            dets.score[res.unmatched_high_dets] >= self.new_track_score
        ]
        if len(new_dets):
            mean, cov = self.kalman.initiate(xyxy_to_cxcywh(dets.box_xyxy[new_dets]))
            for k, d in enumerate(new_dets):
                s = _TrackState(mean=mean[k], cov=cov[k], t_update_s=t_s)
                s.t_hist.append(t_s)
                s.box_hist.append(dets.box_xyxy[d].copy())
                s.score_hist.append(float(dets.score[d]))
                if self.min_hits <= 1:
                    s.track_id = self._next_id
                    self._next_id += 1
                    out_rows.append(int(d))
                    out_ids.append(s.track_id)
                alive.append(s)
        self._tracks = alive

        order = np.argsort(np.asarray(out_rows, dtype=np.intp), kind="stable")
        rows = np.asarray(out_rows, dtype=np.intp)[order]
        return TrackedDetections(dets[rows], np.asarray(out_ids, dtype=np.int64)[order])

    def cut(self) -> None:
        """End every live track now (a scene change: whoever is seen next is seen anew).

        Confirmed tracks come out of `finished()`, tentative ones are dropped; the ID
        counter goes on, so the state is that of a fresh tracker numbering on."""
        self._finished.extend(s.to_track() for s in self._tracks if s.track_id)
        self._tracks = []

    def split(self, track_id: int, keep_last: int = 1) -> int:
        """End the live confirmed track ``track_id`` before its last ``keep_last`` matched
        frames and go on from them under a new ID, which is returned (the person in the
        box changed while the box moved on smoothly: someone stepped in front of another).

        The ended part comes out of `finished()`. When the track has no more than
        ``keep_last`` frames there is nothing to end and its ID is returned unchanged.
        KeyError if no live confirmed track has that ID."""
        s = next((s for s in self._tracks if s.track_id and s.track_id == track_id), None)
        if s is None:
            raise KeyError(f"no live confirmed track {track_id}")
        if keep_last < 1:
            raise ValueError(f"keep_last must be at least 1, got {keep_last}")
        if len(s.t_hist) <= keep_last:
            return track_id
        done = _TrackState(mean=s.mean, cov=s.cov, t_update_s=s.t_hist[-keep_last - 1])
        done.track_id = track_id
        done.t_hist = s.t_hist[:-keep_last]
        done.box_hist = s.box_hist[:-keep_last]
        done.score_hist = s.score_hist[:-keep_last]
        self._finished.append(done.to_track())
        s.t_hist = s.t_hist[-keep_last:]
        s.box_hist = s.box_hist[-keep_last:]
        s.score_hist = s.score_hist[-keep_last:]
        s.track_id = self._next_id
        self._next_id += 1
        return s.track_id

    def finished(self) -> list[Track]:
        """Confirmed tracks that ended since the last call (each returned once)."""
        done, self._finished = self._finished, []
        return done

    def flush(self) -> list[Track]:
        """End every live track (end of video): returns all not-yet-returned confirmed tracks.

        Tentative tracks are dropped. The ID counter is kept, so IDs stay unique if the
        same tracker goes on with more frames.
        """
        for s in self._tracks:
            if s.track_id:
                self._finished.append(s.to_track())
        self._tracks = []
        done = self.finished()
        return sorted(done, key=lambda tr: tr.track_id)

    @property
    def next_track_id(self) -> int:
        """The ID the next confirmed track will get."""
        return self._next_id

    @property
    def is_empty(self) -> bool:
        """No track at all, not even a tentative one: the state a fresh tracker has."""
        return not self._tracks

    @property
    def t_last_s(self) -> float:
        """Time of the last frame given to `update` (-inf before the first)."""
        return self._t_last_s

    def live(self, t_s: float | None = None) -> list[LiveTrack]:
        """Every live track, tentative ones included (for deciding the analysis rate);
        with ``t_s``, each box is where the Kalman filter predicts it at that time."""
        boxes = (
            [np.asarray(s.box_hist[-1], np.float32) for s in self._tracks]
            if t_s is None
            else [np.asarray(b, np.float32) for b in self._predicted_boxes(t_s)]
        )
        return [
            LiveTrack(bool(s.track_id), s.t_update_s, box)
            for s, box in zip(self._tracks, boxes, strict=True)
        ]

    @property
    def live_track_ids(self) -> list[int]:
        """IDs of confirmed tracks that are still live (matched or lost but not ended)."""
        return [s.track_id for s in self._tracks if s.track_id]

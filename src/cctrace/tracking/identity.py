"""Whether the person in a track's box is still the one the track began with.

The tracker links boxes by position; when one person steps in front of another, or a
camera's picture jumps and someone else stands where the tracked person stood, the box
moves on smoothly while the person in it changed, and every face and every second seen
afterwards would be credited to the wrong identity (issue 15, part 3). `IdentityWatch`
looks at each observation of each track and says where the identity jumped; the caller
then splits the track there (`ByteTracker.split`).

Three kinds of evidence, each against the track's own history:

- clothing colour: the colour part of the appearance descriptor
  (`cctrace.vision.appearance.colour_descriptors`, cheap enough for every observation),
  compared with a running mean of the track's earlier observations (which follows slow
  changes of light as a person crosses a room). A jump is two observations in a row
  below ``colour_min_similarity``: one alone is often a box cut by an obstacle. Colour
  tells people apart only when they dress differently (measured in docs/benchmarks.md:
  on small CCTV crops different people score 0.7-0.95, the same track never below 0.57),
  so the threshold sits below everything one track showed and catches clear changes only.
- faces: two recognisable faces in a row (the caller embeds only those) whose cosine to
  the track's quality-weighted mean face is below ``face_max_cosine`` once the track has
  ``min_faces`` faces, and that agree with each other: the face evidence and the track
  disagree, so the stay they confirmed ends there, at the first of the two. On the
  shared video a face's cosine to its own track's mean was never below 0.31 (0.43 once
  the track had two faces), while at those sizes two different people's mean faces
  reach 0.80: the threshold, half the lowest same-track value, again catches clear
  disagreements only. One face alone is not enough: on a
  GIF of people walking towards the camera a track's third face (quality 0.15) scored
  0.13 against its first two, and the same person's later faces 0.6-0.9.
- what the box shows (`BoxContent`): a coarse colour picture of the box (4x8 cells of
  mean Lab colour over its middle 70 % of width), compared with the track's previous
  observation. Its *change* on one observation is the smaller of two differences: the
  box's picture against the track's last one (small when the person moved but is the
  same, box-aligned), and against the previous analysed frame's pixels under this box
  (small when only the box's extent changed, as when an arm is drawn in). A person in
  view changes gradually, so the change is judged against the track's own recent
  changes (the smaller of their running mean and the last one: someone who just stopped
  changes little from then on): a *step* is a change far above it. A step is someone else
  when the next observation confirms it: unlike the picture before the step, and
  changing again no more than the track usually does (someone who stepped out from
  behind a passer-by, or a box cut once by an obstacle, goes back or keeps changing).
  This is what ends a track when the picture jumps to another moment of the same room
  (a frame skip, a recorder that reconnects, a PTZ preset that returns) and the next
  person stands where the tracked one stood in similar clothes: the box hardly moves
  and the colour histograms agree, but the picture in the box changes at once. A walker's
  picture changes fast too, and the step must stand out against that: while any track's
  picture changes fast (`changing`) the caller analyses every sample, so that a next
  person who walks in where the tracked one walked is not hidden by a change per
  observation twice as large (docs/benchmarks.md, "Scene changes").
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np
from numpy.typing import NDArray

from cctrace.core.types import FloatArray, ImageBGR

CONTENT_GRID_WH = (4, 8)
"""Cells of a box's coarse picture: 4 across, 8 down (a cell per head, shoulders, ...)."""
CONTENT_SIDE = 0.15
"""Fraction of the box's width left out at each side: mostly background there."""


@dataclass(frozen=True)
class BoxContent:
    """What N tracked boxes show on one frame: ``now`` (N, 8, 4, 3) float32 mean Lab
    colour (OpenCV's 8-bit scale) of each cell of the box on this frame, ``before`` the
    same cells of the previous analysed frame's pixels under this frame's boxes. A box
    wholly outside the frame has NaN cells (no evidence)."""

    now: NDArray[np.float32]
    before: NDArray[np.float32]
    box_xyxy: FloatArray | None = None
    """(N, 4) the boxes, and ``frame_wh`` the frame's size: whether a box is cut by the
    frame's edge (`crossing_edge`). None: not known (never cut)."""
    frame_wh: tuple[int, int] = (0, 0)

    def __post_init__(self) -> None:
        gw, gh = CONTENT_GRID_WH
        shape = (len(self.now), gh, gw, 3)
        if self.now.shape != shape or self.before.shape != shape:
            raise ValueError(
                f"box content must be (N, {gh}, {gw}, 3) now and before, "
                f"got {self.now.shape} and {self.before.shape}"
            )
        if self.box_xyxy is not None and self.box_xyxy.shape != (len(self.now), 4):
            raise ValueError(f"box_xyxy must be ({len(self.now)}, 4), got {self.box_xyxy.shape}")
        if self.box_xyxy is not None and min(self.frame_wh) <= 0:
            # Without the frame's size every box would read as cut by its border.
            raise ValueError(f"box_xyxy needs the frame's size, got frame_wh {self.frame_wh}")


def box_pictures(image_bgr: ImageBGR, box_xyxy: FloatArray) -> NDArray[np.float32]:
    """(N, 8, 4, 3) coarse Lab pictures of the (N, 4) boxes in ``image_bgr``."""
    gw, gh = CONTENT_GRID_WH
    out = np.full((len(box_xyxy), gh, gw, 3), np.nan, np.float32)
    h, w = image_bgr.shape[:2]
    for i, (x1, y1, x2, y2) in enumerate(np.asarray(box_xyxy, np.float64)):
        side = CONTENT_SIDE * (x2 - x1)
        left, right = max(0, round(x1 + side)), min(w, round(x2 - side))
        top, bottom = max(0, round(y1)), min(h, round(y2))
        if right <= left or bottom <= top:
            continue
        # Every k-th pixel is plenty for 32 cell means and keeps a 1080p box cheap.
        sy, sx = max(1, (bottom - top) // (8 * gh)), max(1, (right - left) // (8 * gw))
        crop = np.ascontiguousarray(image_bgr[top:bottom:sy, left:right:sx])
        small = cv2.resize(crop, (gw, gh), interpolation=cv2.INTER_AREA)
        out[i] = cv2.cvtColor(small, cv2.COLOR_BGR2LAB)
    return out


EDGE_FRACTION = 0.02
"""A box this close to the frame's border (a fraction of the frame's width or height) is
cut by it: a detector's box of someone cut by the border ends a few pixels short of it
(2-8 px on the shared video's 432-px frames as a walker's feet come into view)."""


def crossing_edge(last: FloatArray | None, now: FloatArray, frame_wh: tuple[int, int]) -> bool:
    """Whether a person may be walking in or out of view between two boxes of one track:
    both boxes reach the left, right or bottom border of the frame. Such a box shows a
    part of the person that grows or shrinks (its extent need not change: the detector
    boxes what is visible), so its picture changes without anyone else stepping in. Both:
    someone walking in or out stays cut by the border over consecutive observations,
    while where the picture jumps to someone else walking in, the box before the jump
    was elsewhere. The top border is left out: an elevated camera cuts the heads of
    people standing close to it there (at the shared video's table), where a jump to
    someone else must still count; people who leave through the top of an elevated
    camera's view are far and small."""
    if last is None:
        return False
    w, h = frame_wh
    mx, my = EDGE_FRACTION * w, EDGE_FRACTION * h
    return all(
        box[0] <= mx or box[2] >= w - mx or box[3] >= h - my
        for box in (np.asarray(last, np.float64), np.asarray(now, np.float64))
    )


def box_content(
    image_bgr: ImageBGR, before_bgr: ImageBGR | None, box_xyxy: FloatArray
) -> BoxContent:
    """The boxes' pictures on this frame and, under the same boxes, on the previous
    analysed frame ``before_bgr`` (None on a run's first frame: then the same as now,
    which is no evidence of a change)."""
    now = box_pictures(image_bgr, box_xyxy)
    boxes = np.asarray(box_xyxy, np.float32).reshape(-1, 4)
    wh = (image_bgr.shape[1], image_bgr.shape[0])
    if before_bgr is None or before_bgr.shape != image_bgr.shape:
        return BoxContent(now, now.copy(), boxes, wh)
    return BoxContent(now, box_pictures(before_bgr, box_xyxy), boxes, wh)


def picture_distance(a: NDArray[np.float32], b: NDArray[np.float32]) -> float:
    """Median over cells of the Lab colour distance of two box pictures; the median, so
    that a hand or a bag in a few cells does not count. 0 where either is unknown."""
    d = np.sqrt(((np.asarray(a, np.float64) - b) ** 2).sum(axis=-1))
    value = float(np.median(d))
    return 0.0 if np.isnan(value) else value


@dataclass(frozen=True)
class IdentityJump:
    """One track whose identity changed: split it before its last ``keep_last`` frames
    (those since the first of the observations that disagreed)."""

    track_id: int
    keep_last: int
    reason: str
    """``colour``, ``face`` or ``content``: which evidence disagreed."""


@dataclass
class _Seen:
    colour: NDArray[np.float64] | None = None
    colour_n: int = 0
    suspect: FloatArray | None = None
    """The last observation's colour when it already disagreed (one more makes a jump)."""
    face_sum: NDArray[np.float64] | None = None
    face_n: int = 0
    frames: int = 0
    """Observations so far (this frame's included once `observe` has seen it)."""
    suspect_face: FloatArray | None = None
    suspect_face_frame: int = 0
    """The last face when it already disagreed, and the observation it came on."""
    picture: NDArray[np.float32] | None = None
    """The box's picture on the last observation (`box_pictures`)."""
    box: FloatArray | None = None
    """The box on the last observation."""
    settled: NDArray[np.float32] | None = None
    """The picture on the last observation that was no step."""
    usual_change: float | None = None
    """Running mean of the picture's change per observation."""
    last_change: float = 0.0
    """The picture's change on the last observation."""
    step: tuple[NDArray[np.float32], float, float] | None = None
    """On the observation after a step: the picture before it, the step's change, and
    the usual change before it."""


@dataclass
class IdentityWatch:
    """Per-track identity evidence of one camera's tracker; see the module docstring.

    - ``colour_min_similarity``: least colour similarity (dot product of unit colour
      descriptors) to the track's running mean that keeps the identity.
    - ``colour_rate``: weight of a new observation in the running mean.
    - ``face_max_cosine``: a face this far (cosine below) from the track's mean face is
      someone else.
    - ``min_faces``: faces a track needs before its mean face is trusted.
    - ``content_min_step``: how far (Lab units) a confirmed step of the box's picture
      must rise above the track's usual change per observation (see the module): the
      smaller of its running mean and the last change.
    - ``content_rate``: weight of a new observation in the usual change.
    - ``content_settle``: on the observation that confirms a step, the picture's change
      may be at most this fraction of how far it stays from the picture before the step.
    """

    colour_min_similarity: float = 0.45
    colour_rate: float = 0.3
    face_max_cosine: float = 0.15
    min_faces: int = 2
    content_min_step: float = 8.0
    content_rate: float = 0.3
    content_settle: float = 0.5
    _seen: dict[int, _Seen] = field(default_factory=dict, init=False, repr=False)

    def observe(
        self,
        track_id: NDArray[np.int64],
        colour: FloatArray,
        faces: list[tuple[FloatArray, float] | None],
        content: BoxContent | None = None,
    ) -> list[IdentityJump]:
        """One frame's N tracked persons: ``track_id`` (N,), ``colour`` (N, D) unit colour
        descriptors, ``faces`` per row the (128,) unit face embedding and its quality in
        [0, 1], or None where no recognisable face was found, ``content`` what the boxes
        show (`box_content`; None: that evidence is not used).

        Returns the tracks whose identity jumped on this frame; their history here is
        restarted from what this frame (and, for a colour or content jump, the frame
        before) showed, under the same track ID until the caller calls `rename`."""
        jumps: list[IdentityJump] = []
        for row, tid in enumerate(track_id.tolist()):
            seen = self._seen.setdefault(int(tid), _Seen())
            seen.frames += 1
            c = np.asarray(colour[row], np.float64)
            face = faces[row]
            # Evaluated on every observation: it keeps the usual change up to date.
            stepped = False
            if content is not None:
                box = None if content.box_xyxy is None else content.box_xyxy[row]
                crossing = box is not None and crossing_edge(seen.box, box, content.frame_wh)
                seen.box = box
                stepped = self._content_jump(seen, content.now[row], content.before[row], crossing)
            jump = self._face_jump(seen, face) or self._colour_jump(seen, c)
            if jump is None and stepped:
                jump = "content"
            if jump is not None:
                # The box's picture goes on from this frame's; its usual change is
                # learnt afresh from the new person.
                restart = _Seen(picture=seen.picture, settled=seen.picture, box=seen.box)
                if jump == "content":
                    keep = 2
                elif jump == "colour":
                    keep = 2
                    restart.colour = np.asarray(seen.suspect, np.float64)
                    restart.colour_n = 1
                else:
                    keep = seen.frames - seen.suspect_face_frame + 1
                    suspect = np.asarray(seen.suspect_face, np.float64)
                    restart.face_sum, restart.face_n = suspect, 1
                restart.frames = keep
                seen = self._seen[int(tid)] = restart
                jumps.append(IdentityJump(int(tid), keep, jump))
            if seen.suspect is None:
                seen.colour = c if seen.colour is None else _mix(seen.colour, c, self.colour_rate)
                seen.colour_n += 1
            if face is not None and seen.suspect_face is None:
                embedding, quality = face
                e = np.asarray(embedding, np.float64) * max(quality, 0.05)
                seen.face_sum = e if seen.face_sum is None else seen.face_sum + e
                seen.face_n += 1
        return jumps

    def _face_jump(self, seen: _Seen, face: tuple[FloatArray, float] | None) -> str | None:
        if face is None or seen.face_sum is None or seen.face_n < self.min_faces:
            return None
        mean = seen.face_sum / max(float(np.linalg.norm(seen.face_sum)), 1e-12)
        e = np.asarray(face[0], np.float64)
        if float(e @ mean) >= self.face_max_cosine:
            seen.suspect_face = None
            return None
        # One poor face (blur, a turned head) can fall that far; two in a row that agree
        # with each other are someone else.
        suspect = seen.suspect_face
        if (
            suspect is not None
            and float(e @ np.asarray(suspect, np.float64)) >= self.face_max_cosine
        ):
            return "face"
        seen.suspect_face = np.asarray(e, np.float32)
        seen.suspect_face_frame = seen.frames
        return None

    def _content_jump(
        self,
        seen: _Seen,
        now: NDArray[np.float32],
        before: NDArray[np.float32],
        crossing: bool = False,
    ) -> bool:
        """Whether this observation confirms a step of the box's picture on the last one;
        updates the picture, the usual change and the pending step. A box of someone
        walking in or out of view (``crossing``, `crossing_edge`) neither starts nor
        confirms a step."""
        last, seen.picture = seen.picture, now
        if last is None:
            seen.settled = now
            return False
        # Same person moving: small against the last picture; same pixels under a box
        # whose extent changed: small against the frame before. Someone else: neither.
        change = min(picture_distance(last, now), picture_distance(before, now))
        step, seen.step = seen.step, None
        confirmed = False
        if step is not None and not crossing:
            before_step, step_change, usual_before = step
            persists = min(step_change, picture_distance(before_step, now))
            # Someone who starts to walk away changes at once too, and goes on changing
            # nearly as fast; someone else in the box is as steady again as a person.
            confirmed = (
                persists - change - usual_before >= self.content_min_step
                and change <= self.content_settle * persists
            )
        usual = seen.usual_change
        if usual is None:
            seen.usual_change, seen.last_change, seen.settled = change, change, now
            return confirmed
        # What this track usually changes by, or less when it just slowed down: someone
        # who walked in (a box cut by the frame's edge changes fast) and stopped.
        usual, usual_mean = min(usual, seen.last_change), usual
        seen.last_change = change
        if not confirmed and not crossing and change - usual >= self.content_min_step:
            # Against the last settled picture: a box that steps back to it after one
            # odd frame (a passer-by in front) steps to nothing new.
            seen.step = (last if seen.settled is None else seen.settled, change, usual)
        else:
            seen.settled = now
        seen.usual_change = (1.0 - self.content_rate) * usual_mean + self.content_rate * change
        return confirmed

    def _colour_jump(self, seen: _Seen, c: NDArray[np.float64]) -> str | None:
        if seen.colour is None:
            return None
        ref = seen.colour / max(float(np.linalg.norm(seen.colour)), 1e-12)
        if float(c @ ref) >= self.colour_min_similarity:
            seen.suspect = None
            return None
        if seen.suspect is None:
            seen.suspect = np.asarray(c, np.float32)
            return None
        # Two in a row unlike the track, and like each other: someone else is in the box.
        if float(c @ np.asarray(seen.suspect, np.float64)) >= self.colour_min_similarity:
            return "colour"
        seen.suspect = np.asarray(c, np.float32)
        return None

    def changing(self, track_ids: list[int]) -> bool:
        """Whether the picture of any of ``track_ids`` changed by ``content_min_step`` or
        more on its last observation: someone walking in near the camera, turning or
        crouching. A step of the box's picture must stand out against such a change, so
        the caller analyses every sample while it lasts (`cctrace.ingest.rate`): at half
        the rate the change per observation of a walker doubles and hides the step of a
        next person who walks in where the tracked one walked (docs/benchmarks.md,
        "Scene changes"). A track whose picture was seen once counts as changing: how
        fast it changes is not known yet, and at a low sampling rate the next look may
        already be the next person's (a walker seen once before the jump)."""
        for tid in track_ids:
            seen = self._seen.get(tid)
            if seen is None or seen.picture is None:
                continue
            if seen.usual_change is None or seen.last_change >= self.content_min_step:
                return True
        return False

    def rename(self, old_id: int, new_id: int) -> None:
        """The tracker gave the split track a new ID: its restarted history goes with it."""
        if old_id != new_id and old_id in self._seen:
            self._seen[new_id] = self._seen.pop(old_id)

    def forget(self, track_id: int) -> None:
        """The track ended."""
        self._seen.pop(track_id, None)

    def reset(self) -> None:
        self._seen.clear()


def _mix(mean: NDArray[np.float64], new: NDArray[np.float64], rate: float) -> NDArray[np.float64]:
    out: NDArray[np.float64] = (1.0 - rate) * mean + rate * new
    return out

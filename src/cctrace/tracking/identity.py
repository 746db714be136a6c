"""Whether the person in a track's box is still the one the track began with.

The tracker links boxes by position; when one person steps in front of another, or a
camera's picture jumps and someone else stands where the tracked person stood, the box
moves on smoothly while the person in it changed, and every face and every second seen
afterwards would be credited to the wrong identity (issue 15, part 3). `IdentityWatch`
looks at each observation of each track and says where the identity jumped; the caller
then splits the track there (`ByteTracker.split`).

Two kinds of evidence, each against the track's own history:

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
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from cctrace.core.types import FloatArray


@dataclass(frozen=True)
class IdentityJump:
    """One track whose identity changed: split it before its last ``keep_last`` frames
    (those since the first of the observations that disagreed)."""

    track_id: int
    keep_last: int
    reason: str
    """``colour`` or ``face``: which evidence disagreed."""


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


@dataclass
class IdentityWatch:
    """Per-track identity evidence of one camera's tracker; see the module docstring.

    - ``colour_min_similarity``: least colour similarity (dot product of unit colour
      descriptors) to the track's running mean that keeps the identity.
    - ``colour_rate``: weight of a new observation in the running mean.
    - ``face_max_cosine``: a face this far (cosine below) from the track's mean face is
      someone else.
    - ``min_faces``: faces a track needs before its mean face is trusted.
    """

    colour_min_similarity: float = 0.45
    colour_rate: float = 0.3
    face_max_cosine: float = 0.15
    min_faces: int = 2
    _seen: dict[int, _Seen] = field(default_factory=dict, init=False, repr=False)

    def observe(
        self,
        track_id: NDArray[np.int64],
        colour: FloatArray,
        faces: list[tuple[FloatArray, float] | None],
    ) -> list[IdentityJump]:
        """One frame's N tracked persons: ``track_id`` (N,), ``colour`` (N, D) unit colour
        descriptors, ``faces`` per row the (128,) unit face embedding and its quality in
        [0, 1], or None where no recognisable face was found.

        Returns the tracks whose identity jumped on this frame; their history here is
        restarted from what this frame (and, for a colour jump, the frame before) showed,
        under the same track ID until the caller calls `rename`."""
        jumps: list[IdentityJump] = []
        for row, tid in enumerate(track_id.tolist()):
            seen = self._seen.setdefault(int(tid), _Seen())
            seen.frames += 1
            c = np.asarray(colour[row], np.float64)
            face = faces[row]
            jump = self._face_jump(seen, face) or self._colour_jump(seen, c)
            if jump is not None:
                restart = _Seen()
                if jump == "colour":
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

"""What one ingestion takes: the checked video, the options it runs with, and the
vision models, loaded once for many videos. The frame loop (`cctrace.ingest.frame_loop`),
the single-process ingestion (`cctrace.ingest.pipeline`) and the distributed workers
(`cctrace.ingest.worker`) all take these."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cctrace.geometry.calibration import Calibration
from cctrace.store.records import VideoRecord
from cctrace.video.frames import VideoInfo
from cctrace.vision.analyze import FaceAnalyzer
from cctrace.vision.appearance import AppearanceDescriber
from cctrace.vision.persons import PersonDetector, create_person_detector

ProgressFn = Callable[[float, float], None]
"""Called with (video seconds done, video seconds in all)."""


@dataclass(frozen=True)
class IngestOptions:
    sample_fps: float = 4.0
    """Frames analysed per second of video (at most; motion gating skips more)."""
    motion_skip: bool = True
    motion_threshold: float = 4.0
    checkpoint_every_s: float = 300.0
    """Longest stretch of video between two checkpoints (segments)."""
    appearance_every: int = 4
    """Appearance is embedded on every n-th observation of a track (about once a second
    at 4 fps: clothing does not change, and the track's mean is what is stored)."""
    person_detector: str | None = None
    face_cascade: bool = True
    """Search faces only in the head regions of tracked persons (one batched detector
    call, `cctrace.vision.cascade`) instead of the whole frame; False is the full-frame
    path it replaced, kept so that benchmarks/bench_ingest.py can show both."""
    adaptive_rate: bool = True
    """Analyse every ``calm_every``-th sample while the scene is calm, every sample where
    people appear, get lost or come near each other (`cctrace.ingest.rate`)."""
    calm_every: int = 2
    tiles_while_small: bool = False
    """Tiled person detection on every analysed frame while a small person is tracked
    (the rule before issue 14's third speed session); False tiles such a frame only when
    the full-frame pass misses a small tracked person (`cctrace.ingest.rate`)."""
    tile_every_s: float = 2.0
    """Tiled person detection at least once in every window of this length, for small
    newcomers the full-frame pass cannot see (1 s before issue 14's third speed session:
    at 2 s a small newcomer is found a little later, measured by
    benchmarks/bench_newcomers.py in docs/benchmarks.md, and busy 1080p footage tiles
    about half as many frames)."""
    face_fallback_every_s: float = 1.0
    """The face detector cascade's later passes (CenterFace, mirrored and enlarged YuNet:
    `cctrace.vision.face_cascade`) search a head where YuNet found no face on the first
    analysed frame of every window of this length, and on any frame when that track
    showed a face on its last analysed frame (a masked face found once is searched for
    again at once). Most faceless heads are backs of heads, where every try fails. 0: on
    every analysed frame (the rule before issue 14's third speed session)."""
    keyframes_when_quiet: bool = True
    """While the motion gate skips samples of an empty scene, decode keyframes only and go
    back to the last frame used when one shows a change (`cctrace.video.quiet`)."""
    quiet_max_keyframe_gap_s: float = 2.0
    """Keyframes further apart than this keep every frame decoded: someone could cross
    the view between two of them."""
    identity_breaks: bool = True
    """End tracks at scene changes (cuts, a freeze then a jump) and split them where the
    person in the box changed (clothing colour, face, or a step in what the box shows):
    `cctrace.tracking.scene`, `cctrace.tracking.identity`. False is the tracker alone,
    kept so that benchmarks/bench_cuts.py can show both."""
    identity_content: bool = True
    """With ``identity_breaks``, a step in what a tracked box shows splits the track too
    (`cctrace.tracking.identity.BoxContent`); False leaves colour and faces alone, kept so
    that benchmarks/bench_cuts.py can show the rules with and without it."""
    full_rate_while_changing: bool = True
    """With ``identity_content``, every sample is analysed while a tracked person's
    picture changes fast (`cctrace.ingest.rate`), and samples come at least
    ``changing_min_fps`` a second then and while someone just appeared; False samples
    and skips as while calm, the rule before, kept so that benchmarks/bench_cuts.py and
    bench_ingest.py can show both."""
    changing_min_fps: float = 4.0
    """With ``full_rate_while_changing``, samples are taken at least this many a second
    while someone just appeared or a picture changes fast, even when ``sample_fps`` is
    lower: at half the rate a walker's picture changes twice as much between two looks,
    and the step where one person replaces another no longer stands out from it
    (docs/benchmarks.md, "A sparse sampling rate")."""
    mask_colour_check: bool = True
    """A face votes masked only when the mask classifier and its lower face's colour
    agree (`cctrace.vision.mask.footage_mask_votes`); False is the classifier alone, kept
    so that benchmarks/bench_distance.py can show both."""
    mask_small_faces: bool = True
    """With ``mask_colour_check``, faces of 12-20 px vote too, by the colour of the lower
    face alone (`cctrace.vision.mask.small_face_mask_votes`); False leaves them without a
    vote, the rule before, kept so that benchmarks/bench_distance.py can show both."""


@dataclass(frozen=True)
class PreparedVideo:
    """A video that passed every check: nothing has been written for it yet."""

    path: Path
    info: VideoInfo
    video_id: str
    camera_id: str
    start_utc: datetime
    calibration: Calibration | None
    existing: VideoRecord | None


@dataclass
class VisionModels:
    """The models ingestion runs, loaded (and hash-checked) once for many videos."""

    persons: PersonDetector
    faces: FaceAnalyzer
    appearance: AppearanceDescriber

    @classmethod
    def load(cls, person_detector: str | None = None) -> VisionModels:
        return cls(
            persons=create_person_detector(person_detector),
            faces=FaceAnalyzer(),
            appearance=AppearanceDescriber(),
        )

"""Every threshold the trace uses, in one frozen record (defaults explained in
docs/benchmarks.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from cctrace.vision.appearance import SAME_PERSON_THRESHOLD
from cctrace.vision.faces import SFACE_COSINE_THRESHOLD

FaceFusion = Literal["mean", "max"]


INDEX_TOLERANCE = 1e-3
"""The index is asked for hits this far below the threshold; the exact score decides.
Matrix products round differently with the batch's shape, and a borderline hit must not
depend on which other cases were traced with it."""


@dataclass(frozen=True)
class TraceSettings:
    """Thresholds of patient search, route building and contact finding.

    Similarities are cosines (faces) or combined appearance similarities in [0, 1];
    times in seconds, distances in metres, speeds in metres per second.
    """

    # -- patient by face -----------------------------------------------------------------
    face_threshold: float = 0.45
    """Fused cosine at or above which a sighting's face is the patient's. Stricter than
    SFace's pairwise 0.363: searching one patient among a city's faces meets far more
    impostors than one comparison does. On the simulated city (seeds 0 and 1, default
    noise) 0.45 raised route precision from 0.91/0.87 to 0.99/0.92 at unchanged recall;
    real faces of the patient 24 px and wider score 0.42 and up (docs/benchmarks.md)."""
    face_chance_matches: float | None = 1.0
    """How many chance face matches (strangers scoring at or above the threshold) one
    case's search may expect; the threshold rises above ``face_threshold`` until the
    expectation is this low (None: the fixed threshold only). Searching N faces at a
    fixed threshold meets N times its false-accept rate: among 3 M simulated faces one
    patient had 125 face-confirmed stays at 0.45, three of them true. The impostor
    distribution is the query's own scores against every face searched (nearly all are
    strangers'; Z-score normalisation, as in speaker and face identification): the
    threshold is their mean plus z standard deviations, z the normal quantile of
    ``face_chance_matches / N``. A normal tail is an estimate; on the simulator's faces
    it over-counts the strangers above 0.45 (6e-5 predicted, 2e-5 drawn), so it errs
    strict there; real impostor scores may have a heavier tail than a normal one, which
    nobody has measured here on a real gallery of millions. In a district of a few
    thousand faces it stays below ``face_threshold`` and changes nothing
    (docs/benchmarks.md)."""
    face_fusion: FaceFusion = "mean"
    """How several reference photos become one score: the cosine to their renormalised
    mean ("mean"), or the best cosine to any of them ("max"). Mean measured better on
    noisy references at the same threshold (tests/trace/test_search.py)."""
    face_full_confidence_margin: float = 0.2
    """Similarity above the threshold at which a face match's confidence reaches 1
    (it is 0.5 at the threshold, linear between)."""
    face_max_hits_per_day: int = 5000
    """Index hits kept per reference query and UTC day (a patient seen more often in one
    day than this loses the weakest hits)."""
    sighting_max_span_s: float = 600.0
    """Longest sighting expected (the ingestion cuts tracks every 5 minutes): the index is
    filed by a sighting's start day, so the day this long before the window opens is
    searched too, for a sighting begun before midnight and still running in the window."""
    # -- extension along tracks and across cameras --------------------------------------
    walking_speed_mps: float = 1.4
    """Fastest plausible walking speed between camera positions."""
    reach_slack_m: float = 15.0
    """Added to the reachable distance: cameras are points but their views span metres."""
    appearance_threshold: float = SAME_PERSON_THRESHOLD
    """Appearance similarity at or above which two sightings may be the same person."""
    appearance_max_gap_s: float = 300.0
    """Farthest in time from a face-confirmed sighting that appearance alone may extend
    the route: clothing is not unique, and the longer the gap the more people qualify."""
    appearance_self_spread: float | None = 3.0
    """An appearance link must also come within this many robust standard deviations
    of how alike the patient's own face-confirmed sightings in different cameras look
    to each other (their median similarity less this times 1.4826 x MAD; never below
    ``appearance_threshold``; `plausibility.self_consistent_threshold`). None: the fixed
    threshold only. In a simulated city of 60 cameras and 1,000 people, three quarters
    of the time joined by appearance was look-alikes' at 0.87-0.91, while the patient's
    own sightings scored 0.92-0.97 against each other; over five held-out such cities
    route precision rose from 0.838 to 0.987 at unchanged recall (0.990)
    (docs/benchmarks.md, "Dense cities")."""
    appearance_self_min_pairs: int = 10
    """Cross-camera pairs of face-confirmed sightings the rule above needs; with fewer
    the fixed threshold applies."""
    appearance_consistent_only: bool = True
    """Sightings joined by appearance must make one possible route together (the patient
    is in one place at a time): of two that contradict each other, the more alike is
    kept. Without it, in the 1 M-sighting scale city (about 200 reachable cameras per
    sighting) a few patients' routes grew to 120-170 stays of chance look-alikes."""
    appearance_confidence_factor: float = 0.6
    """An appearance match's confidence is its seed's times this (times its margin term)."""
    appearance_full_confidence_margin: float = 0.08
    """Appearance similarity above the threshold at which its margin term reaches 1."""
    track_max_gap_s: float = 10.0
    """Two sightings of one camera this close in time may be one track cut in two: the
    ingestion ends every track at its 5-minute checkpoints, and the tracker ends a track
    lost for 2 s (`max_lost_s`), so a passer-by or a pillar hiding someone for a few
    seconds (up to about 8) cuts it too. 5 s left a quarter of the pieces of one
    presence unjoined on the simulated city (its gaps between pieces: median 2 s, 95th
    percentile 8 s); position and looks must still agree (`track_max_jump_m`,
    `track_appearance_threshold`), and face-confirmed sightings elsewhere veto it."""
    track_max_overlap_s: float = 1.0
    """Overlap in time still allowed between two pieces of one track (frame rounding)."""
    track_max_jump_m: float = 1.5
    """Floor distance allowed between one piece's end and the next's start, plus walking
    speed times the gap."""
    track_appearance_threshold: float = SAME_PERSON_THRESHOLD
    """Appearance similarity a continuation needs (same camera, same light)."""
    track_confidence_factor: float = 0.95
    """A continuation's confidence is its parent's times this."""
    store_prefetch_s: float = 600.0
    """Store reads around a found sighting reach this far (speed, not results: the next
    track pieces and the stay's contacts come with one read)."""
    # -- route -----------------------------------------------------------------------------
    route_merge_gap_s: float = 60.0
    """Sightings of one camera closer in time than this make one stay."""
    # -- contacts --------------------------------------------------------------------------
    distance_step_s: float = 0.25
    """Grid of the distance series (the ingestion samples about 4 frames per second)."""
    path_max_gap_s: float = 10.0
    """A person's path (all their pieces in one stay, merged) is not interpolated across
    a longer unseen stretch. Shorter ones are occlusions and track breaks (see
    `track_max_gap_s`, the same reasoning): interpolating them keeps a long meeting
    whole, where leaving them out undercounted exposure by about 2 minutes per close
    contact on the simulated city. Longer ones stay unknown: no straight line is
    invented through them."""
    path_smooth_s: float = 1.0
    """Floor positions are averaged over a centred window this long before distances
    are taken (0: raw). A foot point jitters by about 10 cm per axis from frame to frame
    (box bottoms; the simulator's default); averaging the 4 samples of a second halves
    that, and a centred mean does not lag a person walking at a steady pace."""
    still_min_s: float = 60.0
    """Where the patient and a contact both stand still at least this long, their
    distance is measured once over the stretch, between their mean positions
    (`cctrace.trace.contacts.steady_distance`); 0 measures every sample on its own."""
    still_window_s: float = 30.0
    """Standing still: the mean position over this long before and after each instant ..."""
    still_radius_m: float = 0.5
    """... differ by less than this (a walker covers it in half a second; jitter and a
    new track piece's offset move the mean by a few centimetres), and over the whole
    stretch 90 % of the positions stay this close to their mean."""
    foot_rows: bool = True
    """At an uncalibrated camera, place the people of a stay by their foot rows on the
    camera's own line of box height against foot row (`cctrace.geometry.row_scale`),
    not by each box's height alone: two people side by side 11 m away measured 1.9 m
    apart for 1.3 m when their statures differed (docs/benchmarks.md). False: the
    height model's positions as ingested."""
    face_veto_below: float = 0.2
    """A candidate whose own unmasked face scores below this against the patient is
    someone else, however alike their clothes: appearance and track evidence never add
    it. Strangers score about 0.12 on average, the patient at least 0.4 down to 24 px
    faces (docs/benchmarks.md); masked faces are exempt (the mask hides what matters)."""
    face_veto_min_quality: float = 0.3
    """Only a face at least this good (size, sharpness, pose) may veto: a blurred profile
    view of the patient can score low against a frontal photo."""
    same_body_max_m: float = 0.35
    """A co-present track whose median floor distance to the patient is below this is the
    patient's own second track (a detector's duplicate box), not a contact: two bodies'
    centres cannot be closer than about a shoulder width. Unless it is dressed
    differently (appearance below `track_appearance_threshold`): a duplicate box of one
    body shows the same clothes, and two people walking in through one door side by
    side can measure that close on the floor. Nor when its good unmasked face matches
    none of the patient's in the stay (below `contact_face_threshold`): a duplicate box
    shows the patient's face."""
    same_instant_max_m: float | None = 3.0
    """A sighting seen at the same instants as one of the patient's face-confirmed
    sightings, in another camera whose calibration names the same floor frame (both
    paths calibrated), is someone else when their floor positions at those instants lie
    more than this apart (median): one body seen in two views of one plan stands in one
    place, up to the two calibrations' errors. Camera distances alone let a look-alike
    10 m away in the next view of one room continue the patient's track while the
    patient's face was in the view beside it (docs/benchmarks.md "Dense cities").
    Chosen before measuring, twice `track_max_jump_m`; None: camera distances only."""
    shared_frame_radius_m: float = 60.0
    """Cameras whose calibrations name one floor frame (`Calibration.floor_frame`: views
    of one open space) and stand at most this far apart are read for contacts across
    their views: the patient in one view, the person beside them in the next. Farther
    cameras of the same plan see other parts of it, where nobody is within a policy's
    2 m of a person in this view."""
    masked_min_ratio: float = 0.5
    """A sighting counts as masked when at least this share of its faces wore a mask."""
    contact_face_threshold: float = SFACE_COSINE_THRESHOLD
    """Face cosine at or above which two contact sightings are one person."""
    contact_appearance_threshold: float = SAME_PERSON_THRESHOLD
    """Appearance similarity for one person when faces cannot decide."""

    def __post_init__(self) -> None:
        positive = (
            "face_full_confidence_margin",
            "walking_speed_mps",
            "appearance_full_confidence_margin",
            "distance_step_s",
            "path_max_gap_s",
            "same_body_max_m",
            "shared_frame_radius_m",
            "still_window_s",
            "still_radius_m",
        )
        for name in positive:
            if not getattr(self, name) > 0:
                raise ValueError(f"TraceSettings.{name} must be positive")
        if not self.path_smooth_s >= 0:
            raise ValueError("TraceSettings.path_smooth_s must be zero or positive")
        if not self.still_min_s >= 0:
            raise ValueError("TraceSettings.still_min_s must be zero or positive")
        if self.face_chance_matches is not None and not self.face_chance_matches > 0:
            raise ValueError("TraceSettings.face_chance_matches must be positive or None")
        if self.same_instant_max_m is not None and not self.same_instant_max_m > 0:
            raise ValueError("TraceSettings.same_instant_max_m must be positive or None")
        if self.appearance_self_spread is not None and not self.appearance_self_spread >= 0:
            raise ValueError("TraceSettings.appearance_self_spread must be zero or more, or None")
        if self.appearance_self_min_pairs < 1:
            raise ValueError("TraceSettings.appearance_self_min_pairs must be at least 1")
        if self.face_max_hits_per_day < 1:
            raise ValueError("TraceSettings.face_max_hits_per_day must be at least 1")
        if self.face_fusion not in ("mean", "max"):
            raise ValueError(
                f"TraceSettings.face_fusion must be mean or max, not {self.face_fusion}"
            )

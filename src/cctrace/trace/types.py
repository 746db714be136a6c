"""What a trace takes and gives: typed records shared by trace, sim, eval, CLI and API.

Times are UTC epoch seconds (float); distances metres; exposures seconds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from cctrace.core.types import Sighting

Evidence = Literal["face", "track", "appearance"]
Risk = Literal["high", "medium", "low"]


@dataclass(frozen=True)
class CaseQuery:
    """One patient to trace: reference face embeddings (R, 128) L2-normalised, the case's
    time window and, optionally, the cameras of its region (None: every camera)."""

    case_id: str
    reference_embeddings: NDArray[np.float32]
    t_from_s: float
    t_to_s: float
    camera_ids: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Stay:
    """A stretch of time the patient spent in one camera's view (merged sightings)."""

    camera_id: str
    site: str | None
    t_start_s: float
    t_end_s: float
    confidence: float
    masked_ratio: float
    evidence: Evidence
    sighting_ids: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class Encounter:
    """Time one contact spent near the patient at one camera."""

    camera_id: str
    t_start_s: float
    t_end_s: float
    exposure_s: float
    """Seconds within the policy's distance (interpolated floor paths)."""
    min_distance_m: float


@dataclass(frozen=True)
class Contact:
    """One other person (merged across cameras by face, else appearance) near the patient."""

    contact_id: str
    risk: Risk
    exposure_s: float
    min_distance_m: float
    distance_approximate: bool
    patient_masked: bool | None
    contact_masked: bool | None
    encounters: tuple[Encounter, ...]
    sighting_ids: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class TraceResult:
    case_id: str
    policy: str
    elapsed_s: float
    route: tuple[Stay, ...]
    contacts: tuple[Contact, ...]
    face_threshold: float = float("nan")
    """The face similarity this case's sightings had to reach: the configured threshold,
    raised for a large gallery (`TraceSettings.face_chance_matches`)."""
    faces_searched: int = 0


Progress = Callable[[str, float], None]
"""Told (a stage in words, the fraction of the trace done) as a trace moves on: a trace
run as a job shows both on the page."""


EVIDENCE_RANK: dict[Evidence, int] = {"face": 2, "track": 1, "appearance": 0}


@dataclass(frozen=True)
class ScoredSighting:
    """A sighting believed to be the patient's, with why and how sure (confidence 0..1).

    ``similarity`` is the fused face cosine for face evidence, the appearance similarity
    to ``parent_id`` (the sighting it was reached from) otherwise.
    """

    sighting: Sighting
    evidence: Evidence
    confidence: float
    similarity: float
    parent_id: str | None = None


def by_time(s: ScoredSighting) -> tuple[float, str]:
    return (s.sighting.t_start_s, s.sighting.sighting_id)

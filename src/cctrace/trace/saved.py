"""A trace result as stored in a saved trace run: JSON, exact, with its sighting ids.

NaN (no face seen, no threshold) travels as JSON null and comes back as NaN, so a result
read back equals the one written.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict
from typing import Any

from cctrace.core.errors import CorruptDataError
from cctrace.trace.types import Contact, Encounter, Stay, TraceResult


def _clean(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def _nan(value: float | None) -> float:
    return float("nan") if value is None else float(value)


def result_to_json(result: TraceResult) -> str:
    return json.dumps(_clean(asdict(result)), sort_keys=True, separators=(",", ":"))


def result_sha256(result_json: str) -> str:
    return hashlib.sha256(result_json.encode()).hexdigest()


def result_from_json(raw: str, trace_id: str) -> TraceResult:
    try:
        d = json.loads(raw)
        return TraceResult(
            case_id=d["case_id"],
            policy=d["policy"],
            elapsed_s=float(d["elapsed_s"]),
            route=tuple(
                Stay(
                    camera_id=s["camera_id"],
                    site=s["site"],
                    t_start_s=float(s["t_start_s"]),
                    t_end_s=float(s["t_end_s"]),
                    confidence=float(s["confidence"]),
                    masked_ratio=_nan(s["masked_ratio"]),
                    evidence=s["evidence"],
                    sighting_ids=tuple(s["sighting_ids"]),
                )
                for s in d["route"]
            ),
            contacts=tuple(
                Contact(
                    contact_id=c["contact_id"],
                    risk=c["risk"],
                    exposure_s=float(c["exposure_s"]),
                    min_distance_m=float(c["min_distance_m"]),
                    distance_approximate=bool(c["distance_approximate"]),
                    patient_masked=c["patient_masked"],
                    contact_masked=c["contact_masked"],
                    encounters=tuple(
                        Encounter(
                            camera_id=e["camera_id"],
                            t_start_s=float(e["t_start_s"]),
                            t_end_s=float(e["t_end_s"]),
                            exposure_s=float(e["exposure_s"]),
                            min_distance_m=float(e["min_distance_m"]),
                        )
                        for e in c["encounters"]
                    ),
                    sighting_ids=tuple(c["sighting_ids"]),
                )
                for c in d["contacts"]
            ),
            face_threshold=_nan(d["face_threshold"]),
            faces_searched=int(d["faces_searched"]),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise CorruptDataError(
            f"the saved result of trace {trace_id} is unreadable ({exc.__class__.__name__}): "
            "trace the case again"
        ) from None

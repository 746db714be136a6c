"""Attach detected faces to tracked persons of the same frame, pure and vectorised.

A face belongs to a person when it lies in the head region of the person box: mostly
inside the box, its centre in the upper ``head_frac`` of the box height and within the
box horizontally, and not implausibly large for that person. Each person takes at most
one face and each face at most one person; among the feasible pairs the Hungarian method
prefers faces centred horizontally and high in the box, which resolves overlapping
persons (the face of someone behind also falls inside the front person's box, but off
its centre line).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from cctrace.core.types import Detections, TrackedDetections
from cctrace.tracking.association import linear_assignment


def face_person_cost(
    person_box_xyxy: NDArray[np.float32] | NDArray[np.float64],
    face_box_xyxy: NDArray[np.float32] | NDArray[np.float64],
    head_frac: float = 1 / 3,
    min_inside_frac: float = 0.7,
    max_face_h_frac: float = 0.5,
) -> NDArray[np.float64]:
    """Cost of each (person, face) pair, (P, 4) x (F, 4) -> (P, F); +inf where not feasible.

    Cost = 2·|face centre x - person centre x| / person width
           + (face centre y - person top) / person height,
    so a face on the centre line at the top of the box costs about 0 and the horizontal
    offset weighs double (people lean and bend, but a head is rarely off to the side).
    Feasible when: the face centre's x lies inside the person box; its y lies between
    ``head_frac`` of the height from the top and a tenth of the height above the top
    (boxes often clip the hair); at least ``min_inside_frac`` of the face area is inside
    the person box; and the face is at most ``max_face_h_frac`` of the person's height.
    """
    p = np.asarray(person_box_xyxy, dtype=np.float64).reshape(-1, 4)
    f = np.asarray(face_box_xyxy, dtype=np.float64).reshape(-1, 4)
    pw = np.maximum(p[:, 2] - p[:, 0], 1.0)[:, None]
    ph = np.maximum(p[:, 3] - p[:, 1], 1.0)[:, None]
    fcx = ((f[:, 0] + f[:, 2]) / 2)[None, :]
    fcy = ((f[:, 1] + f[:, 3]) / 2)[None, :]
    fh = (f[:, 3] - f[:, 1])[None, :]
    farea = np.maximum((f[:, 2] - f[:, 0]) * (f[:, 3] - f[:, 1]), 1e-9)[None, :]
    pcx = ((p[:, 0] + p[:, 2]) / 2)[:, None]
    y_rel = (fcy - p[:, 1:2]) / ph
    ix = np.clip(
        np.minimum(p[:, 2:3], f[None, :, 2]) - np.maximum(p[:, 0:1], f[None, :, 0]), 0, None
    )
    iy = np.clip(
        np.minimum(p[:, 3:4], f[None, :, 3]) - np.maximum(p[:, 1:2], f[None, :, 1]), 0, None
    )
    inside = ix * iy / farea
    feasible = (
        (fcx >= p[:, 0:1])
        & (fcx <= p[:, 2:3])
        & (y_rel >= -0.1)
        & (y_rel <= head_frac)
        & (inside >= min_inside_frac)
        & (fh <= max_face_h_frac * ph)
    )
    cost = 2.0 * np.abs(fcx - pcx) / pw + np.clip(y_rel, 0.0, None)
    return np.where(feasible, cost, np.inf)


def link_faces_to_tracks(
    persons: TrackedDetections,
    faces: Detections,
    head_frac: float = 1 / 3,
    min_inside_frac: float = 0.7,
    max_face_h_frac: float = 0.5,
) -> NDArray[np.int64]:
    """Track ID for each of the M faces, (M,) int64, or -1 where no person takes it.

    ``persons`` and ``faces`` come from the same frame, boxes in its pixels. See
    `face_person_cost` for the rule and the parameters.
    """
    out = np.full(len(faces), -1, dtype=np.int64)
    if len(persons) == 0 or len(faces) == 0:
        return out
    cost = face_person_cost(
        persons.detections.box_xyxy,
        faces.box_xyxy,
        head_frac=head_frac,
        min_inside_frac=min_inside_frac,
        max_face_h_frac=max_face_h_frac,
    )
    # Every finite cost is below 2 + head_frac; the threshold only excludes +inf.
    a = linear_assignment(cost, threshold=1e6)
    out[a.matches[:, 1]] = persons.track_id[a.matches[:, 0]]
    return out

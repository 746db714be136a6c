"""Who a sighting of a rendered scene is: the scripted person the truth names."""

from __future__ import annotations

from collections import Counter

import numpy as np

from cctrace.core.geometry import box_iou_batch
from cctrace.core.types import Sighting
from cctrace.sim.render import CameraRenderer


def who_is(renderer: CameraRenderer, s: Sighting, t0: float) -> str | None:
    """The scripted person whose drawn box overlaps the sighting's boxes most often."""
    assert s.path_box_xyxy is not None
    votes: Counter[str | None] = Counter()
    for t, box in zip(s.path_t_s, s.path_box_xyxy, strict=True):
        figures = renderer.figures_at(t - t0)
        if not figures:
            continue
        iou = box_iou_batch(box[None].astype(np.float64), np.stack([f.box_xyxy for f in figures]))
        best = int(np.argmax(iou[0]))
        votes[figures[best].person.person_id if iou[0, best] > 0.3 else None] += 1
    return votes.most_common(1)[0][0] if votes else None

"""Units, sizes and the body canon every part of the demo town's renderer shares."""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import NDArray

F64 = NDArray[np.float64]
BGR = tuple[int, int, int]
Role = Literal["patient", "friend", "bystander"]

DEFAULT_FPS = 8.0
"""Frames per second written: ingestion samples about 4 per second, so 8 leaves it a
choice of frames while keeping rendering and decoding cheap."""
DEFAULT_SIZE_PX = (768, 432)
HEAD_FRACTION = 1 / 7.5
"""Head height (crown to chin) as a fraction of body height, the classical adult canon."""
FACE_FRONT_COS = 0.35
"""A head whose facing direction is within ~70 degrees of the camera shows its face."""
TRUTH_STEP_S = 0.25

"""The person segmenter on a real crop of the shared video (no mocks)."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from cctrace.core.errors import ModelError
from cctrace.vision.segment import PersonSegmenter


def test_person_pixels_score_high_and_the_room_low(shared_video: Path) -> None:
    """Man B (black jacket) at frame 300 stands in the middle of his box, white wall and
    wooden floor at both sides (checked by eye)."""
    with av.open(str(shared_video)) as container:
        for index, frame in enumerate(container.decode(video=0)):
            if index == 300:
                image = np.asarray(frame.to_ndarray(format="bgr24"), np.uint8)
                break
    crop = np.ascontiguousarray(image[4:380, 380:544])  # (376, 164)
    (mask,) = PersonSegmenter().masks([crop], (48, 128))
    assert mask.shape == (128, 48) and mask.dtype == np.float32
    assert float(mask.min()) >= 0.0 and float(mask.max()) <= 1.0
    torso = mask[30:80, 18:30]  # the jacket
    sides = np.concatenate([mask[20:110, :4], mask[20:110, -4:]])  # wall and floor
    assert float(torso.mean()) > 0.9
    assert float(sides.mean()) < 0.25


def test_missing_model_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CCTRACE_MODELS", str(tmp_path))
    with pytest.raises(ModelError, match=r"selfie_segmentation\.onnx \(segmentation\) is missing"):
        PersonSegmenter()

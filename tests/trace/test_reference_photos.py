"""A case's reference photos go through the same face detector cascade as everything else:
a masked face is usable, a photo without a face is refused by name."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from cctrace.core.errors import NoFaceError
from cctrace.trace.cases import MIN_REFERENCE_QUALITY, reference_faces
from cctrace.vision.analyze import FaceAnalyzer
from tests.masked import masked_face


@pytest.fixture(scope="module")
def analyzer() -> FaceAnalyzer:
    return FaceAnalyzer()


def test_a_masked_reference_photo_is_usable(
    analyzer: FaceAnalyzer, faces_dir: Path, tmp_path: Path
) -> None:
    frame, _ = masked_face(faces_dir)
    assert len(analyzer.detector.detect(frame)) == 0, "YuNet alone would refuse this photo"
    photo = tmp_path / "patient.png"
    assert cv2.imwrite(str(photo), frame)
    [ref] = reference_faces([photo], analyzer)
    assert ref.quality >= MIN_REFERENCE_QUALITY
    assert ref.embedding.shape == (128,)
    assert float(np.linalg.norm(ref.embedding)) == pytest.approx(1.0, abs=1e-3)


def test_a_photo_without_a_face_is_refused_by_name(analyzer: FaceAnalyzer, tmp_path: Path) -> None:
    from skimage import data

    photo = tmp_path / "upload-7f3a.png"
    rocket = cv2.cvtColor(np.asarray(data.rocket()), cv2.COLOR_RGB2BGR)  # type: ignore[no-untyped-call]
    assert cv2.imwrite(str(photo), cv2.resize(rocket, None, fx=0.5, fy=0.5))
    with pytest.raises(NoFaceError, match=r"^rocket\.jpg: no face found; use a photo") as err:
        reference_faces([photo], analyzer, names=["rocket.jpg"])
    assert err.value.field == "patient_photo"

"""Shared fixtures: the real public data beside the repo and public-domain sample faces."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


def shared_file(relative: str) -> Path:
    """A file under ../shared/data; fails (never skips) with a clear message if absent."""
    path = SHARED_DATA / relative
    if not path.is_file():
        pytest.fail(
            f"test data {path} is missing: clone the repo with ../shared beside it "
            "(see ../shared/data/README.md)"
        )
    return path


@pytest.fixture(scope="session")
def faces_dir() -> Path:
    shared_file("face-identities/test/obama1.jpg")
    return SHARED_DATA / "face-identities"


@pytest.fixture(scope="session")
def shared_video() -> Path:
    return shared_file("intel-sample-videos/one-by-one-person-detection.mp4")


@pytest.fixture(scope="session")
def astronaut_path() -> Path:
    import skimage

    return Path(skimage.__file__).parent / "data" / "astronaut.png"


@pytest.fixture(scope="session")
def astronaut_bgr(astronaut_path: Path) -> np.ndarray:  # type: ignore[type-arg]
    image = cv2.imread(str(astronaut_path))
    assert image is not None
    return np.asarray(image, np.uint8)


@pytest.fixture(scope="session")
def grace_hopper_path() -> Path:
    import matplotlib.cbook as cbook

    return Path(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))

"""Shared fixtures: the real public data beside the repo and public-domain sample faces."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.backends import PG_URL_ENV, Backend

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


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect the PostgreSQL variant of tests marked ``sqlite_only`` (those checking
    SQLite itself, or slow ones whose database work another PostgreSQL test covers; the
    marker says which), and the SQLite variant of those marked ``postgres_only``."""
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    for item in items:
        callspec = getattr(item, "callspec", None)
        backend = None if callspec is None else callspec.params.get("backend")
        other = {"postgres": "sqlite_only", "sqlite": "postgres_only"}.get(str(backend))
        (drop if other and item.get_closest_marker(other) else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(
    scope="session", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    """The database under test; fixtures that make a data folder take it, so the tests
    built on them run on SQLite and on PostgreSQL (see tests/backends.py)."""
    if request.param == "sqlite":
        yield Backend("sqlite")
        return
    url = os.environ.get(PG_URL_ENV)
    if not url:
        pytest.skip(
            f"no PostgreSQL server: set {PG_URL_ENV}, or run the suite through "
            "tools/pg/pg_throwaway.sh (as `make test` does)"
        )
    pg = Backend("postgres", url)
    yield pg
    pg.drop_all()

"""Rank a gallery of person images by clothing similarity to each query image.

This is a local tool on files the caller already holds, like ``faces analyze`` and
``faces compare``: it reads two folders, touches no stored footage, sighting or case,
writes nothing and keeps nothing, so there is no data folder to authorise against and
nothing of anyone else's to audit. A search of *stored* footage by appearance stays a
trace, which is consent-gated, role-checked and audited (`services/traces.py`).

Every image file (jpg, jpeg, png) directly in a folder is one person: the whole image is
the person box. All images are read and checked before any is described, so bad input
fails before any work and nothing is printed half-way.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cctrace.core.errors import InputError
from cctrace.core.types import ImageBGR
from cctrace.schemas import AppearanceMatchOut, AppearanceQueryOut, RankedImageOut
from cctrace.video.images import load_image
from cctrace.vision.reid import ReidDescriber, reid_similarity_matrix

PERSON_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
DEFAULT_TOP_K = 10
MIN_SIDE_PX = 8
"""Smaller images hold too few pixels for a stripe of clothing."""


def person_images(folder: Path, what: str) -> list[Path]:
    """The folder's jpg/png files (not hidden), sorted by name; ``what`` names the folder
    in errors ("query folder"). InputError when it is missing, no folder, or holds none."""
    if not folder.exists():
        raise InputError(f"{what} {folder}: no such folder; check the path")
    if not folder.is_dir():
        raise InputError(f"{what} {folder}: not a folder; give a folder of person images")
    try:
        entries = sorted(folder.iterdir(), key=lambda p: p.name)
    except OSError as exc:
        raise InputError(f"{what} {folder}: cannot list it ({exc.strerror})") from None
    found = [
        p
        for p in entries
        if p.suffix.lower() in PERSON_IMAGE_SUFFIXES and not p.name.startswith(".") and p.is_file()
    ]
    if not found:
        raise InputError(
            f"{what} {folder}: no jpg or png images in it; put one image per person there"
        )
    return found


def _load(path: Path) -> ImageBGR:
    image = load_image(path)
    if min(image.shape[:2]) < MIN_SIDE_PX:
        raise InputError(
            f"{path}: {image.shape[1]}x{image.shape[0]} pixels is too small to describe "
            f"clothing; give a person image at least {MIN_SIDE_PX} pixels on each side"
        )
    return image


def match_folders(
    query_dir: Path,
    gallery_dir: Path,
    top_k: int = DEFAULT_TOP_K,
    describer: ReidDescriber | None = None,
) -> AppearanceMatchOut:
    """For each query image, the ``top_k`` gallery images most alike, best first."""
    if top_k < 1:
        raise InputError(f"--top must be at least 1, got {top_k}", field="top")
    query_paths = person_images(query_dir, "query folder")
    gallery_paths = person_images(gallery_dir, "gallery folder")
    queries = [_load(p) for p in query_paths]
    gallery = [_load(p) for p in gallery_paths]
    describer = describer or ReidDescriber()
    sim = reid_similarity_matrix(
        describer.describe_crops(queries), describer.describe_crops(gallery)
    )
    k = min(top_k, len(gallery_paths))
    out = []
    for i, path in enumerate(query_paths):
        # Stable sort on the negated similarity: equal scores keep the gallery's name order.
        order = np.argsort(-sim[i], kind="stable")[:k]
        ranked = [
            RankedImageOut(path=str(gallery_paths[j]), similarity=round(float(sim[i, j]), 4))
            for j in order
        ]
        out.append(AppearanceQueryOut(path=str(path), ranked=ranked))
    return AppearanceMatchOut(queries=out)

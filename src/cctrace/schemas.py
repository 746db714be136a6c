"""The JSON contracts of the CLI (and later the API): pydantic models at the edge.

Later tooling depends on these keys; add keys, never rename or remove them.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FaceOut(_Out):
    box_xyxy: list[float]
    score: float
    landmarks: list[list[float]]
    quality: float
    mask_probability: float


class ImageFacesOut(_Out):
    path: str
    width: int
    height: int
    faces: list[FaceOut]


class FacesAnalyzeOut(_Out):
    images: list[ImageFacesOut]


class FacesCompareOut(_Out):
    similarity: float
    same_person: bool
    threshold: float


class PersonOut(_Out):
    box_xyxy: list[float]
    score: float


class DetectImageOut(_Out):
    path: str
    frame: int | None
    t_s: float | None = None
    persons: list[PersonOut]
    faces: list[FaceOut]


class DetectOut(_Out):
    images: list[DetectImageOut]


class ModelOut(_Out):
    name: str
    file: str
    sha256: str
    source: str
    licence: str
    status: str
    """"ok", "missing" or "altered": the file in the models folder against its hash."""


class ModelsOut(_Out):
    models_dir: str
    models: list[ModelOut]

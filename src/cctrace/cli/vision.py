"""Commands on photos and video frames: faces, detect, models."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from cctrace.cli.common import JsonOpt, T, err, error, print_json, run
from cctrace.core.errors import CctraceError
from cctrace.core.types import Detections, FloatArray
from cctrace.schemas import (
    DetectImageOut,
    DetectOut,
    FaceOut,
    FacesAnalyzeOut,
    FacesCompareOut,
    ImageFacesOut,
    ModelOut,
    ModelsOut,
    PersonOut,
)

faces_app = typer.Typer(help="Find, compare and score faces in photos.", no_args_is_help=True)
models_app = typer.Typer(help="The model files cctrace runs.", no_args_is_help=True)


def _r(values: FloatArray | list[float], ndigits: int = 2) -> list[float]:
    return [round(float(v), ndigits) for v in np.asarray(values).reshape(-1)]


def _face_rows(analysis: object) -> list[FaceOut]:
    from cctrace.vision.analyze import FaceAnalysis

    assert isinstance(analysis, FaceAnalysis)
    f = analysis.faces
    assert f.landmarks_xy is not None
    return [
        FaceOut(
            box_xyxy=_r(f.box_xyxy[i]),
            score=round(float(f.score[i]), 4),
            landmarks=[_r(p) for p in f.landmarks_xy[i]],
            quality=round(float(analysis.quality[i]), 4),
            mask_probability=round(float(analysis.mask_probability[i]), 4),
        )
        for i in range(len(f))
    ]


def _person_rows(persons: Detections) -> list[PersonOut]:
    return [
        PersonOut(box_xyxy=_r(persons.box_xyxy[i]), score=round(float(persons.score[i]), 4))
        for i in range(len(persons))
    ]


def _load_all(paths: list[Path]) -> list[tuple[Path, np.ndarray]]:  # type: ignore[type-arg]
    from cctrace.video.images import load_image

    # Every file is read before anything is printed, so bad input leaves stdout empty.
    return [(p, load_image(p)) for p in paths]


@faces_app.command("analyze")
def faces_analyze(
    images: Annotated[list[Path], typer.Argument(help="Photos to analyse.")],
    json_out: JsonOpt = False,
) -> None:
    """Detect faces; give each its box, landmarks, quality and mask probability."""

    def work() -> FacesAnalyzeOut:
        from cctrace.vision.analyze import FaceAnalyzer

        loaded = _load_all(images)
        analyzer = FaceAnalyzer()
        out = []
        for path, image in loaded:
            analysis = analyzer.analyze(image)
            out.append(
                ImageFacesOut(
                    path=str(path),
                    width=image.shape[1],
                    height=image.shape[0],
                    faces=_face_rows(analysis),
                )
            )
        return FacesAnalyzeOut(images=out)

    result = run(work)
    if json_out:
        print_json(result)
        return
    table = Table("image", "face", "box (x1,y1,x2,y2)", "score", "quality", "mask p")
    for im in result.images:
        if not im.faces:
            table.add_row(im.path, "-", "no face found", "", "", "")
        for i, f in enumerate(im.faces):
            box = ",".join(f"{v:.0f}" for v in f.box_xyxy)
            table.add_row(
                im.path,
                str(i),
                box,
                f"{f.score:.2f}",
                f"{f.quality:.2f}",
                f"{f.mask_probability:.2f}",
            )
    Console().print(table)


@faces_app.command("compare")
def faces_compare(
    image_a: Annotated[Path, typer.Argument(help="First photo (its largest face is used).")],
    image_b: Annotated[Path, typer.Argument(help="Second photo (its largest face is used).")],
    threshold: Annotated[
        float | None, typer.Option(help="Same-person cosine threshold (default: SFace's).")
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Say whether the largest faces of two photos are the same person."""

    def work() -> FacesCompareOut:
        from cctrace.vision.analyze import FaceAnalyzer
        from cctrace.vision.faces import SFACE_COSINE_THRESHOLD

        loaded = _load_all([image_a, image_b])
        analyzer = FaceAnalyzer()
        embs = []
        for path, image in loaded:
            analysis = analyzer.analyze(image)
            embs.append(analysis.embedding[analysis.largest(str(path))])
        thr = SFACE_COSINE_THRESHOLD if threshold is None else threshold
        sim = float(np.dot(embs[0], embs[1]))
        return FacesCompareOut(similarity=round(sim, 4), same_person=sim >= thr, threshold=thr)

    result = run(work)
    if json_out:
        print_json(result)
        return
    verdict = "same person" if result.same_person else "different people"
    Console().print(
        f"similarity {result.similarity:.3f} (threshold {result.threshold:.3f}): {verdict}"
    )


def _detect_items(
    paths: list[Path], every_n: int | None
) -> Iterator[tuple[Path, int | None, float | None, np.ndarray]]:  # type: ignore[type-arg]
    from cctrace.video.frames import VIDEO_SUFFIXES, iter_frames, probe
    from cctrace.video.images import load_image

    kinds: list[tuple[Path, bool, int]] = []
    for p in paths:  # validate every input before any output
        if p.suffix.lower() in VIDEO_SUFFIXES:
            info = probe(p)
            step = every_n or max(1, round(info.fps / 4))
            kinds.append((p, True, step))
        else:
            load_image(p)
            kinds.append((p, False, 1))
    for p, is_video, step in kinds:
        if is_video:
            for frame in iter_frames(p, step):
                yield p, frame.index, round(frame.t_s, 3), frame.image_bgr
        else:
            yield p, None, None, load_image(p)


def register(app: typer.Typer) -> None:
    app.add_typer(faces_app, name="faces")
    app.add_typer(models_app, name="models")
    app.command("detect")(detect)


def detect(
    inputs: Annotated[list[Path], typer.Argument(help="Images or videos.")],
    every_n_frames: Annotated[
        int | None,
        typer.Option("--every-n-frames", min=1, help="Video sampling (default: about 4 per s)."),
    ] = None,
    detector: Annotated[
        str | None,
        typer.Option(help="Person detector: 'nanodet' (default) or a YOLO-family .onnx file."),
    ] = None,
    min_score: Annotated[
        float | None,
        typer.Option(
            "--min-score",
            min=0.01,
            max=0.99,
            help="Lowest person score listed (default 0.15: weak boxes of half-hidden "
            "people, ranked by score; 0.4 and above count as a person on their own).",
        ),
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Detect people and faces in images and video frames."""

    def work() -> DetectOut:
        from cctrace.vision.analyze import FaceAnalyzer
        from cctrace.vision.persons import (
            PERSON_MIN_SCORE,
            PERSON_SCORE_THRESHOLD,
            create_person_detector,
        )

        items = _detect_items(inputs, every_n_frames)
        first = next(items)  # validation of every input happens here
        person_detector = create_person_detector(
            detector, min_score=PERSON_MIN_SCORE if min_score is None else min_score
        )
        analyzer = FaceAnalyzer()
        out = []
        progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TimeRemainingColumn(),
            console=err,
            transient=True,
            disable=not err.is_terminal,
        )
        with progress:
            task = progress.add_task("detecting", total=None)
            for path, index, t_s, image in _chain(first, items):
                persons = person_detector.detect(image)
                # Faces are searched in confident person boxes only, as before low boxes
                # were listed: a weak box is a ranking entry, not a head to search.
                confident = persons[persons.score >= PERSON_SCORE_THRESHOLD]
                out.append(
                    DetectImageOut(
                        path=str(path),
                        frame=index,
                        t_s=t_s,
                        persons=_person_rows(persons),
                        faces=_face_rows(analyzer.analyze(image, confident)),
                    )
                )
                progress.advance(task)
        return DetectOut(images=out)

    result = run(work)
    if json_out:
        print_json(result)
        return
    from cctrace.vision.persons import PERSON_SCORE_THRESHOLD

    table = Table(
        "input",
        "frame",
        "time s",
        f"persons (score {PERSON_SCORE_THRESHOLD}+)",
        "weak boxes",
        "faces",
    )
    for im in result.images:
        confident = sum(p.score >= PERSON_SCORE_THRESHOLD for p in im.persons)
        table.add_row(
            im.path,
            "-" if im.frame is None else str(im.frame),
            "-" if im.t_s is None else f"{im.t_s:.2f}",
            str(confident),
            str(len(im.persons) - confident),
            str(len(im.faces)),
        )
    Console().print(table)


def _chain(first: T, rest: Iterator[T]) -> Iterator[T]:
    yield first
    yield from rest


@models_app.command("list")
def models_list(json_out: JsonOpt = False) -> None:
    """List every model file with its SHA-256, source, licence and status."""
    from cctrace.vision.models import MODELS, model_status, models_dir
    from cctrace.vision.runtime import chosen_runtime, describe

    runtime = run(chosen_runtime)
    result = ModelsOut(
        models_dir=str(models_dir()),
        person_runtime=runtime,
        models=[
            ModelOut(
                name=m.name,
                file=m.file,
                sha256=m.sha256,
                source=m.source,
                licence=m.licence,
                status=model_status(m.name),
            )
            for m in MODELS
        ],
    )
    if json_out:
        print_json(result)
        return
    table = Table(
        "name",
        "file",
        "status",
        "sha256",
        "source",
        "licence",
        title=f"models in {result.models_dir}",
        caption=f"person detection runs on {describe(runtime)}",
    )
    for m in result.models:
        table.add_row(m.name, m.file, m.status, m.sha256[:16] + "…", m.source, m.licence)
    Console().print(table)


@models_app.command("check")
def models_check() -> None:
    """Exit 5 naming each model file that is missing or altered, else exit 0."""
    from cctrace.vision.models import MODELS, model_path

    bad = []
    for m in MODELS:
        try:
            model_path(m.name)
        except CctraceError as exc:
            bad.append(exc)
    for failure in bad:
        error(failure.message)
    if bad:
        raise typer.Exit(bad[0].exit_code)
    Console().print(f"all {len(MODELS)} model files present and intact")

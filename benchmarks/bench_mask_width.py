"""Mask state by face width: the mask classifier alone and the footage vote, against truth.

Issue 15 part 6: in rendered footage, contacts were reported masked whether or not they
wore a mask; faces there are 14-35 px wide. This measures, per face width, how often
masked faces are called masked and bare faces bare by

- the classifier alone (``OnnxMaskClassifier.predict`` >= 0.5: what footage used before);
- the footage vote, as ingestion casts it: from ``MIN_VOTE_FACE_PX`` classifier and
  lower-face colour agree (`cctrace.vision.mask.footage_mask_votes`); from
  ``MIN_SMALL_VOTE_FACE_PX`` to it the lower face's loss of skin colour alone
  (`small_face_mask_votes`); narrower faces cast no vote (counted as not right either
  way, and shown as "no vote").

Faces with truth, three sources:

- **photos**: the 17 real faces of ``bench_masked_faces`` (shared face-identities,
  skimage astronaut, matplotlib grace_hopper) and their mirror images, bare and under
  each of its 8 synthetic mask variants, shrunk so that the face is 12-64 px wide and
  captured ``clean`` or ``cctv`` (dark, noisy, blurred, turned, JPEG 55); the face box is
  YuNet's on the full-size photo, scaled (the classifier is measured, not the detector);
- **rendered**: the contact scenes of ``bench_distance`` (`cctrace.sim.contact_scene`,
  seeds 1..N, masked and bare contact, whole and feet cut), every 2.5 s; the faces the
  ingestion's face cascade finds on the true person boxes, matched to the drawn faces.

Run (2-core CPU, about 4 minutes)::

    .venv/bin/python -m benchmarks.bench_mask_width [--seeds 6] [--captures clean cctv]
"""

from __future__ import annotations

import argparse
import itertools
from dataclasses import dataclass

import cv2
import numpy as np

from benchmarks.bench_distance import rendered_faces_with_truth
from benchmarks.bench_masked_faces import CAPTURES, DATA_DIR, MASKS, capture, load_photos, mirrored
from cctrace.core.types import Detections, FloatArray, ImageBGR
from cctrace.vision.analyze import FaceAnalyzer
from cctrace.vision.mask import (
    DEFAULT_THRESHOLD,
    MIN_SMALL_VOTE_FACE_PX,
    MIN_VOTE_FACE_PX,
    OnnxMaskClassifier,
    footage_mask_votes,
    small_face_mask_votes,
)

WIDTHS_PX = (12, 14, 16, 18, 20, 24, 28, 32, 40, 48, 64)
BINS_PX = ((0, 12), (12, 16), (16, 20), (20, 24), (24, 32), (32, 48), (48, 10_000))


@dataclass(frozen=True)
class Face:
    """One face with truth: where it came from, its width (px), masked or not, and the
    verdicts (classifier alone; the footage vote, None where no vote is cast)."""

    source: str
    width_px: float
    masked: bool
    classifier: bool
    vote: bool | None


def judge(
    classifier: OnnxMaskClassifier, image: ImageBGR, box: FloatArray, source: str, masked: bool
) -> Face:
    boxes = np.asarray(box, np.float32).reshape(1, 4)
    prob = classifier.predict(image, Detections(boxes, np.ones(1, np.float32)))
    width = float(boxes[0, 2] - boxes[0, 0])
    said = bool(prob[0] >= DEFAULT_THRESHOLD)
    if width >= MIN_VOTE_FACE_PX:
        vote = footage_mask_votes(image, boxes, prob)[0]
    else:
        vote = small_face_mask_votes(image, boxes)[0]
    return Face(source, width, masked, said, vote)


def photo_faces(classifier: OnnxMaskClassifier, capture_names: list[str]) -> list[Face]:
    photos = load_photos(DATA_DIR)
    photos += [mirrored(p) for p in photos]
    captures = [c for c in CAPTURES if c.name in capture_names]
    out = []
    for pi, photo in enumerate(photos):
        assert photo.faces.landmarks_xy is not None
        for fi, (box, lm) in enumerate(
            zip(photo.faces.box_xyxy, photo.faces.landmarks_xy, strict=True)
        ):
            bw = float(box[2] - box[0])
            for vi, variant in enumerate((None, *MASKS)):
                image = photo.image_bgr
                if variant is not None:
                    image = variant.draw(image, lm, seed=pi * 100 + fi * 10 + vi)
                # Only the face and one face width around it is shrunk (speed).
                x0, y0 = int(max(box[0] - bw, 0)), int(max(box[1] - bw, 0))
                x1 = int(min(box[2] + bw, image.shape[1]))
                y1 = int(min(box[3] + bw, image.shape[0]))
                region = image[y0:y1, x0:x1]
                local = box - np.array([x0, y0, x0, y0], np.float32)
                for how, width in itertools.product(captures, WIDTHS_PX):
                    s = width / bw
                    small = capture(region, s, how)
                    scaled = local * np.array([s * how.squeeze, s, s * how.squeeze, s], np.float32)
                    out.append(
                        judge(classifier, small, scaled, f"photos, {how.name}", variant is not None)
                    )
    return out


def rendered_faces(classifier: OnnxMaskClassifier, seeds: int) -> list[Face]:
    analyzer = FaceAnalyzer(mask=classifier)
    return [
        judge(classifier, image, box, "rendered", f.masked)
        for image, faces, owners in rendered_faces_with_truth(analyzer, seeds)
        for box, f in zip(faces.box_xyxy, owners, strict=True)
        if f is not None
    ]


def _cell(faces: list[Face], masked: bool, verdict: str) -> str:
    sel = [f for f in faces if f.masked is masked]
    if not sel:
        return "-"
    said = [f.classifier if verdict == "classifier" else f.vote for f in sel]
    right = sum(1 for s in said if s is masked)
    silent = sum(1 for s in said if s is None)
    return f"{right}/{len(sel)} {right / len(sel):.2f}" + (f" ({silent} no vote)" if silent else "")


def report(faces: list[Face]) -> str:
    lines = []
    head = "| source | face width | masked called masked: classifier / footage vote | "
    head += "bare called bare: classifier / footage vote |"
    lines += [head, "|---|---|---|---|"]
    for source in dict.fromkeys(f.source for f in faces):
        for lo, hi in BINS_PX:
            sel = [f for f in faces if f.source == source and lo <= f.width_px < hi]
            if not sel:
                continue
            width = f"{lo}-{hi} px" if hi < 10_000 else f"{lo}+ px"
            if hi <= MIN_SMALL_VOTE_FACE_PX:
                width += " (no vote cast)"
            elif hi <= MIN_VOTE_FACE_PX:
                width += " (colour vote)"
            lines.append(
                f"| {source} | {width} | {_cell(sel, True, 'classifier')} / "
                f"{_cell(sel, True, 'vote')} | {_cell(sel, False, 'classifier')} / "
                f"{_cell(sel, False, 'vote')} |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=6, help="contact scene seeds")
    parser.add_argument(
        "--captures", nargs="*", default=["clean", "cctv"], choices=[c.name for c in CAPTURES]
    )
    args = parser.parse_args()
    cv2.setNumThreads(1)
    classifier = OnnxMaskClassifier(threads=1)
    faces = photo_faces(classifier, args.captures) + rendered_faces(classifier, args.seeds)
    print(report(faces))


if __name__ == "__main__":
    main()

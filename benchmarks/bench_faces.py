"""Face verification on the real photos in ../shared/data/face-identities.

Prints every same/different pair of single-face photos with its SFace cosine
similarity, the false-accept and false-reject counts at the threshold, and how the
genuine similarity holds when the probe face is shrunk to CCTV sizes. Also times YuNet
at 720p/1080p and SFace per face on this machine.

    .venv/bin/python benchmarks/bench_faces.py
"""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import cv2
import matplotlib.cbook as cbook
import numpy as np
import skimage

from cctrace.video.images import load_image
from cctrace.vision.faces import SFACE_COSINE_THRESHOLD, SFaceEmbedder, YuNetFaceDetector

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "face-identities"


def labelled_photos() -> list[tuple[str, Path]]:
    """(identity, path) for every photo that shows one known person."""
    out = [(p.parent.name, p) for p in sorted((DATA / "train").glob("*/*.jpg"))]
    out += [
        ("obama", DATA / "test" / "obama1.jpg"),
        ("alex_lacamoire", DATA / "test" / "alex_lacamoire1.jpg"),
        ("johnsnow", DATA / "test" / "johnsnow_test1.jpg"),
        ("astronaut", Path(skimage.__file__).parent / "data" / "astronaut.png"),
        ("grace_hopper", Path(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))),
    ]
    return out


def shrink_to_face_width(image: np.ndarray, face_w: float, target_px: int) -> np.ndarray:  # type: ignore[type-arg]
    scale = target_px / face_w
    small = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    ok, jpg = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, 75])  # CCTV-like coding
    assert ok
    return np.asarray(cv2.imdecode(jpg, cv2.IMREAD_COLOR), np.uint8)


def main() -> None:
    det, emb = YuNetFaceDetector(), SFaceEmbedder()
    photos = labelled_photos()
    embs, widths, images = [], [], []
    for _, path in photos:
        image = load_image(path)
        faces = det.detect(image)
        i = int(np.argmax(faces.area))
        embs.append(emb.embed(image, faces[np.array([i])])[0])
        widths.append(float(faces.box_xyxy[i, 2] - faces.box_xyxy[i, 0]))
        images.append(image)
    thr = SFACE_COSINE_THRESHOLD
    print(f"## Pairs of {len(photos)} single-face photos (threshold {thr})\n")
    print("| photo A | photo B | same person | similarity | decision |")
    print("|---|---|---|---|---|")
    genuine: list[float] = []
    impostor: list[float] = []
    for a, b in itertools.combinations(range(len(photos)), 2):
        same = photos[a][0] == photos[b][0]
        sim = float(embs[a] @ embs[b])
        (genuine if same else impostor).append(sim)
        ok = (sim >= thr) == same
        name_a = f"{photos[a][0]}/{photos[a][1].name}"
        name_b = f"{photos[b][0]}/{photos[b][1].name}"
        if same or sim >= 0.2:  # every genuine pair, and the impostors that come closest
            print(f"| {name_a} | {name_b} | {same} | {sim:.3f} | {'ok' if ok else 'WRONG'} |")
    g, imp = np.array(genuine), np.array(impostor)
    print(
        f"\ngenuine pairs {len(g)}: min {g.min():.3f} mean {g.mean():.3f}; "
        f"impostor pairs {len(imp)}: max {imp.max():.3f} mean {imp.mean():.3f} "
        f"(impostors below 0.2 are not listed)"
    )
    print(
        f"at {thr}: false rejects {int((g < thr).sum())}/{len(g)}, "
        f"false accepts {int((imp >= thr).sum())}/{len(imp)} "
        f"(95% upper bound on the false-accept rate with 0 seen: {3 / len(imp):.3f})"
    )

    print("\n## Genuine similarity when one photo of the pair is shrunk to CCTV face sizes\n")
    print("| face width px | genuine mean | genuine min | impostor max | found |")
    print("|---|---|---|---|---|")
    for target in (80, 48, 32, 24, 16):
        gs: list[float] = []
        ims: list[float] = []
        found, total = 0, 0
        for a in range(len(photos)):
            small = shrink_to_face_width(images[a], widths[a], target)
            faces = det.detect(small)
            total += 1
            if len(faces) == 0:
                continue
            found += 1
            i = int(np.argmax(faces.area))
            e = emb.embed(small, faces[np.array([i])])[0]
            for b in range(len(photos)):
                if b != a:
                    (gs if photos[a][0] == photos[b][0] else ims).append(float(e @ embs[b]))
        print(
            f"| {target} | {np.mean(gs):.3f} | {np.min(gs):.3f} | {np.max(ims):.3f} | "
            f"{found}/{total} |"
        )

    print("\n## Speed on this machine (median of 10 runs)\n")
    frame = cv2.resize(load_image(DATA / "test" / "obama_and_biden.jpg"), (1920, 1080))
    for w, h in ((1280, 720), (1920, 1080)):
        img = cv2.resize(frame, (w, h))
        det.detect(img)
        ts = []
        for _ in range(10):
            t0 = time.perf_counter()
            det.detect(img)
            ts.append(time.perf_counter() - t0)
        print(f"YuNet {w}x{h}: {1000 * float(np.median(ts)):.1f} ms per frame")
    faces = det.detect(images[0])
    aligned = emb.align(images[0], faces[np.array([0])])
    emb.embed_aligned(aligned)
    ts = []
    for _ in range(20):
        t0 = time.perf_counter()
        emb.embed_aligned(aligned)
        ts.append(time.perf_counter() - t0)
    print(f"SFace: {1000 * float(np.median(ts)):.1f} ms per face (aligned 112x112)")


if __name__ == "__main__":
    main()

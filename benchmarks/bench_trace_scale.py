"""Trace speed against the size of the index: 1 and 10 patients over N simulated sightings.

Two steps, each its own process so that peak memory (ru_maxrss) measures one thing:

    # write a light city of 1 M sightings (about 4 minutes and 4.6 GB on the dev VM;
    # 10 M: 37 minutes and 46 GB)
    .venv/bin/python benchmarks/bench_trace_scale.py build --home /tmp/scale-1m --sightings 1000000
    # trace 1 and 10 patients, cold (first call: index partitions decrypted) and warm,
    # scored against the planted patients
    .venv/bin/python benchmarks/bench_trace_scale.py trace --home /tmp/scale-1m
    # several sizes side by side, with ratios (each traced in its own process); with
    # --cold the OS page cache is emptied before each (root)
    .venv/bin/python benchmarks/bench_trace_scale.py compare [--cold] --home /tmp/scale-1m \
        --home /tmp/scale-10m
    # what the first trace of a process pays: the face index loaded and decrypted, one
    # day after another and prefetched, side by side
    .venv/bin/python benchmarks/bench_trace_scale.py faceload --home /tmp/scale-1m \
        --home /tmp/scale-10m

A store built before schema 0008 is upgraded by ``cctrace init --home DIR`` (about 10
minutes at 10 M: the window index is rebuilt with the colour sketch, then every row's
sketch is filled in).

The light city (the full `cctrace.sim.city` simulator spends its time on 4 Hz walking
people and ground truth, and needs memory for all of it): ``sightings / (days x
per_camera_day)`` cameras on a grid, each seeing ``per_camera_day`` sightings a day
between 07:00 and 22:00 UTC (written in time order, as ingestion commits them), of
people drawn from a pool of identities (20 sightings per
identity on average). A background sighting lasts 2 to 300 s (median 20 s) with a path at
1 Hz (ingestion writes about 4 Hz: a quarter of the path bytes); 30 % carry a face
(128-d, SFace-like spread, `cctrace.sim.observation.face_photos`), all carry a 1320-d appearance
vector unless ``--appearance none``. Planted on the middle day: 10 patients, each with
three 20-minute stays, 10 minutes' walk apart (4 Hz paths, cut every 5 minutes as ingestion
does, faces in 60 % of the pieces) and a companion 1 m away at each stay. Each patient's
case window is the whole simulated period (``days`` days), so every day's face
partition is searched.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import shutil
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

import numpy as np
from numpy.typing import NDArray

from cctrace.config import get_policy
from cctrace.core.types import Sighting
from cctrace.sim.observation import appearance_centres, face_photos, sim_sighting_id, sim_video_id
from cctrace.sim.observation import appearance_vector as sim_appearance
from cctrace.sim.world import CNN_DIM, FACE_COMMON, FACE_DIM, SIM_PATH_SCHEME, NoiseModel
from cctrace.store.camera_import import camera_record
from cctrace.store.home import Home, init_home
from cctrace.store.records import VideoRecord
from cctrace.store.repository import Store, utc_day
from cctrace.store.vector_index import FlatFaceIndex
from cctrace.trace.types import CaseQuery, TraceResult

F64 = NDArray[np.float64]
COLOUR_DIM = 40
T0 = datetime(2024, 3, 4, tzinfo=UTC).timestamp()  # midnight UTC, a Monday
DAY_S = 86400.0
CAMERA_SPACING_M = 40.0
PATIENTS = 10
STAY_GAP_S = 600.0  # between a planted patient's stays
WALK_MPS = 1.0  # the planted patient's pace between stays (slower than the trace's 1.4)
BATCH = 20000
META = "scale-bench.json"


@dataclass(frozen=True)
class Plan:
    sightings: int
    days: int
    per_camera_day: int
    seed: int
    appearance: str

    @property
    def cameras(self) -> int:
        return max(1, round(self.sightings / (self.days * self.per_camera_day)))


def unit(v: F64) -> F64:
    return np.asarray(v / np.linalg.norm(v, axis=-1, keepdims=True))


def appearance_vector(rng: np.random.Generator, n: int) -> NDArray[np.float32]:
    """(n, 1320) appearance vectors of n different people, spread like `cctrace.sim.city`'s
    (CNN cosine between people about 0.75, colour about 0.7)."""
    base = np.random.default_rng(12345).gamma(0.5, 1.0, CNN_DIM)  # shared by every call
    cnn = unit(base + rng.gamma(0.5, 1.0, (n, CNN_DIM)))
    halves = COLOUR_DIM // 2
    dark = np.zeros(halves)
    dark[-4:] = (0.5, 0.25, 0.15, 0.1)
    w = rng.uniform(0.2, 1.0, (n, 2, 1))
    hist = w * dark + (1 - w) * rng.dirichlet(np.full(halves, 0.2), (n, 2))
    colour = np.sqrt(hist / hist.sum(axis=2, keepdims=True)).reshape(n, -1) / math.sqrt(2)
    return np.asarray(np.concatenate([cnn, colour], axis=1), np.float32)


def build(home_root: Path, plan: Plan) -> dict[str, object]:
    rng = np.random.default_rng(plan.seed)
    if home_root.exists():
        shutil.rmtree(home_root)
    init_home(home_root, env={})
    home = Home.at(home_root, env={})
    n_cams = plan.cameras
    cols = math.ceil(math.sqrt(n_cams))
    cam_ids = [f"scale-cam-{i:05d}" for i in range(n_cams)]
    cam_xy = np.array(
        [((i % cols) * CAMERA_SPACING_M, (i // cols) * CAMERA_SPACING_M) for i in range(n_cams)]
    )
    n_ids = max(PATIENTS * 2 + 1, plan.sightings // 20)
    common = unit(rng.normal(size=FACE_DIM))
    centres = unit(FACE_COMMON * common + unit(rng.normal(size=(n_ids, FACE_DIM))))
    started = time.perf_counter()
    written = faces = 0
    with Store.open(home) as store:
        store.add_cameras(
            [
                camera_record(c, c, site="scale", x_m=float(x), y_m=float(y))
                for c, (x, y) in zip(cam_ids, cam_xy, strict=True)
            ]
        )
        index = FlatFaceIndex(home.faces_index_dir, store.cipher)
        patient_day = plan.days // 2
        for day in range(plan.days):
            day_ids: list[str] = []
            day_embs: list[NDArray[np.float32]] = []
            for c0 in range(0, n_cams, max(1, BATCH // plan.per_camera_day)):
                cams = range(c0, min(n_cams, c0 + max(1, BATCH // plan.per_camera_day)))
                batch: list[Sighting] = []
                for c in cams:
                    vid = sim_video_id(plan.seed, cam_ids[c], day)
                    store.begin_video(
                        VideoRecord(
                            vid,
                            cam_ids[c],
                            f"{SIM_PATH_SCHEME}{cam_ids[c]}/day{day}",
                            datetime.fromtimestamp(T0 + day * DAY_S, UTC),
                            DAY_S,
                            4.0,
                            1920,
                            1080,
                        )
                    )
                    batch += _background(
                        rng, plan, vid, cam_ids[c], cam_xy[c], T0 + day * DAY_S, centres
                    )
                written += store.bulk_insert_sightings(batch)
                for s in batch:
                    if s.face_embedding is not None:
                        day_ids.append(s.sighting_id)
                        day_embs.append(s.face_embedding)
                for c in cams:
                    store.finish_video(sim_video_id(plan.seed, cam_ids[c], day))
                print(
                    f"day {day} cameras {cams.stop}/{n_cams}: {written:,} sightings, "
                    f"{time.perf_counter() - started:.0f} s",
                    file=sys.stderr,
                    flush=True,
                )
            if day == patient_day:
                planted = _patients(rng, plan, store, cam_ids, cam_xy, T0 + day * DAY_S, centres)
                written += len(planted)
                for s in planted:
                    if s.face_embedding is not None:
                        day_ids.append(s.sighting_id)
                        day_embs.append(s.face_embedding)
            if day_ids:
                index.add(utc_day(T0 + day * DAY_S + 1), day_ids, np.stack(day_embs))
                faces += len(day_ids)
    refs = face_photos(rng, centres[:PATIENTS], 1.0, masked=False)
    meta = {
        "plan": plan.__dict__,
        "cameras": n_cams,
        "sightings": written,
        "faces": faces,
        "build_s": time.perf_counter() - started,
        "t_from_s": T0,
        "t_to_s": T0 + plan.days * DAY_S,
        "references": refs.tolist(),
        "disk_bytes": sum(p.stat().st_size for p in home_root.rglob("*") if p.is_file()),
    }
    (home_root / META).write_text(json.dumps(meta))
    return meta


def _background(
    rng: np.random.Generator,
    plan: Plan,
    video_id: str,
    camera_id: str,
    xy0: F64,
    day_t0: float,
    centres: F64,
) -> list[Sighting]:
    n = plan.per_camera_day
    # In time order, as ingestion commits a camera's sightings (tracks end in time order,
    # each checkpoint commits the ones that ended): rows of one camera and hour then lie
    # together in the database file, which is what a window read touches.
    start = day_t0 + np.sort(rng.uniform(7 * 3600, 22 * 3600, n))
    dur = np.clip(rng.lognormal(math.log(20), 0.8, n), 2, 300)
    who = rng.integers(PATIENTS * 2, len(centres), n)  # patients and companions are planted
    has_face = rng.random(n) < 0.3
    embs = face_photos(rng, centres[who[has_face]], 1.0, masked=False)
    apps = appearance_vector(rng, n) if plan.appearance == "all" else None
    out = []
    e = 0
    for i in range(n):
        k = int(dur[i]) + 1
        t = start[i] + np.arange(k, dtype=np.float64)
        xy = xy0 + rng.uniform(-5, 5, 2) + np.cumsum(rng.normal(0, 0.5, (k, 2)), axis=0)
        face = None
        if has_face[i]:
            face = embs[e]
            e += 1
        out.append(
            Sighting(
                sim_sighting_id(video_id, i),
                camera_id,
                video_id,
                i,
                float(t[0]),
                float(t[-1]),
                t,
                xy.astype(np.float32),
                False,
                5 if face is not None else 0,
                0.8 if face is not None else 0.0,
                face,
                None if apps is None else apps[i],
                0.0 if face is not None else None,
                None,
            )
        )
    return out


def _patients(
    rng: np.random.Generator,
    plan: Plan,
    store: Store,
    cam_ids: list[str],
    cam_xy: F64,
    day_t0: float,
    centres: F64,
) -> list[Sighting]:
    """Each patient p (identity p) with companion (identity PATIENTS + p): 3 stays of 20 min.

    Each planted person wears one set of clothes all day: every piece's appearance is
    drawn around that person's centre with the simulator's default noise (as
    `cctrace.sim.city` draws a track's), so pieces without a face can be followed."""
    out: list[Sighting] = []
    cnn_centres, colour_centres = appearance_centres(rng, 2 * PATIENTS)
    noise = NoiseModel.at(1.0)
    for p in range(PATIENTS):
        t = day_t0 + 9 * 3600 + rng.uniform(0, 6 * 3600)
        c = int(rng.integers(len(cam_ids)))
        for stay in range(3):
            if stay:
                # The next place is one a person can walk to in the 10 minutes between
                # stays (a random camera of a 2 km city often is not: the trace would
                # rightly refuse that route as impossible).
                near = np.flatnonzero(np.hypot(*(cam_xy - cam_xy[c]).T) <= STAY_GAP_S * WALK_MPS)
                c = int(rng.choice(near[near != c]))
            vid = sim_video_id(plan.seed + 1, f"{cam_ids[c]}-p{p}-s{stay}", 0)
            store.begin_video(
                VideoRecord(
                    vid,
                    cam_ids[c],
                    f"{SIM_PATH_SCHEME}{cam_ids[c]}/patient{p}/{stay}",
                    datetime.fromtimestamp(t, UTC),
                    1200.0,
                    4.0,
                    1920,
                    1080,
                )
            )
            spot = cam_xy[c] + rng.uniform(-3, 3, 2)
            batch = []
            for who, offset in ((p, 0.0), (PATIENTS + p, 1.0)):
                for piece in range(4):  # 4 x 5 min
                    tt = np.asarray(t + piece * 300 + np.arange(0, 299.75, 0.25), np.float64)
                    xy = spot + np.array([offset, 0.0]) + rng.normal(0, 0.1, (len(tt), 2))
                    face = (
                        face_photos(rng, centres[[who]], 1.0, False)[0]
                        if rng.random() < 0.6
                        else None
                    )
                    tid = who * 10 + piece
                    batch.append(
                        Sighting(
                            sim_sighting_id(vid, tid),
                            cam_ids[c],
                            vid,
                            tid,
                            float(tt[0]),
                            float(tt[-1]),
                            tt,
                            xy.astype(np.float32),
                            False,
                            20 if face is not None else 0,
                            0.9 if face is not None else 0.0,
                            face,
                            sim_appearance(rng, cnn_centres[who], colour_centres[who], noise),
                            0.0 if face is not None else None,
                            None,
                        )
                    )
            store.bulk_insert_sightings(batch)
            store.finish_video(vid)
            out += batch
            t += 1200 + STAY_GAP_S
    return out


def trace(home_root: Path, policy_name: str, sketch: bool = True) -> dict[str, object]:
    """Trace 1 then 10 patients, twice each; ``sketch=False`` is the ablation of the
    colour sketch: appearance screening then keeps every row of the window index and
    reads each from the table, as before schema 0008 (same results, more reads)."""
    from cctrace.trace import pool

    screen = pool.colour_screen
    if not sketch:
        pool.colour_screen = _keep_every_row  # type: ignore[assignment]
    try:
        return _trace(home_root, policy_name, sketch)
    finally:
        pool.colour_screen = screen


def _trace(home_root: Path, policy_name: str, sketch: bool) -> dict[str, object]:
    from cctrace.trace.engine import trace_cases

    meta = json.loads((home_root / META).read_text())
    refs = np.asarray(meta["references"], np.float32)
    queries = [
        CaseQuery(f"p{i}", refs[i : i + 1], float(meta["t_from_s"]), float(meta["t_to_s"]))
        for i in range(PATIENTS)
    ]
    policy = get_policy(policy_name)
    home = Home.at(home_root, env={})
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rows = {}
    with Store.open(home) as store:
        index = FlatFaceIndex(home.faces_index_dir, store.cipher)
        for label, qs in (
            ("1 cold", queries[:1]),
            ("1 warm", queries[:1]),
            ("10 warm", queries),
            ("10 again", queries),
        ):
            t = time.perf_counter()
            results = trace_cases(store, index, qs, policy)
            dt = time.perf_counter() - t
            stays = sum(len(r.route) for r in results)
            contacts = sum(len(r.contacts) for r in results)
            rows[label] = {
                "total_s": dt,
                "per_patient_s": dt / len(qs),
                "stays": stays,
                "contacts": contacts,
                **_against_truth(store, home_root, results),
            }
            print(label, rows[label], file=sys.stderr, flush=True)
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "sketch": sketch,
        "sightings": meta["sightings"],
        "faces": meta["faces"],
        "cameras": meta["cameras"],
        "rows": rows,
        "peak_rss_mib": rss1 / 1024,
        "rss_before_trace_mib": rss0 / 1024,
    }


def _keep_every_row(cases: object, at_least: float) -> object:
    return lambda rows: np.ones(len(rows), np.bool_)


def _planted(home_root: Path) -> dict[int, tuple[set[str], set[str]]]:
    """Patient p's planted sightings and its companion's, from the videos `_patients`
    wrote (path ``.../patient{p}/{stay}``): ids as ``sim_sighting_id(video, track)``."""
    import sqlite3

    db = sqlite3.connect(f"file:{home_root / 'cctrace.db'}?mode=ro", uri=True)
    try:
        videos = db.execute("SELECT id, path FROM videos WHERE path LIKE '%/patient%/%'").fetchall()
    finally:
        db.close()
    out: dict[int, tuple[set[str], set[str]]] = {}
    for vid, path in videos:
        p = int(str(path).rsplit("/", 2)[1].removeprefix("patient"))
        mine, companion = out.setdefault(p, (set(), set()))
        for piece in range(4):
            mine.add(sim_sighting_id(vid, p * 10 + piece))
            companion.add(sim_sighting_id(vid, (PATIENTS + p) * 10 + piece))
    return out


def _against_truth(store: Store, home_root: Path, results: list[TraceResult]) -> dict[str, float]:
    """Route recall and precision (time-weighted over sightings) and companions found,
    pooled over the traced patients: the threshold that makes a city-scale search fast
    must not be what loses the patient."""
    planted = _planted(home_root)
    truth_s = found_true_s = found_s = 0.0
    companions = companions_found = 0
    for r in results:
        mine, companion = planted[int(r.case_id.removeprefix("p"))]
        route_ids = {i for stay in r.route for i in stay.sighting_ids}
        contact_ids = {i for c in r.contacts for i in c.sighting_ids}
        span = {
            s.sighting_id: s.t_end_s - s.t_start_s
            for s in store.get_sightings(sorted(route_ids | mine))
        }
        truth_s += sum(span[i] for i in mine)
        found_true_s += sum(span[i] for i in route_ids & mine)
        found_s += sum(span[i] for i in route_ids)
        companions += 1
        companions_found += bool(contact_ids & companion)
    return {
        "route_recall": found_true_s / truth_s if truth_s else math.nan,
        "route_precision": found_true_s / found_s if found_s else math.nan,
        "companions_found": companions_found / companions if companions else math.nan,
    }


def _drop_page_cache() -> None:
    """Empty the OS page cache (Linux, root): the next trace reads the store from disk."""
    import os

    os.sync()
    try:
        Path("/proc/sys/vm/drop_caches").write_text("1\n")
    except OSError as e:
        raise SystemExit(f"--cold needs root on Linux to empty the page cache: {e}") from None


def compare(
    homes: list[Path],
    policy_name: str,
    cold: bool = False,
    ablate_sketch: bool = False,
    repeat: int = 1,
) -> list[dict[str, object]]:
    """`trace` on each home in a fresh process, then one table with ratios to the first.

    With ``cold`` the OS page cache is emptied before each process: "1 cold" then reads
    the face index and the patient's rows from disk, and "10 warm" the nine other
    patients' rows (only the first patient's are in memory). With ``ablate_sketch``
    each home is also traced without the colour sketch, in alternation with the
    default, ``repeat`` times each (a shared VM's noise is as large as the effect)."""
    import subprocess

    results = []
    for home in homes:
        for _ in range(repeat):
            for sketch in (True, False) if ablate_sketch else (True,):
                if cold:
                    _drop_page_cache()
                cmd = [sys.executable, __file__, "trace", "--home", str(home)]
                cmd += ["--policy", policy_name] + ([] if sketch else ["--no-sketch"])
                proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
                results.append(json.loads(proc.stdout))
    base = results[0]
    base_rows = cast(dict[str, dict[str, float]], base["rows"])
    print(
        "| sightings | sketch | faces | 1 patient cold s | 1 warm s | 10 warm s | 10 again s | "
        "s per patient (10 again) | peak RSS MiB | x sightings | x time (10 warm) | "
        "x time (10 again) | route recall / precision (10) | companions found |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        rows = cast(dict[str, dict[str, float]], r["rows"])
        size_ratio = float(cast(float, r["sightings"])) / float(cast(float, base["sightings"]))
        time_ratio = rows["10 warm"]["total_s"] / base_rows["10 warm"]["total_s"]
        again_ratio = rows["10 again"]["total_s"] / base_rows["10 again"]["total_s"]
        print(
            f"| {r['sightings']:,} | {'yes' if r['sketch'] else 'no'} | {r['faces']:,} | "
            f"{rows['1 cold']['total_s']:.2f} | "
            f"{rows['1 warm']['total_s']:.2f} | {rows['10 warm']['total_s']:.2f} | "
            f"{rows['10 again']['total_s']:.2f} | {rows['10 again']['per_patient_s']:.3f} | "
            f"{float(cast(float, r['peak_rss_mib'])):.0f} | {size_ratio:.1f} | {time_ratio:.2f} | "
            f"{again_ratio:.2f} | {rows['10 again']['route_recall']:.3f} / "
            f"{rows['10 again']['route_precision']:.3f} | "
            f"{rows['10 again']['companions_found']:.2f} |"
        )
    return results


def face_load(home_root: Path, prefetch: bool) -> dict[str, object]:
    """Open the face index as a trace does and load every day of it (one after another, or
    `FlatFaceIndex.prefetch` first); wall time and peak memory of this process."""
    from cctrace.store.home import Home
    from cctrace.store.vector_index import FlatFaceIndex

    home = Home.at(home_root, {})
    with Store.open(home) as store:
        index = FlatFaceIndex(home.faces_index_dir, store.cipher)
        days = index.days()
        t0 = time.perf_counter()
        if prefetch:
            index.prefetch(days)
        faces = sum(len(index._loaded(d).ids) for d in days)
        elapsed = time.perf_counter() - t0
        size = sum(index.day_bytes(d) for d in days)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"days": len(days), "faces": faces, "bytes": size, "s": elapsed, "peak_rss_mib": peak}


def compare_face_load(homes: list[Path], repeat: int, cold: bool = False) -> None:
    """`face_load` one day after another and prefetched, alternating, each in a fresh
    process (the index files as the previous run left them in the page cache, or with
    ``cold`` read from disk: the page cache emptied before each)."""
    import subprocess

    print("| home | days | faces | GB on disk | one by one s | prefetched s | x | peak RSS MiB |")
    print("|---|---|---|---|---|---|---|---|")
    for home in homes:
        for _ in range(repeat):
            got = {}
            for mode in ("seq", "prefetch"):
                if cold:
                    _drop_page_cache()
                cmd = [sys.executable, __file__, "faceload-one", "--home", str(home)]
                cmd += ["--mode", mode]
                proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
                got[mode] = json.loads(proc.stdout)
            one, pre = got["seq"], got["prefetch"]
            print(
                f"| {home} | {one['days']} | {one['faces']:,} | {one['bytes'] / 1e9:.2f} | "
                f"{one['s']:.2f} | {pre['s']:.2f} | {one['s'] / pre['s']:.2f} | "
                f"{one['peak_rss_mib']:.0f} / {pre['peak_rss_mib']:.0f} |"
            )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build")
    b.add_argument("--home", type=Path, required=True)
    b.add_argument("--sightings", type=int, default=1_000_000)
    b.add_argument("--days", type=int, default=7)
    b.add_argument("--per-camera-day", type=int, default=500)
    b.add_argument("--seed", type=int, default=0)
    b.add_argument("--appearance", choices=("all", "none"), default="all")
    t = sub.add_parser("trace")
    t.add_argument("--home", type=Path, required=True)
    t.add_argument("--policy", default="kdca-2022")
    t.add_argument("--json", type=Path)
    t.add_argument("--no-sketch", action="store_true", help="ablation: screen without it")
    c = sub.add_parser("compare", help="trace several homes, one table with ratios")
    c.add_argument("--home", type=Path, action="append", required=True)
    c.add_argument("--policy", default="kdca-2022")
    c.add_argument("--cold", action="store_true", help="empty the OS page cache before each (root)")
    c.add_argument(
        "--ablate-sketch", action="store_true", help="also trace without the colour sketch"
    )
    c.add_argument("--repeat", type=int, default=1, help="processes per home (and variant)")
    f = sub.add_parser("faceload", help="load the face index: one by one vs prefetched")
    f.add_argument("--home", type=Path, action="append", required=True)
    f.add_argument("--repeat", type=int, default=3)
    f.add_argument("--cold", action="store_true", help="empty the OS page cache before each (root)")
    f1 = sub.add_parser("faceload-one")
    f1.add_argument("--home", type=Path, required=True)
    f1.add_argument("--mode", choices=("seq", "prefetch"), required=True)
    args = ap.parse_args()
    if args.cmd == "compare":
        compare(args.home, args.policy, args.cold, args.ablate_sketch, args.repeat)
        return
    if args.cmd == "faceload":
        compare_face_load(args.home, args.repeat, args.cold)
        return
    if args.cmd == "faceload-one":
        print(json.dumps(face_load(args.home, args.mode == "prefetch")))
        return
    if args.cmd == "build":
        plan = Plan(args.sightings, args.days, args.per_camera_day, args.seed, args.appearance)
        meta = build(args.home, plan)
        meta.pop("references")
        print(json.dumps(meta, indent=1))
    else:
        out = trace(args.home, args.policy, sketch=not args.no_sketch)
        print(json.dumps(out, indent=1))
        if args.json:
            args.json.write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()

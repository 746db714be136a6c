"""How simulated people move: a schedule of visits per person, meetings where two
stand still together, and the true positions on the global path grid, cut into runs
per camera."""

from __future__ import annotations

import itertools
import math

import numpy as np

from cctrace.sim.world import (
    CAMERA_VIEW_W_M,
    F64,
    I64,
    SPOT_MARGIN_M,
    Meeting,
    Place,
    SimConfig,
    Track,
    Visit,
)


def _door_distance(places: tuple[Place, ...], a: int, b: int) -> float:
    (ax, ay), (bx, by) = places[a].door_xy_m, places[b].door_xy_m
    return math.hypot(ax - bx, ay - by)


def schedule_visits(
    rng: np.random.Generator, person: int, places: tuple[Place, ...], speed: float, c: SimConfig
) -> list[Visit]:
    """Visits from a random start to the end of the window; between two visits at least
    the walk between their doors, plus some time unseen (a street, a home)."""
    t = c.start_utc_s + rng.uniform(0, 0.3) * c.hours * 3600
    place = int(rng.integers(len(places)))
    out: list[Visit] = []
    while t < c.t_end_s:
        dwell = float(np.clip(rng.lognormal(math.log(20 * 60), 0.8), 3 * 60, 3 * 3600))
        out.append(Visit(person, place, t, min(t + dwell, c.t_end_s)))
        nxt = int(rng.integers(len(places)))
        if len(places) > 1:
            while nxt == place:
                nxt = int(rng.integers(len(places)))
        walk = _door_distance(places, place, nxt) / speed
        t = t + dwell + walk + float(rng.exponential(5 * 60))
        place = nxt
    return out


def arrange_meetings(
    rng: np.random.Generator,
    visits: list[list[Visit]],
    places: tuple[Place, ...],
    speed: F64,
    c: SimConfig,
) -> tuple[list[Meeting], dict[int, list[tuple[float, float, F64]]]]:
    """Pairs who meet once each; B's schedule is rewritten around the meeting (visits that
    would leave too little walking time are trimmed or dropped). Returns the meetings and
    per person the pinned spots ``(t_start, t_end, xy)`` their trajectories must keep."""
    n = len(visits)
    want = round(n * c.meeting_fraction / 2)
    busy: set[int] = set()
    meetings: list[Meeting] = []
    pins: dict[int, list[tuple[float, float, F64]]] = {}
    order = rng.permutation(n)
    for a in order.tolist():
        if len(meetings) >= want:
            break
        if a in busy:
            continue
        long = [v for v in visits[a] if v.t_leave_s - v.t_arrive_s >= 8 * 60]
        free = [b for b in range(n) if b != a and b not in busy]
        if not long or not free:
            continue
        v = long[int(rng.integers(len(long)))]
        span = v.t_leave_s - v.t_arrive_s - 2 * 60  # a minute's margin at each end
        duration = float(min(rng.uniform(5 * 60, 40 * 60), span))
        t0 = v.t_arrive_s + 60 + float(rng.uniform(0, span - duration))
        t1 = t0 + duration
        b = free[int(rng.integers(len(free)))]
        pl = places[v.place]
        spot = _spot(rng, pl, margin=SPOT_MARGIN_M + 1.6)
        dist = float(rng.uniform(0.5, 1.5))
        angle = float(rng.uniform(0, 2 * math.pi))
        other = spot + dist * np.array([math.cos(angle), math.sin(angle)])
        visits[b] = _insert_visit(visits[b], Visit(b, v.place, t0 - 60, t1 + 60), places, speed[b])
        pins.setdefault(a, []).append((t0, t1, spot))
        pins.setdefault(b, []).append((t0, t1, other))
        busy.update((a, b))
        meetings.append(Meeting(a, b, v.place, t0, t1, dist))
    return meetings, pins


def _insert_visit(
    visits: list[Visit], new: Visit, places: tuple[Place, ...], speed: float
) -> list[Visit]:
    before: list[Visit] = []
    after: list[Visit] = []
    for v in visits:
        latest_leave = new.t_arrive_s - _door_distance(places, v.place, new.place) / speed
        earliest_arrive = new.t_leave_s + _door_distance(places, new.place, v.place) / speed
        if v.t_arrive_s < new.t_arrive_s:
            leave = min(v.t_leave_s, latest_leave)
            if leave - v.t_arrive_s >= 60:
                before.append(Visit(v.person, v.place, v.t_arrive_s, leave))
        elif v.t_leave_s > new.t_leave_s:
            arrive = max(v.t_arrive_s, earliest_arrive)
            if v.t_leave_s - arrive >= 60:
                after.append(Visit(v.person, v.place, arrive, v.t_leave_s))
    # Only the visit right before / after needs the check above; dropping one leaves a
    # longer gap, which is always walkable.
    return [*_walkable(before, places, speed), new, *_walkable(after, places, speed)]


def _walkable(visits: list[Visit], places: tuple[Place, ...], speed: float) -> list[Visit]:
    out: list[Visit] = []
    for v in visits:
        if out:
            prev = out[-1]
            if v.t_arrive_s - prev.t_leave_s < _door_distance(places, prev.place, v.place) / speed:
                continue
        out.append(v)
    return out


def _spot(rng: np.random.Generator, place: Place, margin: float = SPOT_MARGIN_M) -> F64:
    return np.array(
        [
            rng.uniform(place.x0_m + margin, place.x0_m + place.width_m - margin),
            rng.uniform(place.y0_m + margin, place.y0_m + place.depth_m - margin),
        ]
    )


def walk_trajectory(
    rng: np.random.Generator,
    visits: list[Visit],
    pins: list[tuple[float, float, F64]],
    places: tuple[Place, ...],
    speed: float,
    c: SimConfig,
) -> Track:
    """True positions on the global grid: in each visit the person walks from the door
    between random spots (dwelling 1 to 20 minutes), keeps any pinned spot over its
    interval, and walks back to the door to leave."""
    ks: list[I64] = []
    xys: list[F64] = []
    pls: list[I64] = []
    for v in visits:
        pl = places[v.place]
        door = np.array(pl.door_xy_m)
        anchors: list[tuple[float, float, F64]] = [(v.t_arrive_s, v.t_arrive_s, door)]
        anchors += sorted(
            (p for p in pins if v.t_arrive_s <= p[0] and p[1] <= v.t_leave_s), key=lambda p: p[0]
        )
        anchors.append((v.t_leave_s, v.t_leave_s, door))
        way_t: list[float] = []
        way_xy: list[F64] = []
        for (_, a_end, a_xy), (b_start, b_end, b_xy) in itertools.pairwise(anchors):
            if not way_t:
                way_t.append(a_end)
                way_xy.append(a_xy)
            t, pos = a_end, a_xy
            while True:
                spot = _spot(rng, pl)
                dwell = float(rng.uniform(60, 20 * 60))
                arrive = t + float(np.linalg.norm(spot - pos)) / speed
                leave = arrive + dwell
                if leave + float(np.linalg.norm(b_xy - spot)) / speed > b_start:
                    break
                way_t += [arrive, leave]
                way_xy += [spot, spot]
                t, pos = leave, spot
            depart = max(t, b_start - float(np.linalg.norm(b_xy - pos)) / speed)
            way_t += [depart, b_start]
            way_xy += [pos, b_xy]
            if b_end > b_start:
                way_t.append(b_end)
                way_xy.append(b_xy)
        k0 = math.ceil((v.t_arrive_s - c.start_utc_s) * c.path_hz)
        k1 = math.floor((v.t_leave_s - c.start_utc_s) * c.path_hz)
        if k1 < k0:
            continue
        k = np.arange(k0, k1 + 1, dtype=np.int64)
        t_grid = c.start_utc_s + k / c.path_hz
        wt = np.asarray(way_t)
        wxy = np.asarray(way_xy)
        xy = np.column_stack([np.interp(t_grid, wt, wxy[:, 0]), np.interp(t_grid, wt, wxy[:, 1])])
        ks.append(k)
        xys.append(xy)
        pls.append(np.full(len(k), v.place, np.int64))
    if not ks:
        return Track(np.zeros(0, np.int64), np.zeros((0, 2)), np.zeros(0, np.int64))
    return Track(np.concatenate(ks), np.concatenate(xys), np.concatenate(pls))


def camera_runs(track: Track, places: tuple[Place, ...]) -> list[tuple[int, int, int]]:
    """Contiguous runs ``(camera index, k_first, k_last)`` of one camera seeing the person."""
    if not len(track.k):
        return []
    first_cam = np.cumsum([0] + [len(p.camera_ids) for p in places])
    x0 = np.array([p.x0_m for p in places])[track.place]
    n_cams = np.array([len(p.camera_ids) for p in places])[track.place]
    j = np.clip(((track.xy[:, 0] - x0) // CAMERA_VIEW_W_M).astype(np.int64), 0, n_cams - 1)
    cam = first_cam[track.place] + j
    cut = np.flatnonzero((np.diff(cam) != 0) | (np.diff(track.k) != 1)) + 1
    starts = np.concatenate([[0], cut])
    ends = np.concatenate([cut, [len(cam)]]) - 1
    return [
        (int(cam[s]), int(track.k[s]), int(track.k[e])) for s, e in zip(starts, ends, strict=True)
    ]

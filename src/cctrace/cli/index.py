"""Commands that build and read the index: init, cameras, ingest, index."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from cctrace.cli.common import HomeOpt, JsonOpt, TokenOpt, context, err, print_json, run
from cctrace.schemas import (
    CameraOut,
    CamerasOut,
    IndexStatsOut,
    IngestOut,
    InitOut,
    MotExportOut,
)

cameras_app = typer.Typer(help="Register and list cameras.", no_args_is_help=True)
index_app = typer.Typer(help="Inspect and export the index of sightings.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("ingest")(ingest)
    app.add_typer(cameras_app, name="cameras")
    app.add_typer(index_app, name="index")


if TYPE_CHECKING:
    from cctrace.store.home import Home
    from cctrace.store.records import ResealCounts


DatabaseUrlOpt = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        help="Keep the data in this database, e.g. postgresql+psycopg://user@host/cctrace "
        "(recorded in the data folder for every later command; default: SQLite in the folder)",
    ),
]


def init(
    home: HomeOpt = None, database_url: DatabaseUrlOpt = None, json_out: JsonOpt = False
) -> None:
    """Create the data folder, database, encryption key and first admin account."""
    from cctrace.store.home import init_home, resolve_home

    result = run(lambda: init_home(resolve_home(home), database_url=database_url))
    filled = run(lambda: _fill_upgrade(result.home))
    out = InitOut(
        home=str(result.home.root), admin_token=result.admin_token, created=result.created
    )
    if json_out:
        print_json(out)
        return
    console = Console()
    console.print(result.message)
    if filled is not None:
        console.print(
            f"{filled:,} sightings given their encrypted colour sketch (schema 0008"
            + ("" if result.upgraded_from is not None else "; an earlier run was interrupted")
            + ")"
        )
    if out.admin_token:
        console.print(
            "admin token (shown only this once; keep it safe, e.g. export CCTRACE_TOKEN=...):"
        )
        typer.echo(out.admin_token)


def _fill_upgrade(home: Home) -> int | None:
    """Data an upgrade added a place for and `init_home` could not fill without the key."""
    from cctrace.store.maintenance import fill_colour_sketches
    from cctrace.store.repository import Store

    console = Console(stderr=True)
    last = [time.monotonic()]

    def progress(what: str, counts: ResealCounts) -> None:
        if time.monotonic() - last[0] >= 10.0:  # minutes at city scale: say it is alive
            last[0] = time.monotonic()
            console.print(f"{what}: {counts.scanned:,} sightings read, {counts.resealed:,} filled")

    with Store.open(home) as store:
        return fill_colour_sketches(store, progress=progress)


@cameras_app.command("add")
def cameras_add(
    camera_id: Annotated[
        str, typer.Argument(metavar="ID", help="Camera id (letters, digits, -_.).")
    ],
    name: Annotated[str, typer.Option(help="Human-readable name.")],
    site: Annotated[str, typer.Option(help="Site (building, square) the camera belongs to.")] = "",
    lat: Annotated[float | None, typer.Option(help="Latitude, degrees.")] = None,
    lon: Annotated[float | None, typer.Option(help="Longitude, degrees.")] = None,
    x_m: Annotated[float | None, typer.Option("--x-m", help="Site-plan x, metres.")] = None,
    y_m: Annotated[float | None, typer.Option("--y-m", help="Site-plan y, metres.")] = None,
    calibration: Annotated[
        Path | None, typer.Option(help="Ground-plane calibration file (.json or .csv).")
    ] = None,
    home: HomeOpt = None,
    token: TokenOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Register one camera, with an optional floor calibration."""
    from cctrace.geometry.calibration import load_calibration
    from cctrace.services.cameras import add_camera

    def work() -> CameraOut:
        cal = load_calibration(calibration) if calibration is not None else None
        with context(home, token, "manage_cameras") as ctx:
            return add_camera(ctx, camera_id, name, site, lat, lon, x_m, y_m, cal)

    out = run(work)
    if json_out:
        print_json(out)
        return
    extra = (
        f", calibrated (reprojection error {out.reprojection_error_m:.3f} m)"
        if out.calibrated and out.reprojection_error_m is not None
        else ", not calibrated: distances will be estimated from body height"
    )
    Console().print(f"camera {out.id} added{extra}")


@cameras_app.command("import")
def cameras_import(
    file: Annotated[Path, typer.Argument(help="A .csv or .geojson camera list.")],
    home: HomeOpt = None,
    token: TokenOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Register every camera of a CSV or GeoJSON file, all or none."""
    from cctrace.services.cameras import import_cameras

    def work() -> CamerasOut:
        with context(home, token, "manage_cameras") as ctx:
            return import_cameras(ctx, file)

    out = run(work)
    if json_out:
        print_json(out)
        return
    Console().print(f"{len(out.cameras)} cameras imported from {file}")


@cameras_app.command("list")
def cameras_list(home: HomeOpt = None, token: TokenOpt = None, json_out: JsonOpt = False) -> None:
    """List the registered cameras."""
    from cctrace.services.cameras import list_cameras

    def work() -> CamerasOut:
        with context(home, token, "list_cameras") as ctx:
            return list_cameras(ctx)

    out = run(work)
    if json_out:
        print_json(out)
        return
    table = Table("id", "name", "site", "position", "calibration")
    for c in out.cameras:
        pos = (
            f"{c.lat:.6f}, {c.lon:.6f}"
            if c.lat is not None and c.lon is not None
            else f"x {c.x_m:.1f} m, y {c.y_m:.1f} m"
            if c.x_m is not None and c.y_m is not None
            else "-"
        )
        cal = f"{c.reprojection_error_m:.3f} m" if c.reprojection_error_m is not None else "none"
        if c.floor_frame is not None:
            cal += f", plan {c.floor_frame}"
        table.add_row(c.id, c.name, c.site, pos, cal)
    Console().print(table)


@cameras_app.command("calibrate")
def cameras_calibrate(
    camera_id: Annotated[str, typer.Argument(metavar="ID", help="The camera to recalibrate.")],
    calibration: Annotated[
        Path, typer.Argument(help="Ground-plane calibration file (.json or .csv).")
    ],
    home: HomeOpt = None,
    token: TokenOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Replace a camera's floor calibration (footage indexed from now on uses it)."""
    from cctrace.geometry.calibration import load_calibration
    from cctrace.services.cameras import set_calibration

    def work() -> CameraOut:
        cal = load_calibration(calibration)
        with context(home, token, "manage_cameras") as ctx:
            return set_calibration(ctx, camera_id, cal)

    out = run(work)
    if json_out:
        print_json(out)
        return
    Console().print(
        f"camera {out.id} recalibrated (reprojection error {out.reprojection_error_m:.3f} m); "
        "footage indexed before keeps its floor paths"
    )


@cameras_app.command("plan")
def cameras_plan(
    site: Annotated[str, typer.Argument(help="The site, as its cameras name it.")],
    image: Annotated[Path, typer.Argument(help="The site's plan image (PNG or JPEG).")],
    metres_per_px: Annotated[
        float, typer.Option("--metres-per-px", help="Metres per image pixel.")
    ],
    origin_x_px: Annotated[
        float, typer.Option("--origin-x-px", help="Image column of the plan's x = 0 m.")
    ] = 0.0,
    origin_y_px: Annotated[
        float | None,
        typer.Option("--origin-y-px", help="Image row of the plan's y = 0 m (default: bottom)."),
    ] = None,
    home: HomeOpt = None,
    token: TokenOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Store a site's plan image with its scale; the case map draws the site over it."""
    from cctrace.core.errors import InputError
    from cctrace.schemas import SitePlanOut
    from cctrace.services.sites import set_site_plan

    def work() -> SitePlanOut:
        if not image.is_file():
            raise InputError(f"site plan {image}: no such file; check the path", "site_plan")
        with context(home, token, "manage_cameras") as ctx:
            return set_site_plan(
                ctx, site, image, str(image), metres_per_px, origin_x_px, origin_y_px
            )

    out = run(work)
    if json_out:
        print_json(out)
        return
    Console().print(
        f"plan of site {out.site} stored: {out.width_px} x {out.height_px} px at "
        f"{out.metres_per_px:g} m a pixel"
    )


def ingest(
    videos: Annotated[
        list[Path] | None, typer.Argument(help="Video files (mp4, avi, mkv, ...).")
    ] = None,
    camera: Annotated[
        str | None, typer.Option("--camera", help="Id of the camera that recorded them.")
    ] = None,
    manifest: Annotated[
        Path | None,
        typer.Option(
            "--manifest",
            help="CSV of videos to ingest, columns path,camera_id,start (start optional).",
        ),
    ] = None,
    workers: Annotated[
        int,
        typer.Option("--workers", min=1, max=256, help="Local worker processes (--manifest)."),
    ] = 1,
    ray: Annotated[
        str | None,
        typer.Option(
            "--ray",
            help="Run on Ray (--manifest): 'auto' starts a local cluster, or a cluster address.",
        ),
    ] = None,
    segment: Annotated[
        float,
        typer.Option(
            "--segment",
            min=1.0,
            max=86400.0,
            help="Videos longer than two of these (s) are cut into parallel segments.",
        ),
    ] = 600.0,
    start: Annotated[
        str | None,
        typer.Option(help="Recording start, ISO 8601 (default: the file's creation time)."),
    ] = None,
    fps: Annotated[
        float,
        typer.Option(
            "--fps",
            min=0.1,
            max=30.0,
            help="Frames sampled per second (at least 4 while someone appears or walks in).",
        ),
    ] = 4.0,
    no_motion_skip: Annotated[
        bool, typer.Option("--no-motion-skip", help="Analyse static frames too.")
    ] = False,
    detector: Annotated[
        str | None, typer.Option(help="Person detector: 'nanodet' or a YOLO-family .onnx.")
    ] = None,
    checkpoint_every: Annotated[
        float,
        typer.Option(
            "--checkpoint-every",
            min=1.0,
            max=3600.0,
            help="Longest video stretch between checkpoints, s.",
        ),
    ] = 300.0,
    home: HomeOpt = None,
    token: TokenOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Index footage: detect, track and embed people, store encrypted sightings.

    Idempotent (the same file twice adds nothing) and resumable (run it again after a
    crash or kill and it continues from its last checkpoint).
    """
    from cctrace.core.errors import InputError
    from cctrace.ingest.inputs import IngestOptions
    from cctrace.services.footage import ingest as ingest_footage
    from cctrace.services.footage import ingest_manifest

    options = IngestOptions(
        sample_fps=fps,
        motion_skip=not no_motion_skip,
        person_detector=detector,
        checkpoint_every_s=checkpoint_every,
    )
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[speed]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
        disable=json_out or not err.is_terminal,
    )

    def reporter(name: str, duration_s: float | None) -> _VideoProgress:
        return _VideoProgress(progress, name, duration_s)

    def work() -> IngestOut:
        if manifest is not None:
            if videos or camera or start:
                raise InputError(
                    "--manifest lists the videos, their cameras and start times: give no "
                    "video, --camera or --start with it",
                    "manifest",
                )
            with context(home, token, "add_footage") as ctx, progress:
                return ingest_manifest(
                    ctx, manifest, options, workers, ray, reporter, segment_s=segment
                )
        if ray is not None or workers != 1:
            raise InputError("--workers and --ray run a --manifest; add one", "manifest")
        if not videos or camera is None:
            raise InputError("give video files and --camera, or --manifest FILE.csv", "camera")
        with context(home, token, "add_footage") as ctx, progress:
            return ingest_footage(ctx, videos, camera, start, options, reporter)

    out = run(work)
    if json_out:
        print_json(out)
        return
    console = Console()
    for v in out.videos:
        if v.outcome == "already-ingested":
            console.print(
                f"{v.path}: already ingested ({v.sightings_total} sightings); nothing added"
            )
        else:
            console.print(
                f"{v.path}: {v.outcome}, {v.sightings_added} sightings added "
                f"({v.frames_analysed} frames analysed, {v.frames_skipped_motion} skipped "
                f"as static, {v.realtime_factor:.1f}x real time)"
            )


class _VideoProgress:
    """Feeds one video's progress (video seconds done) to a Rich progress bar."""

    def __init__(self, progress: Progress, name: str, duration_s: float | None) -> None:
        self._progress = progress
        self._task: TaskID = progress.add_task(name, total=duration_s or None, speed="")
        self._t0 = time.perf_counter()

    def __call__(self, done_s: float, total_s: float) -> None:
        spent = time.perf_counter() - self._t0
        speed = f"{done_s / spent:.1f}x real time" if spent > 0 else ""
        self._progress.update(self._task, completed=done_s, total=total_s or None, speed=speed)


@index_app.command("stats")
def index_stats(home: HomeOpt = None, token: TokenOpt = None, json_out: JsonOpt = False) -> None:
    """Counts of cameras, videos, sightings and faces, and the time span covered."""
    from cctrace.services.footage import index_stats

    def work() -> IndexStatsOut:
        with context(home, token, "read_index") as ctx:
            return index_stats(ctx)

    out = run(work)
    if json_out:
        print_json(out)
        return
    Console().print(
        f"{out.cameras} cameras, {out.videos} videos, {out.sightings} sightings "
        f"({out.faces} with a face), from {out.first or '-'} to {out.last or '-'}"
    )


@index_app.command("export-mot")
def index_export_mot(
    camera: Annotated[str, typer.Option("--camera", help="Camera whose tracks to export.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for one .txt per video.")],
    home: HomeOpt = None,
    token: TokenOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Write a camera's tracks in MOTChallenge format (frame,id,x,y,w,h,conf,-1,-1,-1)."""
    from cctrace.services.footage import export_tracks

    def work() -> MotExportOut:
        with context(home, token, "read_index") as ctx:
            return export_tracks(ctx, camera, out_dir)

    out = run(work)
    if json_out:
        print_json(out)
        return
    Console().print(f"{out.tracks} tracks, {out.lines} lines written to {', '.join(out.files)}")

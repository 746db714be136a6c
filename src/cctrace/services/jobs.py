"""Long work started through the API or the web page (ingest of uploaded footage, evidence
exports, traces) as jobs.

A job is recorded (`Store.add_job`) before anything runs, so it outlives the request and
the server: `start_ingest` / `start_evidence` check everything that can be checked at once
(role, case owner, camera, trace run, the upload's header) and answer with the job's id;
a `JobRunner` runs each job in a worker process (spawned: the vision models load there,
never in the server), which re-opens the store from the data folder, acts as the user who
started the job (the job row holds the owner's id; no token travels), writes progress at
most once a second, and stores the answer (the CLI's JSON) or the error message.

A job left ``queued`` or ``running`` by a stopped server is run again at the next start
(`JobRunner.requeue`): ingest resumes from its checkpoint and evidence writes a new export,
both safe to repeat. A job whose upload is gone, whose owner lost their token, or that
stopped `MAX_ATTEMPTS` times is marked failed with the reason instead. A trace job run
again traces again (a second saved run at worst; the page shows the latest).

Uploaded footage is kept under ``<home>/footage/<job id>/`` once indexed, as a CLI user
keeps the files they ingested: the index records each video's path, and evidence exports
read their frames from it. An upload that was not indexed (failed, or a file indexed
before) is removed when its job ends.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import queue
import re
import secrets
import shutil
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from cctrace.config import get_policy
from cctrace.core.errors import CctraceError, InputError, NotFoundError
from cctrace.privacy.exports import MANIFEST, refuse_if_closed
from cctrace.schemas import EvidenceOut, IngestOut, JobOut, JobStartedOut, TraceOut
from cctrace.services.auth import Context, Principal, authorize, require_case
from cctrace.services.events import AuditEvent, record
from cctrace.services.traces import saved_run, trace
from cctrace.store.home import Home
from cctrace.store.records import JobRecord
from cctrace.store.repository import Store
from cctrace.trace.cases import case_query

log = logging.getLogger("cctrace.jobs")

JobKind = Literal["ingest", "evidence", "trace"]
MAX_ATTEMPTS = 3
"""Starts of one job (server restarts included) before it is marked failed."""
PROGRESS_EVERY_S = 1.0
VIDEO_SUFFIXES = (".mp4", ".avi", ".mkv", ".mov", ".m4v", ".webm", ".ts", ".mpg", ".mpeg")


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IngestParams(_Params):
    """An ingest job: the uploaded file (under the data folder), what to call it, where."""

    upload: str
    name: str
    camera_id: str
    start: str | None = None


class TraceParams(_Params):
    case_id: str
    policy: str


class EvidenceParams(_Params):
    case_id: str
    trace_id: str
    clips: bool = False
    unblur: str | None = None
    reason: str | None = None


# -- where uploads go -------------------------------------------------------------------


def uploads_dir(home: Home) -> Path:
    """``<home>/uploads``: the private (0700) folder uploads are streamed into."""
    return home.root / "uploads"


def footage_dir(home: Home) -> Path:
    """``<home>/footage``: uploaded footage, kept as the CLI's user keeps their files (the
    index records each video's path; evidence exports read their frames from it)."""
    return home.root / "footage"


def job_dir(home: Home, job_id: str) -> Path:
    """Where an ingest job's uploaded video lies (kept once indexed, see `_cleanup`)."""
    return footage_dir(home) / job_id


def private_dir(path: Path) -> Path:
    """``path``, and every missing folder above it, created readable by us only (0700)."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    for p in reversed(missing):
        p.mkdir(mode=0o700, exist_ok=True)
        p.chmod(0o700)
    return path


def _stored_name(name: str) -> str:
    """A file name for an uploaded video: its own, in letters, digits and ``._-``."""
    suffix = Path(name).suffix.lower()
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", Path(name).stem).strip("_")[:80] or "footage"
    return stem + (suffix if suffix in VIDEO_SUFFIXES else "")


def _new_job_id() -> str:
    return f"job-{secrets.token_hex(8)}"


def _renamed(exc: CctraceError, path: Path, name: str, field: str) -> CctraceError:
    """``exc`` speaking of the upload's own name rather than the file it was streamed to."""
    exc.message = exc.message.replace(str(path), name)
    exc.args = (exc.message,)
    exc.field = exc.field or field
    return exc


# -- starting jobs (in the request) ------------------------------------------------------


def start_ingest(
    ctx: Context, upload: Path, name: str, camera_id: str, start: str | None = None
) -> JobStartedOut:
    """Queue the ingest of an uploaded video (moved under the job's folder).

    Checked now: the role, the camera, the start time and that the file is a video with a
    recording time; the models run in the job."""
    from cctrace.ingest.pipeline import check_footage, parse_start

    authorize(ctx, "add_footage")
    store = ctx.store
    start_utc = None
    if start is not None and start.strip():
        try:
            start_utc = parse_start(start)
        except CctraceError as exc:
            exc.field = "start"
            raise
    try:
        check_footage(store, upload, camera_id, start_utc, datetime.now(UTC), "`start`")
    except CctraceError as exc:
        raise _renamed(exc, upload, name, "file") from None
    job_id = _new_job_id()
    folder = private_dir(job_dir(store.home, job_id))
    kept = folder / _stored_name(name)
    upload.replace(kept)
    params = IngestParams(
        upload=str(kept),
        name=name,
        camera_id=camera_id,
        start=None if start_utc is None else start_utc.isoformat(),
    )
    try:
        store.add_job(job_id, "ingest", ctx.principal.user_id, None, params.model_dump_json())
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    record(
        ctx,
        AuditEvent(
            "start_job", "queued", target=f"job {job_id}: ingest of {name} for camera {camera_id}"
        ),
    )
    return JobStartedOut(job_id=job_id)


def start_evidence(
    ctx: Context,
    case_id: str,
    trace_id: str | None = None,
    clips: bool = False,
    unblur: str | None = None,
    reason: str | None = None,
) -> JobStartedOut:
    """Queue an evidence export of a saved trace run (default: the case's latest, fixed
    now so a later trace does not change what is exported)."""
    why = (reason or "").strip()
    if unblur is not None and not why:
        raise InputError(
            "unblurring a contact needs a reason (it is written to the audit log)", "reason"
        )
    if reason is not None and unblur is None:
        raise InputError("a reason goes with unblur: name the contact to leave clear", "unblur")
    require_case(ctx, "export_evidence", case_id)
    if unblur is not None:
        require_case(ctx, "unblur", case_id)
    refuse_if_closed(ctx.store, ctx.principal.user, case_id)
    run, result = saved_run(ctx, case_id, trace_id)
    if unblur is not None and unblur not in {c.contact_id for c in result.contacts}:
        raise NotFoundError(
            f"trace {run.trace_id} of case {case_id} has no contact {unblur!r}", "unblur"
        )
    job_id = _new_job_id()
    params = EvidenceParams(
        case_id=case_id, trace_id=run.trace_id, clips=clips, unblur=unblur, reason=reason
    )
    ctx.store.add_job(job_id, "evidence", ctx.principal.user_id, case_id, params.model_dump_json())
    record(
        ctx,
        AuditEvent(
            "start_job", "queued", case_id, f"job {job_id}: evidence of trace {run.trace_id}"
        ),
    )
    return JobStartedOut(job_id=job_id)


def start_trace(ctx: Context, case_id: str, policy_name: str | None = None) -> JobStartedOut:
    """Queue a trace of the caller's case (what a large city's trace takes minutes for);
    the job's result is the trace's JSON, saved as a trace run as a direct trace is."""
    policy = get_policy(policy_name)
    # What the trace itself checks first (an open case, a reference face), said now.
    case_query(ctx.store, require_case(ctx, "trace", case_id))
    job_id = _new_job_id()
    params = TraceParams(case_id=case_id, policy=policy.name)
    ctx.store.add_job(job_id, "trace", ctx.principal.user_id, case_id, params.model_dump_json())
    record(
        ctx,
        AuditEvent("start_job", "queued", case_id, f"job {job_id}: trace, policy {policy.name}"),
    )
    return JobStartedOut(job_id=job_id)


def job_out(job: JobRecord) -> JobOut:
    result = json.loads(job.result_json) if job.result_json else None
    return JobOut(
        job_id=job.job_id,
        kind=job.kind,
        state=job.state,
        progress=round(job.progress, 4),
        result=result if isinstance(result, dict) else None,
        error=job.error,
        stage=job.stage,
    )


def get_job(ctx: Context, job_id: str) -> JobOut:
    """A job the caller started; any other job id is unknown to them (nothing leaks)."""
    job = ctx.store.get_job(job_id)
    if job is None or job.owner_id != ctx.principal.user_id:
        if job is not None:
            who = ctx.principal
            ctx.store.audit(who.name, who.role, "view_job", "refused: not the owner", job.case_id)
        raise NotFoundError(f"unknown job {job_id!r}: use the job id the upload or export gave you")
    return job_out(job)


# -- running jobs (in a worker process) --------------------------------------------------


class _CannotRunError(CctraceError):
    """The job cannot run (its owner, its upload): failed with this reason."""


def _owner_context(store: Store, job: JobRecord) -> Context:
    user = store.user_by_id(job.owner_id)
    if user is None:
        raise _CannotRunError("the user who started the job no longer exists")
    now = datetime.now(UTC)
    if user.revoked_at is not None:
        raise _CannotRunError(f"the token of user {user.name} was revoked after the job was queued")
    if user.expires_at is not None and user.expires_at <= now:
        raise _CannotRunError(f"the token of user {user.name} expired after the job was queued")
    return Context(store, Principal(user, via="api"))


def _ingest_progress(
    store: Store, job_id: str
) -> Callable[[str, float | None], Callable[[float, float], None]]:
    last = [0.0]

    def factory(_name: str, _duration_s: float | None) -> Callable[[float, float], None]:
        def report(done_s: float, total_s: float) -> None:
            now = time.monotonic()
            if total_s > 0 and now - last[0] >= PROGRESS_EVERY_S:
                last[0] = now
                store.update_job(job_id, progress=min(0.99, done_s / total_s))

        return report

    return factory


def _run_ingest(ctx: Context, job: JobRecord) -> str:
    from cctrace.services.footage import ingest

    p = IngestParams.model_validate_json(job.params_json)
    upload = Path(p.upload)
    if not upload.is_file():
        raise _CannotRunError(f"the uploaded file {p.name} is gone; upload it again")
    try:
        out: IngestOut = ingest(
            ctx,
            [upload],
            p.camera_id,
            p.start,
            progress=_ingest_progress(ctx.store, job.job_id),
            names=[p.name],
        )
    except CctraceError as exc:
        raise _renamed(exc, upload, p.name, "file") from None
    return out.model_dump_json()


def _trace_progress(store: Store, job_id: str) -> Callable[[str, float], None]:
    def report(stage: str, done: float) -> None:
        store.update_job(job_id, progress=min(0.99, done), stage=stage)

    return report


def _run_trace(ctx: Context, job: JobRecord) -> str:
    p = TraceParams.model_validate_json(job.params_json)
    out: TraceOut = trace(
        ctx, [p.case_id], p.policy, progress=_trace_progress(ctx.store, job.job_id)
    )[0]
    return out.model_dump_json()


def _run_evidence(ctx: Context, job: JobRecord) -> str:
    from cctrace.services.evidence import export_evidence

    p = EvidenceParams.model_validate_json(job.params_json)
    out: EvidenceOut = export_evidence(
        ctx, p.case_id, p.trace_id, None, p.clips, p.unblur, p.reason
    )
    manifest = json.loads((Path(out.out) / MANIFEST).read_text())
    files = [str(f["file"]) for f in manifest.get("files", []) if isinstance(f, dict)]
    return json.dumps({**out.model_dump(), "files": files})


def _cleanup(store: Store, job: JobRecord) -> None:
    """Once an ingest job is over, its upload goes unless the index records it as a
    video's file (a failed or repeated upload, or a file ingested before, is removed)."""
    if job.kind != "ingest":
        return
    p = IngestParams.model_validate_json(job.params_json)
    if not any(v.path == p.upload for v in store.videos_of_camera(p.camera_id)):
        shutil.rmtree(job_dir(store.home, job.job_id), ignore_errors=True)


def run_job(home: Home, job_id: str) -> None:
    """Run one recorded job to its end (the worker process's entry point)."""
    with Store.open(home) as store:
        job = store.get_job(job_id)
        if job is None or job.state in ("done", "failed"):
            return
        store.update_job(job_id, state="running", started=True)
        try:
            ctx = _owner_context(store, job)
            if job.kind == "ingest":
                result = _run_ingest(ctx, job)
            elif job.kind == "evidence":
                result = _run_evidence(ctx, job)
            elif job.kind == "trace":
                result = _run_trace(ctx, job)
            else:
                raise _CannotRunError(f"unknown job kind {job.kind!r}")
        except CctraceError as exc:
            store.update_job(job_id, state="failed", error=exc.message)
        except Exception as exc:
            log.exception("job %s stopped on an internal error", job_id)
            store.update_job(
                job_id,
                state="failed",
                error=f"the job stopped on an internal error ({type(exc).__name__}); "
                "the server log has the details",
            )
        else:
            store.update_job(job_id, state="done", progress=1.0, result_json=result)
        _cleanup(store, job)


class JobRunner:
    """Runs queued jobs, ``workers`` at a time, each in a new spawned process.

    A process per job costs a second of start-up against minutes of work, and gives each
    job its own memory (models, decoders) back to the system when it ends; `stop` ends
    the running ones (their jobs are run again at the next start)."""

    def __init__(self, store: Store, workers: int = 1) -> None:
        self.store = store
        self.workers = workers
        self._mp = multiprocessing.get_context("spawn")
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._running: dict[str, BaseProcess] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for i in range(self.workers):
            t = threading.Thread(target=self._slot, name=f"cctrace-jobs-{i}", daemon=True)
            t.start()
            self._threads.append(t)

    def submit(self, job_id: str) -> None:
        self._queue.put(job_id)

    def requeue(self) -> list[str]:
        """Queue again the jobs a stopped server left unfinished; fail those that cannot
        run, with the reason. Returns the ids queued."""
        store, queued = self.store, []
        for job in store.unfinished_jobs():
            reason = None
            if job.attempts >= MAX_ATTEMPTS:
                reason = f"the job was started {job.attempts} times without finishing"
            elif job.kind == "ingest":
                p = IngestParams.model_validate_json(job.params_json)
                if not Path(p.upload).is_file():
                    reason = (
                        f"the server stopped before the job finished and the uploaded file "
                        f"{p.name} is gone; upload it again"
                    )
            if reason is not None:
                store.update_job(job.job_id, state="failed", error=reason)
                _cleanup(store, job)
                continue
            store.update_job(job.job_id, state="queued")
            self.submit(job.job_id)
            queued.append(job.job_id)
        return queued

    def _slot(self) -> None:
        while True:
            job_id = self._queue.get()
            if job_id is None or self._stopping.is_set():
                return
            proc = self._mp.Process(
                target=run_job, args=(self.store.home, job_id), name=f"cctrace-{job_id}"
            )
            proc.daemon = True
            with self._lock:
                self._running[job_id] = proc
            proc.start()
            proc.join()
            with self._lock:
                self._running.pop(job_id, None)
            if proc.exitcode != 0 and not self._stopping.is_set():
                self._crashed(job_id, proc.exitcode)

    def _crashed(self, job_id: str, exitcode: int | None) -> None:
        job = self.store.get_job(job_id)
        if job is None or job.state in ("done", "failed"):
            return
        self.store.update_job(
            job_id,
            state="failed",
            error=f"the worker process stopped (exit code {exitcode}) before the job finished; "
            "the server log has the details",
        )
        _cleanup(self.store, job)

    def stop(self, timeout_s: float = 10.0) -> None:
        """End the running jobs' processes (their jobs resume at the next start)."""
        self._stopping.set()
        for _ in self._threads:
            self._queue.put(None)
        with self._lock:
            procs = list(self._running.values())
        for proc in procs:
            proc.terminate()
        for t in self._threads:
            t.join(timeout_s)
        self._threads.clear()

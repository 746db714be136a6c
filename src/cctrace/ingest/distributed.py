"""Running segment jobs on many cores or machines: local processes, or a Ray cluster.

Both runners take `SegmentJob`s and hand each `SegmentOutcome` to a callback in the
caller's process (the one writer) as soon as it is back. A worker that dies mid-segment
(killed, out of memory, its machine gone) has its job run again, up to ``MAX_ATTEMPTS``
times; since a job's result is a pure function of its inputs and the writer skips ids
already stored, a retry neither loses nor doubles anything.

Only this module knows Ray (imported when a Ray runner is made; `cctrace[ray]`).
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Protocol

from cctrace.core.errors import CctraceError, InputError
from cctrace.ingest.worker import SegmentJob, SegmentOutcome, run_segment

MAX_ATTEMPTS = 3
"""Runs of one job before the batch gives up on it (a job that kills its worker every
time, e.g. by running out of memory, must not loop for ever)."""

OnDone = Callable[[SegmentJob, SegmentOutcome], None]


class Runner(Protocol):
    def run(self, jobs: list[SegmentJob], on_done: OnDone) -> None:
        """Run every job; call ``on_done`` in this process as each finishes. The first
        InputError of a job is raised after the other jobs ran."""
        ...


class WorkerLostError(CctraceError):
    """A job's worker died ``MAX_ATTEMPTS`` times (exit 1: the input may be fine; what
    was committed before stays, and running the batch again goes on from there)."""


class ProcessRunner:
    """``workers`` local processes (spawned: each loads the models once)."""

    def __init__(self, workers: int) -> None:
        if workers < 1:
            raise InputError(f"--workers must be at least 1, got {workers}", "workers")
        self.workers = workers
        self.retries = 0
        """Jobs run again after their worker died (for the report and the tests)."""

    def run(self, jobs: list[SegmentJob], on_done: OnDone) -> None:
        todo = list(range(len(jobs)))
        attempts = [0] * len(jobs)
        failure: InputError | None = None
        ctx = multiprocessing.get_context("spawn")
        while todo:
            with ProcessPoolExecutor(max_workers=self.workers, mp_context=ctx) as pool:
                running: dict[Future[SegmentOutcome], int] = {}
                for i in todo:
                    attempts[i] += 1
                    running[pool.submit(run_segment, jobs[i])] = i
                todo = []
                broken = False
                while running:
                    done, _ = wait(running, return_when=FIRST_COMPLETED)
                    for fut in done:
                        i = running.pop(fut)
                        try:
                            outcome = fut.result()
                        except BrokenProcessPool:
                            broken = True
                            todo.append(i)
                            continue
                        except InputError as exc:
                            failure = failure or exc
                            continue
                        on_done(jobs[i], outcome)
                if broken:
                    # A dead worker takes the pool with it: every job not back is re-run
                    # in a fresh pool (the others had finished and were handed over).
                    self.retries += len(todo)
                    for i in todo:
                        if attempts[i] >= MAX_ATTEMPTS:
                            raise WorkerLostError(
                                f"the worker running {jobs[i].label} died {attempts[i]} times; "
                                "see the system log (out of memory?) and run the batch again"
                            )
        if failure is not None:
            raise failure


class RayRunner:
    """Jobs as Ray tasks. ``address``: ``"auto"`` starts a local cluster (``num_cpus``
    CPUs, no dashboard) and stops it afterwards; anything else joins that cluster."""

    def __init__(self, address: str, num_cpus: int | None = None) -> None:
        try:
            import ray
        except ImportError:
            raise InputError("--ray needs Ray: pip install 'cctrace[ray]'", "ray") from None
        self._ray: Any = ray
        self.address = address
        self.num_cpus = num_cpus

    def run(self, jobs: list[SegmentJob], on_done: OnDone) -> None:
        ray = self._ray
        started = False
        if not ray.is_initialized():
            if self.address == "auto":
                ray.init(
                    num_cpus=self.num_cpus,
                    include_dashboard=False,
                    log_to_driver=False,
                    configure_logging=False,
                )
            else:
                try:
                    ray.init(address=self.address, log_to_driver=False, configure_logging=False)
                except (ConnectionError, ray.exceptions.AuthenticationError) as exc:
                    raise InputError(
                        f"cannot join the Ray cluster at {self.address} ({exc}): check the "
                        "address `ray start --head` printed; a cluster with token "
                        "authentication also needs RAY_AUTH_MODE=token and its token "
                        "(~/.ray/auth_token or RAY_AUTH_TOKEN)",
                        "ray",
                    ) from None
            started = True
        try:
            # max_retries: Ray runs a task again when its worker process or node dies.
            remote = ray.remote(max_retries=MAX_ATTEMPTS - 1, retry_exceptions=False)(run_segment)
            refs = {remote.remote(job): i for i, job in enumerate(jobs)}
            failure: InputError | None = None
            pending = list(refs)
            while pending:
                done, pending = ray.wait(pending, num_returns=1)
                for ref in done:
                    i = refs[ref]
                    try:
                        outcome = ray.get(ref)
                    except ray.exceptions.RayTaskError as exc:
                        cause = exc.as_instanceof_cause()
                        if isinstance(cause, InputError):
                            failure = failure or InputError(
                                str(cause.args[0]) if cause.args else str(cause)
                            )
                            continue
                        raise
                    except ray.exceptions.WorkerCrashedError:
                        raise WorkerLostError(
                            f"the worker running {jobs[i].label} died {MAX_ATTEMPTS} times; "
                            "run the batch again"
                        ) from None
                    on_done(jobs[i], outcome)
            if failure is not None:
                raise failure
        finally:
            if started:
                ray.shutdown()

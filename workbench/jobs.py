"""The one background-job runner: training and audits run through it.

A job is a row of ``jobs`` (queued -> running -> done | failed) plus a *work*
function ``work(store, progress) -> result dict``. :func:`run` executes it
with its own :class:`~workbench.store.Store` (a job never shares the caller's
connection), writes progress as it goes and records the outcome; :func:`start`
does the same in a daemon thread. Progress callbacks have one shape,
:data:`workbench.types.ProgressFn`, and :func:`scaled` maps a sub-task onto a
part of its parent's bar.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from workbench.config import models_dir_for
from workbench.errors import JobError, WorkbenchError
from workbench.store import Store
from workbench.store.jobs import HEARTBEAT_S
from workbench.types import ProgressFn

log = logging.getLogger(__name__)

#: ``work(store, progress) -> result``: what a job does, given its own store
JobWork = Callable[[Store, ProgressFn], dict[str, Any]]
PROGRESS_INTERVAL_S = 0.5


def scaled(progress: ProgressFn | None, start: float, end: float) -> ProgressFn:
    """A callback that maps a sub-task's [0, 1] onto ``[start, end]`` of ``progress``."""
    def report(fraction: float, message: str) -> None:
        if progress is not None:
            progress(start + (end - start) * min(max(float(fraction), 0.0), 1.0), message)
    return report


def throttled(progress: ProgressFn, interval: float = PROGRESS_INTERVAL_S) -> ProgressFn:
    """``progress`` called at most every ``interval`` seconds (and always at 100%): the DB is not hammered."""
    last = [-float("inf")]

    def report(fraction: float, message: str) -> None:
        now = time.monotonic()
        if now - last[0] >= interval or fraction >= 1:
            last[0] = now
            progress(fraction, message)
    return report


def duration_text(seconds: float) -> str:
    """``45 s``, ``3 min``, ``1 h 20 min``: an ETA a person reads at a glance."""
    seconds = max(0.0, float(seconds))
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    return f"{int(seconds // 3600)} h {int(seconds % 3600 // 60)} min"


class Meter:
    """Items done of a total in one phase of a job, reported with their rate and time left.

    ``meter(done)`` calls ``progress(done / total, "embedding texts · 5,120 / 13,900 · 152 texts/s ·
    about 58 s left")``. The rate counts only the items this phase has processed itself (``start``
    items done before it, e.g. cached ones, are not part of it), so the time left is honest.

    Parameters
    ----------
    progress : the phase's ProgressFn (already :func:`scaled` onto its part of the job's bar).
    what : the phase's name, "embedding texts".
    total : items in the phase.
    detail : shown after the counts, "2,000 cached".
    unit : what an item is called in the rate ("texts").
    start : items already done when the phase begins.
    """

    def __init__(self, progress: ProgressFn | None, what: str, total: int, unit: str = "items", start: int = 0,
                 detail: str = "", clock: Callable[[], float] = time.monotonic):
        self.progress, self.what, self.total, self.unit = progress, what, max(int(total), 0), unit
        self.detail = detail
        self.start, self.clock = int(start), clock
        self.t0 = clock()

    def text(self, done: int) -> str:
        parts = [self.what, f"{done:,} / {self.total:,}" + (f" ({self.detail})" if self.detail else "")]
        elapsed, fresh = self.clock() - self.t0, done - self.start
        if fresh > 0 and elapsed > 0:
            rate = fresh / elapsed
            one = self.unit[:-1] if self.unit.endswith("s") else self.unit
            parts.append(f"{rate:,.0f} {self.unit}/s" if rate >= 10 else f"{rate:.1f} {self.unit}/s" if rate >= 1
                         else f"{duration_text(1 / rate)} per {one}")
            if done < self.total:
                parts.append(f"about {duration_text((self.total - done) / rate)} left")
        return " · ".join(parts)

    def __call__(self, done: int) -> None:
        if self.progress is not None:
            self.progress(done / self.total if self.total else 1.0, self.text(done))


#: fault injection for the reliability tests and benchmark: a job whose progress message starts with
#: this text stops there (sleeps), so a test can ``kill -9`` its worker in a known phase
FAULT_PAUSE_ENV = "WORKBENCH_FAULT_PAUSE"


class _Heartbeat:
    """Beats a running job's ``heartbeat_at`` every ``interval`` seconds from a thread with its own store."""

    def __init__(self, db_path: str | Path, job_id: int, interval: float = HEARTBEAT_S):
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, args=(db_path, job_id, interval),
                                        name=f"heartbeat-{job_id}", daemon=True)

    def _beat(self, db_path, job_id: int, interval: float) -> None:
        with Store(db_path, migrate=False) as store:
            while not self._stop.wait(interval):
                store.heartbeat(job_id)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


def _reporting(store: Store, job_id: int, echo: ProgressFn | None = None) -> ProgressFn:
    pause_at = os.environ.get(FAULT_PAUSE_ENV)
    write = throttled(lambda fraction, message: store.update_job(job_id, fraction, message))

    def report(fraction: float, message: str) -> None:
        if pause_at and message.startswith(pause_at):
            store.update_job(job_id, fraction, message)
            time.sleep(3600)  # the test kills this process here
        write(fraction, message)
        if echo is not None:
            echo(fraction, message)
    return report


def run(db_path: str | Path, job_id: int, work: JobWork, *, what: str = "job", keeps: str = "",
        echo: ProgressFn | None = None) -> dict[str, Any]:
    """Run a queued job synchronously with its own store; return its result.

    While it runs, the job row names this process as its owner and gets a heartbeat every
    :data:`HEARTBEAT_S` seconds, so a killed worker is noticed (:func:`recover`). ``echo`` also
    gets every progress report (e.g. the CLI's bar), unthrottled.

    Raises
    ------
    JobError
        The work raised; the job row is ``failed`` with the message, and ``keeps``
        (e.g. "the previous model version stays active") is added to the error.
    """
    with Store(db_path) as store:
        store.start_job(job_id)
        with _Heartbeat(db_path, job_id):
            try:
                result = work(store, _reporting(store, job_id, echo))
            except Exception as exc:
                message = str(exc) if isinstance(exc, WorkbenchError) else f"{type(exc).__name__}: {exc}"
                store.fail_job(job_id, message)
                raise JobError(f"{what} failed: {message}" + (f"; {keeps}" if keeps else "")) from exc
        store.finish_job(job_id, result)
        return result


def recover(store: Store) -> dict[str, int]:
    """Fail the jobs whose worker died and remove the model versions and weight folders they left.

    Cheap (one query over the active jobs when nothing died): called at app start, before every new job,
    by the retrain check and by the status shown on pages and the CLI.

    Returns
    -------
    dict
        ``versions_removed``: half-made model versions deleted (rows and folders).
    """
    orphans = store.fail_dead_jobs()
    for project_id, version_id, path in orphans:
        folder = Path(path) if path else models_dir_for(store.path) / str(project_id) / str(version_id)
        shutil.rmtree(folder, ignore_errors=True)
    return {"versions_removed": len(orphans)}


def start(db_path: str | Path, job_id: int, work: JobWork, *, what: str = "job", keeps: str = "",
          wait: bool = False, echo: ProgressFn | None = None) -> int:
    """Run a queued job in a daemon thread (or here when ``wait``, with ``echo`` as in :func:`run`);
    return the job id.

    In a thread, a failure is recorded on the job row (the UI shows it), never raised.
    """
    if wait:
        run(db_path, job_id, work, what=what, keeps=keeps, echo=echo)
        return job_id

    def target() -> None:
        try:
            run(db_path, job_id, work, what=what, keeps=keeps)
        except JobError:
            pass  # recorded in the jobs table
        except Exception:  # noqa: BLE001 - a worker thread must never die silently
            log.exception("%s %s crashed", what, job_id)

    threading.Thread(target=target, name=f"{what}-{job_id}", daemon=True).start()
    return job_id


def wait_for(store: Store, job_id: int, timeout: float = 600.0, poll: float = 0.1) -> dict[str, Any]:
    """Block until a job is done or failed; return its row.

    Raises
    ------
    JobError
        The job did not end within ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while True:
        job = store.job(job_id)
        if not store.job_active(job):
            return job
        if time.monotonic() > deadline:
            raise JobError(f"job {job_id} is still {job['status']} after {timeout:.0f} s")
        time.sleep(poll)

"""Background jobs (training, audits): queued -> running -> done | failed, with progress."""

from __future__ import annotations

import os
import socket
import time
from datetime import datetime
from typing import Any

from workbench.errors import ConflictError, NotFoundError
from workbench.store.base import dumps, loads, now, sql_list

#: statuses of a job that has not ended
JOB_ACTIVE = ("queued", "running")
_ACTIVE = sql_list(JOB_ACTIVE)


#: a running job whose heartbeat is older than this is dead (its worker beats every HEARTBEAT_S)
STALE_AFTER_S = 10.0
HEARTBEAT_S = 2.0
#: a queued job not started within this is dead (a worker process may need seconds to start on a busy machine)
QUEUED_GRACE_S = 60.0
HOST = socket.gethostname()


def pid_alive(pid: int | None) -> bool:
    """Whether process ``pid`` of this host is running (a zombie is not)."""
    if not pid:
        return False
    try:
        import psutil

        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except ImportError:  # pragma: no cover - psutil is a requirement
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    except Exception:  # psutil.NoSuchProcess and friends
        return False


class JobsMixin:
    def create_job(self, project, kind: str, params: dict | None = None) -> int:
        """Queue a job; refuse if the same kind is already queued/running for the project.

        Jobs whose worker died are marked failed first (:meth:`fail_dead_jobs`), so a killed job
        never blocks the next one.
        """
        pid = None if project is None else project.id
        self.fail_dead_jobs()
        with self.atomic():
            busy = self.one(
                "SELECT id, status FROM jobs WHERE project_id IS ? AND kind = ? AND status IN " + _ACTIVE,
                (pid, kind),
            )
            if busy:
                raise ConflictError(f"a {kind} job (#{busy['id']}) is already {busy['status']} for this project; "
                                    "wait for it to finish")
            cur = self.execute(
                "INSERT INTO jobs (project_id, kind, params, created_at) VALUES (?,?,?,?)",
                (pid, kind, dumps(params or {}), now()),
            )
        return cur.lastrowid

    def start_job(self, job_id: int, pid: int | None = None, host: str | None = None) -> None:
        """Mark a job running, owned by process ``pid`` on ``host`` (default: this process), with a first heartbeat."""
        with self.atomic():
            self.execute("UPDATE jobs SET status = 'running', started_at = ?, owner_pid = ?, owner_host = ?,"
                         " heartbeat_at = ? WHERE id = ?",
                         (now(), pid or os.getpid(), host or HOST, time.time(), job_id))

    def heartbeat(self, job_id: int) -> None:
        with self.atomic():
            self.execute("UPDATE jobs SET heartbeat_at = ? WHERE id = ? AND status = 'running'", (time.time(), job_id))

    def update_job(self, job_id: int, progress: float, message: str = "") -> None:
        with self.atomic():
            self.execute("UPDATE jobs SET progress = ?, message = ? WHERE id = ?",
                         (max(0.0, min(1.0, float(progress))), message, job_id))

    def finish_job(self, job_id: int, result: dict | None = None) -> None:
        with self.atomic():
            self.execute(
                "UPDATE jobs SET status = 'done', progress = 1, finished_at = ?, result = ? WHERE id = ?",
                (now(), dumps(result or {}), job_id),
            )

    def fail_job(self, job_id: int, error: str) -> None:
        with self.atomic():
            self.execute("UPDATE jobs SET status = 'failed', finished_at = ?, error = ? WHERE id = ?",
                         (now(), error, job_id))

    def job(self, job_id: int) -> dict[str, Any]:
        row = self.one("SELECT * FROM jobs WHERE id = ?", (job_id,))
        if row is None:
            raise NotFoundError(f"no job {job_id}")
        return _decode_job(row)

    @staticmethod
    def job_active(job: dict[str, Any] | None) -> bool:
        """True for a job row that is queued or running (the one definition of "active")."""
        return job is not None and job["status"] in JOB_ACTIVE

    def latest_job(self, project, kind: str | None = None) -> dict[str, Any] | None:
        sql, params = "SELECT * FROM jobs WHERE project_id = ?", [project.id]
        if kind:
            sql += " AND kind = ?"
            params.append(kind)
        row = self.one(sql + " ORDER BY id DESC LIMIT 1", params)
        return None if row is None else _decode_job(row)

    def fail_dead_jobs(self, stale_after: float = STALE_AFTER_S) -> list[tuple[int, int, str | None]]:
        """Mark jobs whose worker is gone as failed (``interrupted``) and delete what they left half-made.

        A running job is dead when its owner process (on this host) has exited, or when its heartbeat is
        older than ``stale_after`` seconds (any host); a queued job when it never started within
        :data:`QUEUED_GRACE_S`.
        A dead training's model versions that never became active are deleted (with their suggestions).

        Returns
        -------
        list of (project id, model version id, weights path or None)
            The deleted versions, for the caller to remove their weight folders.
        """
        t = time.time()
        orphans: list[tuple[int, int, str | None]] = []
        for job in self.query("SELECT * FROM jobs WHERE status IN " + _ACTIVE):
            reason = _death(job, t, stale_after)
            if reason is None:
                continue
            with self.atomic():
                done = self.execute(
                    "UPDATE jobs SET status = 'failed', interrupted = 1, error = ?, finished_at = ?"
                    " WHERE id = ? AND status IN " + _ACTIVE, (reason, now(), job["id"])).rowcount
                if done and job["kind"] == "train" and job["started_at"] and job["project_id"] is not None:
                    orphans += self._delete_unactivated_versions(job["project_id"], job["started_at"])
        return orphans

    def _delete_unactivated_versions(self, project_id: int, since: str) -> list[tuple[int, int, str | None]]:
        rows = self.query(
            "SELECT id, path FROM model_versions WHERE project_id = ? AND created_at >= ?"
            " AND id IS NOT (SELECT active_model_version FROM projects WHERE id = ?)", (project_id, since, project_id))
        for row in rows:
            self.execute("DELETE FROM model_versions WHERE id = ?", (row["id"],))
        return [(project_id, row["id"], row["path"]) for row in rows]

def _decode_job(row: dict[str, Any]) -> dict[str, Any]:
    row["params"], row["result"] = loads(row["params"]), loads(row["result"])
    return row


def _death(job: dict[str, Any], t: float, stale_after: float) -> str | None:
    """Why an active job is dead, or None while its worker lives."""
    phase = f" during '{job['message']}'" if job["message"] else ""
    if job["status"] == "queued":
        age = t - datetime.fromisoformat(job["created_at"]).timestamp()
        late = age > max(stale_after, QUEUED_GRACE_S)
        return f"the job never started ({age:.0f} s after it was queued); start it again" if late else None
    if job["owner_host"] == HOST and not pid_alive(job["owner_pid"]):
        return f"its worker process (pid {job['owner_pid']}) stopped{phase}; the next retrain starts a new job"
    if job["heartbeat_at"] is None or t - job["heartbeat_at"] > stale_after:
        return (f"its worker (pid {job['owner_pid']} on {job['owner_host']}) sent no heartbeat for over "
                f"{stale_after:.0f} s{phase}; the next retrain starts a new job")
    return None

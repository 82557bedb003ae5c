"""Background jobs (training, audits): queued -> running -> done | failed, with progress."""

from __future__ import annotations

from typing import Any

from workbench.errors import ConflictError, NotFoundError
from workbench.store.base import dumps, loads, now, sql_list

#: statuses of a job that has not ended
JOB_ACTIVE = ("queued", "running")
_ACTIVE = sql_list(JOB_ACTIVE)


class JobsMixin:
    def create_job(self, project, kind: str, params: dict | None = None) -> int:
        """Queue a job; refuse if the same kind is already queued/running for the project."""
        pid = None if project is None else project.id
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

    def start_job(self, job_id: int) -> None:
        with self.atomic():
            self.execute("UPDATE jobs SET status = 'running', started_at = ? WHERE id = ?", (now(), job_id))

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

    def fail_stale_jobs(self, message: str = "the worker stopped before the job finished") -> int:
        """Mark jobs left running by a dead process as failed (call at start-up)."""
        with self.atomic():
            cur = self.execute(
                "UPDATE jobs SET status = 'failed', error = ?, finished_at = ? WHERE status IN " + _ACTIVE,
                (message, now()),
            )
        return cur.rowcount


def _decode_job(row: dict[str, Any]) -> dict[str, Any]:
    row["params"], row["result"] = loads(row["params"]), loads(row["result"])
    return row

"""Model versions, suggestions, active-learning rounds and background jobs."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from workbench.errors import ConflictError, NotFoundError
from workbench.store.annotations import LIVE
from workbench.store.base import dumps, loads, now

JOB_ACTIVE = ("queued", "running")


class ModelsMixin:
    # -- model versions ---------------------------------------------------
    def add_model_version(
        self, project, adapter: str, labels: Sequence[str], *, path: str | None = None,
        config: dict | None = None, metrics: dict | None = None, n_labels: int = 0,
        train_seconds: float | None = None,
    ) -> int:
        with self.atomic():
            cur = self.execute(
                "INSERT INTO model_versions (project_id, adapter, path, labels, config, metrics, n_labels,"
                " train_seconds, created_at) VALUES (?,?,?,?,?,?,?,?,?)",
                (project.id, adapter, path, dumps(list(labels)), dumps(config or {}), dumps(metrics or {}),
                 n_labels, train_seconds, now()),
            )
        return cur.lastrowid

    def set_model_path(self, version_id: int, path: str) -> None:
        with self.atomic():
            self.execute("UPDATE model_versions SET path = ? WHERE id = ?", (path, version_id))

    def activate_model_version(self, project, version_id: int) -> None:
        """Make a version the one whose suggestions the queue and pages use (atomic swap)."""
        with self.atomic():
            self.execute("UPDATE projects SET active_model_version = ? WHERE id = ?", (version_id, project.id))

    def model_version(self, version_id: int) -> dict[str, Any]:
        row = self.one("SELECT * FROM model_versions WHERE id = ?", (version_id,))
        if row is None:
            raise NotFoundError(f"no model version {version_id}")
        return _decode_version(row)

    def model_versions(self, project) -> list[dict[str, Any]]:
        return [_decode_version(r) for r in self.query(
            "SELECT * FROM model_versions WHERE project_id = ? ORDER BY id", (project.id,))]

    def labels_since_last_model(self, project, job_kind: str = "train") -> int:
        """Live label decisions (label / relabel, not retracted) made after the latest
        model version or failed ``job_kind`` job, whichever is newer."""
        since = self.scalar(
            "SELECT MAX(t) FROM (SELECT MAX(created_at) AS t FROM model_versions WHERE project_id = ?"
            " UNION ALL SELECT MAX(created_at) FROM jobs WHERE project_id = ? AND kind = ? AND status = 'failed')",
            (project.id, project.id, job_kind))
        sql = f"SELECT COUNT(*) FROM annotations a WHERE a.project_id = ? AND a.kind IN ('label', 'relabel') AND {LIVE}"
        if since is None:
            return self.scalar(sql, (project.id,))
        return self.scalar(sql + " AND a.created_at > ?", (project.id, since))

    # -- suggestions ------------------------------------------------------
    def write_suggestions(self, project, version_id: int, rows: Iterable[tuple[int, Any, float, float, Any]]) -> int:
        """Store (record id, value, score, uncertainty, probs) rows for one model version.

        ``score`` is the confidence of ``value`` (higher = surer); ``uncertainty``
        is the query strategy's score (higher = ask sooner).
        """
        stamp, n = now(), 0
        with self.atomic():
            for record_id, value, score, uncertainty, probs in rows:
                self.execute(
                    "INSERT INTO suggestions (project_id, record_id, model_version_id, value, score, uncertainty,"
                    " probs, created_at) VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (model_version_id, record_id)"
                    " DO UPDATE SET value = excluded.value, score = excluded.score,"
                    " uncertainty = excluded.uncertainty, probs = excluded.probs",
                    (project.id, record_id, version_id, dumps(value), score, uncertainty,
                     None if probs is None else dumps(probs), stamp),
                )
                n += 1
        return n

    def suggestion(self, project, record_id: int) -> dict[str, Any] | None:
        """The active model version's suggestion for a record, or None."""
        if project.active_model_version is None:
            return None
        row = self.one(
            "SELECT * FROM suggestions WHERE model_version_id = ? AND record_id = ?",
            (project.active_model_version, record_id),
        )
        if row is None:
            return None
        row["value"], row["probs"] = loads(row["value"]), loads(row["probs"])
        return row

    # -- rounds -----------------------------------------------------------
    def add_round(self, project, strategy: str, n_labels: int, metrics: dict, *,
                  model_version_id: int | None = None, run: str = "live") -> int:
        with self.atomic():
            cur = self.execute(
                "INSERT INTO rounds (project_id, model_version_id, strategy, run, n_labels, metrics, created_at)"
                " VALUES (?,?,?,?,?,?,?)",
                (project.id, model_version_id, strategy, run, n_labels, dumps(metrics), now()),
            )
        return cur.lastrowid

    def rounds(self, project) -> list[dict[str, Any]]:
        rows = self.query("SELECT * FROM rounds WHERE project_id = ? ORDER BY id", (project.id,))
        for r in rows:
            r["metrics"] = loads(r["metrics"])
        return rows

    # -- audits -------------------------------------------------------------
    def latest_audit_id(self, project) -> int | None:
        """Id of the project's most recent audit, or None if it was never audited."""
        return self.scalar("SELECT id FROM audits WHERE project_id = ? ORDER BY id DESC LIMIT 1", (project.id,))

    # -- jobs ---------------------------------------------------------------
    def create_job(self, project, kind: str, params: dict | None = None) -> int:
        """Queue a job; refuse if the same kind is already queued/running for the project."""
        pid = None if project is None else project.id
        with self.atomic():
            busy = self.one(
                "SELECT id, status FROM jobs WHERE project_id IS ? AND kind = ? AND status IN ('queued','running')",
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
                "UPDATE jobs SET status = 'failed', error = ?, finished_at = ? WHERE status IN ('queued','running')",
                (message, now()),
            )
        return cur.rowcount


def _decode_version(row: dict[str, Any]) -> dict[str, Any]:
    for key in ("labels", "config", "metrics"):
        row[key] = loads(row[key])
    return row


def _decode_job(row: dict[str, Any]) -> dict[str, Any]:
    row["params"], row["result"] = loads(row["params"]), loads(row["result"])
    return row

"""Model versions, suggestions and active-learning rounds."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from workbench.errors import NotFoundError
from workbench.store.annotations import LIVE, VALUE_KINDS
from workbench.store.base import dumps, loads, now, sql_list


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

    def set_version_metrics(self, version_id: int, metrics: dict) -> None:
        with self.atomic():
            self.execute("UPDATE model_versions SET metrics = ? WHERE id = ?", (dumps(metrics), version_id))

    def delete_model_version(self, version_id: int) -> None:
        """Remove a version that never became active (a failed or killed round); its suggestions go with it."""
        with self.atomic():
            self.execute("DELETE FROM model_versions WHERE id = ?", (version_id,))

    def keep_suggestions_of(self, project, version_ids: Sequence[int]) -> None:
        """Delete the project's suggestions of every other model version."""
        keep = list(version_ids)
        with self.atomic():
            self.execute(f"DELETE FROM suggestions WHERE project_id = ? AND model_version_id NOT IN "
                         f"({','.join('?' * len(keep))})", (project.id, *keep))

    def prediction_agreement(self, version_a: int, version_b: int) -> float | None:
        """Share of records both versions suggested for whose value is unchanged (None: no overlap)."""
        row = self.one(
            "SELECT COUNT(*) AS n, COALESCE(SUM(a.value = b.value), 0) AS same FROM suggestions a"
            " JOIN suggestions b ON b.record_id = a.record_id AND b.model_version_id = ?"
            " WHERE a.model_version_id = ?", (version_b, version_a))
        return None if not row or not row["n"] else row["same"] / row["n"]

    def latest_model_versions(self, project, n: int = 2) -> list[dict[str, Any]]:
        """The project's ``n`` newest versions, newest first (decoded)."""
        return [_decode_version(r) for r in self.query(
            "SELECT * FROM model_versions WHERE project_id = ? ORDER BY id DESC LIMIT ?", (project.id, n))]

    def delete_rounds(self, project, run: str) -> None:
        with self.atomic():
            self.execute("DELETE FROM rounds WHERE project_id = ? AND run = ?", (project.id, run))

    def model_versions(self, project) -> list[dict[str, Any]]:
        return [_decode_version(r) for r in self.query(
            "SELECT * FROM model_versions WHERE project_id = ? ORDER BY id", (project.id,))]

    def labels_since_last_model(self, project) -> int:
        """Live label decisions (label / relabel, not retracted) made after the latest model version
        (all of them before the first)."""
        since = self.scalar("SELECT MAX(created_at) FROM model_versions WHERE project_id = ?", (project.id,))
        return self.labels_since(project, since)

    def labels_since(self, project, since: str | None) -> int:
        """Live label decisions made after ``since`` (ISO time; None = all)."""
        sql = f"SELECT COUNT(*) FROM annotations a WHERE a.project_id = ? AND a.kind IN {sql_list(VALUE_KINDS)} AND {LIVE}"
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
        """The active model version's suggestion for a record, or None (also when the version withheld its
        value: a zero-shot round that did not beat the majority label keeps only the queue order)."""
        if project.active_model_version is None:
            return None
        row = self.one(
            "SELECT * FROM suggestions WHERE model_version_id = ? AND record_id = ?",
            (project.active_model_version, record_id),
        )
        if row is None:
            return None
        row["value"], row["probs"] = loads(row["value"]), loads(row["probs"])
        return row if row["value"] is not None else None

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


def _decode_version(row: dict[str, Any]) -> dict[str, Any]:
    for key in ("labels", "config", "metrics"):
        row[key] = loads(row[key])
    return row

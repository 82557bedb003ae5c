"""The Explore map, bulk labels and the "label these next" queue (the SQL behind :mod:`services.explore`).

A map is kept per project, encoder and data version (record count and newest id: records are only
ever added), so it is recomputed only when records change. Rows of one bulk action share
``annotations.bulk_id``; undo retracts them together.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from workbench.errors import ValidationError
from workbench.store.annotations import bulk_labelled
from workbench.store.base import dumps, loads, now

#: the most records one bulk action labels
MAX_BULK = 50_000


class ExploreMixin:
    # -- maps -----------------------------------------------------------------------
    def data_version(self, project) -> str:
        row = self.one("SELECT COUNT(*) AS n, COALESCE(MAX(id), 0) AS last FROM records WHERE project_id = ?",
                       (project.id,))
        return f"{row['n']}:{row['last']}"

    def find_map(self, project, encoder: str, data_version: str) -> dict[str, Any] | None:
        return self.one("SELECT * FROM explore_maps WHERE project_id = ? AND encoder = ? AND data_version = ?"
                        " ORDER BY id DESC LIMIT 1", (project.id, encoder, data_version))

    def latest_map(self, project) -> dict[str, Any] | None:
        return self.one("SELECT * FROM explore_maps WHERE project_id = ? ORDER BY id DESC LIMIT 1", (project.id,))

    def save_map(self, project, encoder: str, data_version: str, method: str, seconds: float,
                 points: Iterable[tuple[int, float, float, int]],
                 clusters: Iterable[tuple[int, int, list[str], list[int]]]) -> int:
        """Store a map (replacing the project's older ones): points (record id, x, y, cluster; -1 = unclustered)
        and clusters (cluster, size, keywords, representative record ids)."""
        with self.atomic():
            self.execute("DELETE FROM explore_maps WHERE project_id = ?", (project.id,))
            map_id = self.execute(
                "INSERT INTO explore_maps (project_id, encoder, data_version, method, seconds, created_at)"
                " VALUES (?,?,?,?,?,?)", (project.id, encoder, data_version, method, seconds, now())).lastrowid
            self.conn.executemany("INSERT INTO explore_points (map_id, record_id, x, y, cluster) VALUES (?,?,?,?,?)",
                                  ((map_id, rid, float(x), float(y), int(c)) for rid, x, y, c in points))
            self.conn.executemany(
                "INSERT INTO explore_clusters (map_id, cluster, size, keywords, representatives) VALUES (?,?,?,?,?)",
                ((map_id, int(c), int(n), dumps(list(k)), dumps([int(r) for r in reps])) for c, n, k, reps in clusters))
        return map_id

    def map_points(self, map_id: int, project, audit_id: int | None) -> list[dict[str, Any]]:
        """Every point with what the page colours by: record status, label, split, labellers, text, the active
        model's suggestion and uncertainty, the audit's label quality and flag, whether a bulk label holds it."""
        rows = self.query(
            "SELECT p.record_id, p.x, p.y, p.cluster, r.text, r.status, r.label, r.split, r.annotators, r.excluded,"
            " s.value AS predicted, s.uncertainty, ai.quality, ai.is_issue,"
            f" {bulk_labelled('r.id')} AS bulk FROM explore_points p JOIN records r ON r.id = p.record_id"
            " LEFT JOIN suggestions s ON s.record_id = r.id AND s.model_version_id = :version"
            " LEFT JOIN audit_issues ai ON ai.record_id = r.id AND ai.audit_id = :audit"
            " WHERE p.map_id = :map ORDER BY p.record_id",
            {"map": map_id, "version": project.active_model_version, "audit": audit_id})
        for r in rows:
            r["label"], r["predicted"] = loads(r["label"]), loads(r["predicted"])
            r["annotators"] = [a for a in (r["annotators"] or "").split(",") if a]
        return rows

    def map_clusters(self, map_id: int) -> list[dict[str, Any]]:
        rows = self.query("SELECT cluster, size, keywords, representatives FROM explore_clusters WHERE map_id = ?"
                          " ORDER BY cluster", (map_id,))
        for r in rows:
            r["keywords"], r["representatives"] = loads(r["keywords"]), loads(r["representatives"])
        return rows

    # -- bulk labels ----------------------------------------------------------------
    def bulk_label(self, project, record_ids: Sequence[int], annotator: str, value: Any) -> int:
        """Label every record with ``value`` as one action (ordinary ``label`` rows, ``source = bulk``, one
        ``bulk_id``); all or nothing. Excluded records are refused. Returns the bulk id."""
        ids = list(dict.fromkeys(int(r) for r in record_ids))
        if not ids:
            raise ValidationError("select at least one record to bulk-label")
        if len(ids) > MAX_BULK:
            raise ValidationError(f"{len(ids):,} records selected; one bulk label takes at most {MAX_BULK:,}")
        with self.atomic():
            bulk_id = self.execute("INSERT INTO bulk_actions (project_id, annotator, value, n, created_at)"
                                   " VALUES (?,?,?,?,?)", (project.id, annotator, dumps(value), len(ids), now())).lastrowid
            for rid in ids:
                self.annotate(project, rid, annotator, "label", value, source="bulk", bulk_id=bulk_id)
        return bulk_id

    # -- "label these next" ---------------------------------------------------------
    def prioritise(self, project, record_ids: Sequence[int], reason: str = "") -> int:
        """Put records at the front of everyone's queue, in the given order, ahead of earlier ones; return how many."""
        ids = list(dict.fromkeys(int(r) for r in record_ids))
        with self.atomic():
            first = self.scalar("SELECT COALESCE(MIN(rank), 0) FROM queue_priority WHERE project_id = ?",
                                (project.id,))
            stamp = now()
            for i, rid in enumerate(ids):
                self.execute(
                    "INSERT INTO queue_priority (project_id, record_id, rank, reason, created_at)"
                    " SELECT ?, id, ?, ?, ? FROM records WHERE id = ? AND project_id = ?"
                    " ON CONFLICT (project_id, record_id) DO UPDATE SET rank = excluded.rank, reason = excluded.reason",
                    (project.id, first - len(ids) + i, reason, stamp, rid, project.id))
        return len(ids)

    def priority_count(self, project) -> int:
        return self.scalar("SELECT COUNT(*) FROM queue_priority q JOIN records r ON r.id = q.record_id"
                           " WHERE q.project_id = ? AND r.status = 'unlabelled'", (project.id,))

    def bulk_labelled(self, record_ids: Sequence[int]) -> set[int]:
        """Which of these records hold a live label from a bulk action."""
        return {r["id"] for r in self.select_in(
            f"SELECT r.id FROM records r WHERE r.id IN ({{marks}}) AND {bulk_labelled('r.id')}", list(record_ids))}

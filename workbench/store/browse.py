"""The filtered, paginated record query behind the Browse page (:mod:`workbench.browse`)."""

from __future__ import annotations

from typing import Any

from workbench.store.annotations import PEOPLE_ONLY
from workbench.store.base import dumps, loads
from workbench.store.comments import OPEN_FLAG

BROWSE_COLUMNS = "r.id, r.external_id, r.text, r.status, r.label, r.excluded, r.annotators, r.updated_at"


class BrowseMixin:
    def browse_records(self, project, filters, fts: str, *, offset: int, limit: int) -> tuple[list[dict], int]:
        """One page of records matching a :class:`workbench.browse.BrowseFilter`, and the total count.

        ``fts`` is the filter's text as a safe FTS5 query. Rows carry the record
        columns plus ``suggested``/``score`` (active model) and ``quality``
        (latest audit), looked up for this page only.
        """
        audit_id = self.latest_audit_id(project)
        joins, where, params = _conditions(project, filters, fts, audit_id)
        base = f"FROM records r {joins} WHERE {' AND '.join(where)}"
        total = self.scalar(f"SELECT COUNT(*) {base}", params)
        rows = self.query(f"SELECT {BROWSE_COLUMNS} {base} ORDER BY r.id LIMIT ? OFFSET ?", (*params, limit, offset))
        ids = [row["id"] for row in rows]
        suggested: dict[int, Any] = {}
        quality: dict[int, float] = {}
        if ids and project.active_model_version is not None:
            suggested = {r["record_id"]: r for r in self.select_in(
                "SELECT record_id, value, score FROM suggestions WHERE model_version_id = ? AND record_id IN ({marks})",
                ids, (project.active_model_version,))}
        if ids and audit_id is not None:
            quality = {r["record_id"]: r["q"] for r in self.select_in(
                "SELECT record_id, MIN(quality) AS q FROM audit_issues WHERE audit_id = ? AND record_id IN ({marks})"
                " GROUP BY record_id", ids, (audit_id,))}
        for row in rows:
            hit = suggested.get(row["id"])
            row.update(label=loads(row["label"]), suggested=loads(hit["value"]) if hit else None,
                       score=hit["score"] if hit else None, quality=quality.get(row["id"]),
                       annotators=[a for a in row["annotators"].split(",") if a], excluded=bool(row["excluded"]))
        return rows, total

    def annotator_names(self, project) -> list[str]:
        """Everyone who has an annotation in the project (system annotators left out), sorted."""
        return [r["annotator"] for r in self.query(
            f"SELECT DISTINCT annotator FROM annotations WHERE project_id = ? AND annotator NOT IN {PEOPLE_ONLY}"
            " ORDER BY annotator", (project.id,))]


def _conditions(project, f, query: str, audit_id: int | None) -> tuple[str, list[str], list[Any]]:
    """SQL joins, WHERE terms and parameters (joins' parameters first) for the filters."""
    joins, join_params = "", []
    where, params = ["r.project_id = ?"], [project.id]
    if query:
        where.append("r.id IN (SELECT rowid FROM records_fts WHERE records_fts MATCH ?)")
        params.append(query)
    if f.record_ids is not None:
        # one JSON parameter, whatever the selection's size (an Explore selection may hold thousands)
        where.append("r.id IN (SELECT value FROM json_each(?))")
        params.append(dumps([int(i) for i in f.record_ids]))
    if f.flagged:
        where.append(f"EXISTS (SELECT 1 FROM record_comments c WHERE c.record_id = r.id AND {OPEN_FLAG})")
    if f.label:
        if project.task == "classification":
            where.append("r.label = ?")
            params.append(dumps(f.label))
        elif project.task == "multilabel":
            where.append("EXISTS (SELECT 1 FROM json_each(r.label) j WHERE j.value = ?)")
            params.append(f.label)
        else:
            where.append("EXISTS (SELECT 1 FROM json_each(r.label) j WHERE json_extract(j.value, '$.label') = ?)")
            params.append(f.label)
    if f.annotator:
        where.append("instr(r.annotators, ?) > 0")
        params.append(f",{f.annotator},")
    if f.status == "excluded":
        where.append("r.excluded = 1")
    elif f.status:
        where.append("r.status = ?")
        params.append(f.status)
    if f.score_min is not None or f.score_max is not None:
        # no active model: nothing has a score, so nothing matches
        joins += " JOIN suggestions s ON s.record_id = r.id AND s.model_version_id = ?"
        join_params.append(project.active_model_version if project.active_model_version is not None else -1)
        if f.score_min is not None:
            where.append("s.score >= ?")
            params.append(float(f.score_min))
        if f.score_max is not None:
            where.append("s.score <= ?")
            params.append(float(f.score_max))
    if f.quality_max is not None:
        where.append("r.id IN (SELECT record_id FROM audit_issues WHERE audit_id = ? AND quality <= ?)")
        params += [audit_id if audit_id is not None else -1, float(f.quality_max)]
    return joins, where, join_params + params

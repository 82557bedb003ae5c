"""Search and filter a project's records, one page at a time.

Full-text search uses the ``records_fts`` FTS5 index; every other filter is a
column of ``records`` or a join on the active model's suggestions / the latest
audit. Only one page of rows (``LIMIT``/``OFFSET``) is ever loaded.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from workbench.errors import ValidationError
from workbench.store import dumps, loads

STATUSES = ("unlabelled", "labelled", "skipped", "excluded")
MAX_PAGE_SIZE = 200


@dataclass
class BrowseFilter:
    """What to show. Empty / None fields do not filter.

    Attributes
    ----------
    text : str
        Words to find (all of them, any order; a trailing ``*`` matches a prefix).
    label : str or None
        Records whose current human label is, or contains, this label.
    annotator : str or None
        Records this annotator currently has a label on.
    status : str or None
        One of :data:`STATUSES`.
    score_min, score_max : float or None
        Range of the active model's confidence in its suggestion (0..1).
    quality_max : float or None
        Only records in the latest audit with label quality <= this (lower = more
        likely mislabelled).
    """

    text: str = ""
    label: str | None = None
    annotator: str | None = None
    status: str | None = None
    score_min: float | None = None
    score_max: float | None = None
    quality_max: float | None = None

    def __post_init__(self) -> None:
        if self.status and self.status not in STATUSES:
            raise ValidationError(f"unknown status {self.status!r}; valid: {', '.join(STATUSES)}")
        for name in ("score_min", "score_max", "quality_max"):
            value = getattr(self, name)
            if value is not None and not 0.0 <= float(value) <= 1.0:
                raise ValidationError(f"{name} must be between 0 and 1, got {value!r}")


@dataclass
class BrowsePage:
    """One page of results: ``rows`` are dicts with the record columns plus
    ``score``/``suggested`` (active model) and ``quality`` (latest audit) when present."""

    rows: list[dict[str, Any]]
    total: int
    page: int
    page_size: int
    pages: int = field(init=False)

    def __post_init__(self) -> None:
        self.pages = max(1, math.ceil(self.total / self.page_size))


def fts_query(text: str) -> str:
    """Turn free text into a safe FTS5 query: every word quoted, all required.

    ``don't "panic"`` -> ``"don" "t" "panic"``; ``film*`` keeps its prefix star.
    """
    terms = []
    for word in re.findall(r"\w+\*?", text or ""):
        star = word.endswith("*")
        terms.append('"' + word.rstrip("*") + '"' + ("*" if star else ""))
    return " ".join(terms)


def browse(store, project, filters: BrowseFilter | None = None, *, page: int = 1, page_size: int = 25) -> BrowsePage:
    """Return page ``page`` (1-based) of the records matching ``filters``, in import order."""
    filters = filters or BrowseFilter()
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValidationError(f"page_size must be between 1 and {MAX_PAGE_SIZE}, got {page_size}")
    page = max(1, int(page))
    audit_id = store.latest_audit_id(project)
    joins, where, params = _conditions(project, filters, audit_id)
    base = f"FROM records r {joins} WHERE {' AND '.join(where)}"
    total = store.scalar(f"SELECT COUNT(*) {base}", params)
    rows = store.query(
        f"SELECT r.id, r.external_id, r.text, r.status, r.label, r.excluded, r.annotators, r.updated_at {base}"
        " ORDER BY r.id LIMIT ? OFFSET ?", (*params, page_size, (page - 1) * page_size))
    # Score and quality columns for this page only: a few indexed lookups, not a join over the table.
    ids = [row["id"] for row in rows]
    marks = ",".join("?" * len(ids))
    suggested: dict[int, dict[str, Any]] = {}
    quality: dict[int, float] = {}
    if ids and project.active_model_version is not None:
        suggested = {r["record_id"]: r for r in store.query(
            f"SELECT record_id, value, score FROM suggestions WHERE model_version_id = ? AND record_id IN ({marks})",
            (project.active_model_version, *ids))}
    if ids and audit_id is not None:
        quality = {r["record_id"]: r["q"] for r in store.query(
            f"SELECT record_id, MIN(quality) AS q FROM audit_issues WHERE audit_id = ? AND record_id IN ({marks})"
            " GROUP BY record_id", (audit_id, *ids))}
    for row in rows:
        row["label"] = loads(row["label"])
        hit = suggested.get(row["id"])
        row["suggested"] = loads(hit["value"]) if hit else None
        row["score"] = hit["score"] if hit else None
        row["quality"] = quality.get(row["id"])
        row["annotators"] = [a for a in row["annotators"].split(",") if a]
        row["excluded"] = bool(row["excluded"])
    return BrowsePage(rows, total, page, page_size)


def annotator_names(store, project) -> list[str]:
    """Everyone who has an annotation in the project, sorted."""
    return [r["annotator"] for r in store.query(
        "SELECT DISTINCT annotator FROM annotations WHERE project_id = ? ORDER BY annotator", (project.id,))]


def _conditions(project, f: BrowseFilter, audit_id: int | None) -> tuple[str, list[str], list[Any]]:
    """SQL joins, WHERE terms and parameters (joins' parameters first) for the filters."""
    joins, join_params = "", []
    where, params = ["r.project_id = ?"], [project.id]
    query = fts_query(f.text)
    if query:
        where.append("r.id IN (SELECT rowid FROM records_fts WHERE records_fts MATCH ?)")
        params.append(query)
    if f.label:
        if f.label not in project.labels:
            raise ValidationError(f"label {f.label!r} is not in the schema ({', '.join(project.labels)})")
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

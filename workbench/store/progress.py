"""Progress counts (Projects, Annotate and Progress pages): indexed columns and the annotation history."""

from __future__ import annotations

from typing import Any

from workbench.store.annotations import LABEL_KINDS, LIVE, PEOPLE_ONLY
from workbench.store.base import sql_list

_LABELLED = sql_list(LABEL_KINDS)
_PEOPLE = f"a.annotator NOT IN {PEOPLE_ONLY}"


class ProgressMixin:
    def labelled_count(self, project) -> tuple[int, int]:
        """(records with a current human label, all records) of a project."""
        row = self.one(
            "SELECT (SELECT COUNT(*) FROM records WHERE project_id = ? AND status = 'labelled') AS done,"
            " (SELECT COUNT(*) FROM records WHERE project_id = ?) AS total", (project.id, project.id))
        return row["done"], row["total"]

    def label_decisions_since(self, project, annotator: str, since: str) -> int:
        """Live label decisions (:data:`LABEL_KINDS`) of one annotator made at or after ``since`` (ISO time)."""
        return self.scalar(
            f"SELECT COUNT(*) FROM annotations a WHERE a.project_id = ? AND a.annotator = ? AND a.kind IN {_LABELLED}"
            f" AND a.created_at >= ? AND {LIVE}", (project.id, annotator, since))

    def annotator_counts(self, project) -> list[dict[str, Any]]:
        """Per person: ``labels`` (live label decisions), ``skips``, ``undos``, ``last_at``; system annotators left out."""
        return self.query(
            "SELECT a.annotator,"
            f" SUM(a.kind IN {_LABELLED} AND {LIVE}) AS labels,"
            f" SUM(a.kind = 'skip' AND {LIVE}) AS skips,"
            " SUM(a.kind = 'retract') AS undos,"
            " MAX(a.created_at) AS last_at"
            f" FROM annotations a WHERE a.project_id = ? AND {_PEOPLE}"
            " GROUP BY a.annotator ORDER BY labels DESC, a.annotator", (project.id,))

    def labels_per_period(self, project, prefix_length: int) -> list[dict[str, Any]]:
        """Live label decisions per (ISO-time prefix of ``prefix_length`` characters, person), oldest first."""
        return self.query(
            f"SELECT substr(a.created_at, 1, {int(prefix_length)}) AS period, a.annotator, COUNT(*) AS labels"
            f" FROM annotations a WHERE a.project_id = ? AND a.kind IN {_LABELLED} AND {LIVE}"
            f" AND {_PEOPLE} GROUP BY period, a.annotator ORDER BY period, a.annotator", (project.id,))

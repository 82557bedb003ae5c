"""Progress counts (Projects, Annotate and Progress pages): indexed columns and the annotation history."""

from __future__ import annotations

from typing import Any

from workbench.store.annotations import LABEL_KINDS, LIVE, PEOPLE_ONLY
from workbench.store.base import sql_list

_LABELLED = sql_list(LABEL_KINDS)
_PEOPLE = f"a.annotator NOT IN {PEOPLE_ONLY}"


class ProgressMixin:
    def labelled_count(self, project) -> tuple[int, int]:
        """(done records, all records): done = labelled by ``annotators_per_record`` people, or reviewed."""
        row = self.completion(project)
        return row["done"], row["total"]

    def completion(self, project) -> dict[str, int]:
        """``done`` (enough labels or reviewed), ``partial`` (some labels, fewer than needed), ``total``.

        Three indexed counts (``records_partial`` holds the labelled records, ``records_reviewed`` the
        reviewed ones), not a scan: the Annotate panel reads this after every label.
        """
        need = int(project.settings.annotators_per_record)
        pid = project.id
        total = self.scalar("SELECT COUNT(*) FROM records WHERE project_id = ?", (pid,))
        enough = self.scalar("SELECT COUNT(*) FROM records WHERE project_id = ? AND n_labellers > 0"
                             " AND n_labellers >= ?", (pid, need))
        fewer = self.scalar("SELECT COUNT(*) FROM records WHERE project_id = ? AND n_labellers > 0"
                            " AND n_labellers < ? AND reviewed = 0", (pid, need))
        reviewed_short = self.scalar("SELECT COUNT(*) FROM records WHERE project_id = ? AND reviewed = 1"
                                     " AND n_labellers < ?", (pid, need))
        return {"total": total, "done": enough + reviewed_short, "partial": fewer}

    def label_times(self, project) -> list[dict[str, Any]]:
        """(annotator, created_at) of every live label decision a person made one at a time, by annotator then
        time (speed): bulk labels and labels pulled from Argilla say nothing about seconds per label."""
        return self.query(
            f"SELECT a.annotator, a.created_at FROM annotations a WHERE a.project_id = ? AND a.kind IN {_LABELLED}"
            f" AND {LIVE} AND {_PEOPLE} AND a.source = 'workbench' ORDER BY a.annotator, a.id", (project.id,))

    def records_labelled_since(self, project, annotator: str, since: str) -> int:
        """Distinct records one annotator gave a live label at or after ``since`` (ISO time): five span edits
        on one NER record count once."""
        return self.scalar(
            f"SELECT COUNT(DISTINCT a.record_id) FROM annotations a WHERE a.project_id = ? AND a.annotator = ?"
            f" AND a.kind IN {_LABELLED} AND a.created_at >= ? AND {LIVE}", (project.id, annotator, since))

    def annotator_counts(self, project) -> list[dict[str, Any]]:
        """Per person: ``records`` (distinct records they labelled), ``decisions`` (every live label decision,
        corrections and span edits included), ``skips``, ``undos``, ``last_at``; system annotators left out."""
        return self.query(
            "SELECT a.annotator,"
            f" COUNT(DISTINCT CASE WHEN a.kind IN {_LABELLED} AND {LIVE} THEN a.record_id END) AS records,"
            f" SUM(a.kind IN {_LABELLED} AND {LIVE}) AS decisions,"
            f" SUM(a.kind = 'skip' AND {LIVE}) AS skips,"
            " SUM(a.kind = 'retract') AS undos,"
            " MAX(a.created_at) AS last_at"
            f" FROM annotations a WHERE a.project_id = ? AND {_PEOPLE}"
            " GROUP BY a.annotator ORDER BY records DESC, a.annotator", (project.id,))

    def labels_per_period(self, project, prefix_length: int) -> list[dict[str, Any]]:
        """Distinct records labelled per (ISO-time prefix of ``prefix_length`` characters, person), oldest first."""
        return self.query(
            f"SELECT substr(a.created_at, 1, {int(prefix_length)}) AS period, a.annotator,"
            " COUNT(DISTINCT a.record_id) AS records"
            f" FROM annotations a WHERE a.project_id = ? AND a.kind IN {_LABELLED} AND {LIVE}"
            f" AND {_PEOPLE} GROUP BY period, a.annotator ORDER BY period, a.annotator", (project.id,))

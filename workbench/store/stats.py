"""Dataset statistics in SQL (the Progress page): text lengths, label co-occurrence, NER spans.

Each is one aggregate query; nothing loads the records into Python.
"""

from __future__ import annotations

from typing import Any

_LABELLED = "r.project_id = ? AND r.status = 'labelled' AND r.label IS NOT NULL"


class StatsMixin:
    def text_lengths(self, project, bins: int = 30) -> dict[str, Any]:
        """Text length in characters: ``rows`` of (``start``, ``end``, ``records``) in ``bins`` equal bins, and
        ``min``/``median``/``max``."""
        row = self.one("SELECT MIN(length(text)) AS lo, MAX(length(text)) AS hi, COUNT(*) AS n FROM records"
                       " WHERE project_id = ?", (project.id,))
        if not row or not row["n"]:
            return {"rows": [], "min": 0, "median": 0, "max": 0}
        lo, hi = int(row["lo"]), int(row["hi"])
        width = max(1, -(-(hi - lo + 1) // bins))  # ceil
        rows = self.query("SELECT (length(text) - ?) / ? AS b, COUNT(*) AS records FROM records WHERE project_id = ?"
                          " GROUP BY b ORDER BY b", (lo, width, project.id))
        median = self.scalar("SELECT length(text) FROM records WHERE project_id = ? ORDER BY length(text)"
                             " LIMIT 1 OFFSET ?", (project.id, (int(row["n"]) - 1) // 2))
        return {"rows": [{"start": lo + r["b"] * width, "end": lo + (r["b"] + 1) * width - 1,
                          "records": r["records"]} for r in rows],
                "min": lo, "median": int(median), "max": hi}

    def label_cooccurrence(self, project) -> list[dict[str, Any]]:
        """Multi-label: records whose current label holds both ``a`` and ``b`` (``a == b``: holds ``a``)."""
        return self.query(
            "SELECT x.value AS a, y.value AS b, COUNT(*) AS records FROM records r, json_each(r.label) x,"
            f" json_each(r.label) y WHERE {_LABELLED} GROUP BY x.value, y.value", (project.id,))

    def span_stats(self, project) -> list[dict[str, Any]]:
        """NER: current spans per (``label``, ``length`` in characters) with their ``spans`` count."""
        # "entity", not "label": GROUP BY label would group by the records' label column
        rows = self.query(
            "SELECT json_extract(j.value, '$.label') AS entity,"
            " json_extract(j.value, '$.end') - json_extract(j.value, '$.start') AS span_length, COUNT(*) AS spans"
            f" FROM records r, json_each(r.label) j WHERE {_LABELLED} GROUP BY entity, span_length"
            " ORDER BY entity, span_length", (project.id,))
        return [{"label": r["entity"], "length": r["span_length"], "spans": r["spans"]} for r in rows]

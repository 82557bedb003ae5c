"""The review step: records whose annotators disagree, a reviewer's final label, per-annotator figures.

A review is an ordinary append-only annotation row of kind ``review`` by the reviewer: it becomes
the record's label whatever the annotators said (and wins in exports), the annotators' own rows
stay untouched, and undo retracts it like any decision.
"""

from __future__ import annotations

import statistics
from datetime import datetime
from typing import Any

from services.agreement import hashable as _key
from services.agreement import labels_by_record
from workbench.errors import ValidationError
from workbench.registry import one_of
from workbench.types import check_annotator

#: which records the Review page lists
SHOWS = ("disagreements", "all", "reviewed")
#: gaps longer than this between two labels are breaks, not labelling time
MAX_GAP_S = 600.0


def review_items(store, project, *, show: str = "disagreements", annotator: str | None = None,
                 limit: int = 50, offset: int = 0, by_record: dict[int, dict[str, Any]] | None = None,
                 ) -> tuple[int, list[dict[str, Any]]]:
    """(total, one page) of labelled records to review, oldest first.

    ``show``: ``disagreements`` (two or more people, different labels, not reviewed yet), ``all``
    (every labelled record not reviewed yet) or ``reviewed``. ``annotator`` keeps records they labelled.
    Each item: ``record_id``, ``text``, ``labels`` ({annotator: value}), ``reviewed``, ``final``.
    ``by_record``: :func:`services.agreement.labels_by_record`, when the caller has it already.
    """
    one_of(show, SHOWS, "review list")
    by_record = labels_by_record(store, project) if by_record is None else by_record
    reviewed = store.reviewed_ids(project)
    ids = []
    for rid in sorted(set(by_record) | reviewed):
        ratings = by_record.get(rid, {})
        if annotator and annotator not in ratings:
            continue
        if show == "reviewed" and rid in reviewed:
            ids.append(rid)
        elif show != "reviewed" and rid not in reviewed and ratings and (
                show == "all" or (len(ratings) >= 2 and len({repr(_key(v)) for v in ratings.values()}) > 1)):
            ids.append(rid)
    page = ids[offset:offset + limit]
    records = {r.id: r for r in store.get_records(page)}
    return len(ids), [{"record_id": rid, "text": records[rid].text, "labels": by_record.get(rid, {}),
                       "reviewed": records[rid].reviewed, "final": records[rid].label if records[rid].reviewed else None}
                      for rid in page if rid in records]


def accept(store, project, record_id: int, reviewer: str, value: Any) -> int:
    """Store ``value`` as the record's final label (a ``review`` row by ``reviewer``); return the row id."""
    return store.annotate(project, int(record_id), check_annotator(reviewer), "review", value)


def annotator_figures(store, project, consensus: dict[int, dict[str, Any]] | None = None, *,
                      by_record: dict[int, dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Per person: ``labels``, agreement with the consensus and with reviews (share of their labels equal to
    it, on records where it exists and another person also labelled), and ``seconds_per_label`` (median gap
    between their consecutive labels, breaks over :data:`MAX_GAP_S` left out). None where not measurable."""
    by_record = labels_by_record(store, project) if by_record is None else by_record
    finals = store.reviewed_labels(project)
    people = sorted({a for ratings in by_record.values() for a in ratings})
    speed = _speeds(store.label_times(project))
    out = []
    for person in people:
        mine = {rid: ratings[person] for rid, ratings in by_record.items() if person in ratings}
        with_consensus = [(v, consensus[rid]["label"]) for rid, v in mine.items()
                          if consensus and rid in consensus and len(by_record[rid]) >= 2]
        with_review = [(v, finals[rid]) for rid, v in mine.items() if rid in finals]
        out.append({"annotator": person, "labels": len(mine),
                    "agreement_with_consensus": _share(with_consensus), "vs_consensus": len(with_consensus),
                    "agreement_with_review": _share(with_review), "vs_review": len(with_review),
                    "seconds_per_label": speed.get(person)})
    return out


def _share(pairs: list[tuple[Any, Any]]) -> float | None:
    return sum(_key(a) == _key(b) for a, b in pairs) / len(pairs) if pairs else None


def _speeds(rows: list[dict[str, Any]]) -> dict[str, float]:
    gaps: dict[str, list[float]] = {}
    last: dict[str, datetime] = {}
    for row in rows:
        try:
            at = datetime.fromisoformat(row["created_at"])
        except ValueError as exc:
            raise ValidationError(f"annotation time {row['created_at']!r} is not ISO 8601") from exc
        before = last.get(row["annotator"])
        if before is not None and 0 <= (gap := (at - before).total_seconds()) <= MAX_GAP_S:
            gaps.setdefault(row["annotator"], []).append(gap)
        last[row["annotator"]] = at
    return {person: statistics.median(values) for person, values in gaps.items()}

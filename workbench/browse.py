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
from workbench.registry import one_of

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
    record_ids : tuple of int or None
        Only these records (a selection made on the Explore map).
    flagged : bool
        Only records with an open "unsure" flag.
    """

    text: str = ""
    label: str | None = None
    annotator: str | None = None
    status: str | None = None
    score_min: float | None = None
    score_max: float | None = None
    quality_max: float | None = None
    record_ids: tuple[int, ...] | None = None
    flagged: bool = False

    def __post_init__(self) -> None:
        if self.status:
            one_of(self.status, STATUSES, "status")
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
    if filters.label and filters.label not in project.labels:
        raise ValidationError(f"label {filters.label!r} is not in the schema ({', '.join(project.labels)})")
    page = max(1, int(page))
    rows, total = store.browse_records(project, filters, fts_query(filters.text), offset=(page - 1) * page_size,
                                       limit=page_size)
    return BrowsePage(rows, total, page, page_size)


def annotator_names(store, project) -> list[str]:
    """Everyone (no system annotator) who has an annotation in the project, sorted."""
    return store.annotator_names(project)

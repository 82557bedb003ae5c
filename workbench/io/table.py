"""What every reader returns: an opened file streaming numbered rows."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

#: 1-based line/row number and the row's values, streamed
Rows = Iterator[tuple[int, dict[str, Any]]]
BATCH = 1000


@dataclass
class Table:
    """An opened data file.

    Attributes
    ----------
    columns : list of str or None
        Column names known up front (CSV header, Parquet/HF schema); None for
        formats where each row may differ (JSONL), which are checked per row.
    rows : iterator of (int, dict)
        1-based line/row number and the row's values, streamed.
    unit : str
        What the numbers count, for messages: ``"line"`` or ``"row"``.
    """

    columns: list[str] | None
    rows: Rows
    unit: str = "line"
    label_hint: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def close(self) -> None:
        """Release the file even when the rows were never (fully) read."""
        for it in (self.rows, self.extra.get("lines")):
            close = getattr(it, "close", None)
            if close is not None:
                close()


# -- plumbing ------------------------------------------------------------

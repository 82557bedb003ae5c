"""From a raw file row to what the importer stores: columns resolved once, each row mapped and validated."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from workbench.errors import DataFileError, ValidationError
from workbench.io.table import Table
from workbench.io.values import check_text, json_safe
from workbench.types import validate_value

PROVENANCE_COLUMNS = ("annotator", "annotated_at", "label_source", "ner_tags")
#: Label column picked when ``label_col`` is None, by task, first present wins.
LABEL_COLUMNS = {
    "classification": ("label", "labels"),
    "multilabel": ("labels", "label"),
    "ner": ("spans", "label", "labels"),
}


@dataclass
class Mapping:
    """Which file column feeds which record field (None = not in the file)."""

    text: str
    label: str | None
    id: str | None
    split: str | None
    meta: list[str] | None  # None: every other column


def resolve_columns(source, project, table: Table, text_col, label_col, id_col, meta_cols, split_col) -> Mapping:
    """Check the requested columns exist (when the format has a header) and fill defaults."""
    cols = table.columns
    if label_col is None:
        candidates = ((table.label_hint,) if table.label_hint else ()) + LABEL_COLUMNS[project.task]
        if cols is not None:
            label_col = next((c for c in candidates if c in cols), None)
        else:
            label_col = "?auto"  # decided per row for JSON lines
    if cols is not None:
        if id_col is None and "id" in cols:
            id_col = "id"
        if split_col is None and "split" in cols:
            split_col = "split"
        wanted = [("text", text_col), ("label", label_col), ("id", id_col), ("split", split_col)]
        wanted += [("metadata", m) for m in (meta_cols or [])]
        for role, name in wanted:
            if name is not None and name not in cols:
                flag = {"text": "--text-col", "label": "--label-col", "id": "--id-col", "split": "split_col",
                        "metadata": "--meta-cols"}[role]
                raise DataFileError(
                    source, 1 if table.unit == "line" else None,
                    f"missing {role} column {name!r}; columns present: {', '.join(cols) or '(none)'}; "
                    f"pick the right one with {flag}",
                )
    return Mapping(text=text_col, label=label_col, id=id_col, split=split_col,
                    meta=None if meta_cols is None else list(meta_cols))


def map_row(source, project, m: Mapping, line: int, raw: dict[str, Any], unit: str):
    """Turn a raw row into (text, external id, meta, split, label value or None); raise on bad data."""
    where = line if unit == "line" else None
    prefix = "" if unit == "line" else f"row {line}: "

    def fail(problem: str):
        raise DataFileError(source, where, prefix + problem)

    if m.text not in raw:
        fail(f"missing text column {m.text!r}; keys present: {', '.join(map(str, raw)) or '(none)'}; "
             "pick the right one with --text-col")
    text = raw[m.text]
    if text is None or (isinstance(text, str) and not text.strip()):
        fail(f"text is empty; every row needs a non-empty {m.text!r} value (fill it in or remove the row)")
    if not isinstance(text, str):
        fail(f"text must be a string, found {type(text).__name__} {str(text)[:40]!r}")
    label_col = m.label
    if label_col == "?auto":
        label_col = next((c for c in LABEL_COLUMNS[project.task] if c in raw), None)
        if "spans" in raw and project.task == "ner":
            label_col = "spans"
    label = _parse_label(project, raw.get(label_col) if label_col else None, text, fail)
    external = raw.get(m.id) if m.id else (raw.get("id") if m.id is None and "id" in raw else None)
    split = raw.get(m.split) if m.split else (raw.get("split") if m.split is None and "split" in raw else None)
    taken = {m.text, label_col, m.id or "id", m.split or "split"}
    if m.meta is None:
        meta = {k: v for k, v in raw.items() if k not in taken and k not in PROVENANCE_COLUMNS}
    else:
        # Header formats were checked up front; a JSON line may simply lack an optional key.
        meta = {k: raw[k] for k in m.meta if k in raw}
    try:
        check_text(text, "the text")
        meta = json_safe(meta)
        external = None if external in (None, "") else check_text(_short_str(external), "the id")
        split = None if split in (None, "") else check_text(_short_str(split), "the split")
    except ValueError as exc:
        fail(str(exc))
    return text, external, meta, split, label


def _short_str(value: Any) -> str:
    """An id or split cell as text (ints of any size, no float formatting surprises)."""
    return value if isinstance(value, str) else str(value)


def _parse_label(project, value: Any, text: str, fail) -> Any:
    """Decode and validate one label cell; None means the row has no label."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    task = project.task
    if isinstance(value, str):
        stripped = value.strip()
        if task == "ner" or (task == "multilabel" and stripped.startswith("[")):
            try:
                value = json.loads(stripped)
            except json.JSONDecodeError as exc:
                fail(f"label {stripped[:40]!r} is not valid JSON ({exc.msg}); "
                     + ("write spans as a JSON list of {start, end, label}" if task == "ner"
                        else "write a JSON list or names separated by '|'"))
        elif task == "multilabel":
            value = [v.strip() for v in stripped.split("|") if v.strip()]
        else:
            value = stripped
    elif task == "classification" and isinstance(value, (int, float)) and not isinstance(value, bool):
        # label names that are numbers: 3 and 3.0 both mean "3"; never float() a 400-digit int
        value = str(value) if isinstance(value, int) else (str(int(value)) if value.is_integer() else str(value))
    try:
        return validate_value(task, project.labels, value, text)
    except ValidationError as exc:
        if task == "ner":
            fail(f"{exc}; spans are character offsets into the text, end exclusive, not overlapping")
        fail(f"{exc}; fix the row or add the label to the project's schema")

"""Edit a project's label schema without losing work.

Rename and merge rewrite every current label that uses the old name, in one
transaction: each affected record gets an appended ``relabel`` row from the
annotator ``"schema"`` (pointing at the row it rewrites), so the history keeps
the old value and undo semantics stay append-only. Reference labels and the
suggestions' values are rewritten in place (they are not history).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from workbench.errors import ValidationError
from workbench.store import dumps, loads
from workbench.types import check_labels

SCHEMA_ANNOTATOR = "schema"


def add_label(store, project, name: str):
    """Append a label to the schema; return the updated project."""
    return store.update_project(project, labels=[*project.labels, name])


def reorder_labels(store, project, order: Sequence[str]):
    """Put the labels in ``order`` (a permutation of the schema); return the updated project.

    The order is the column order of model probabilities and of the label keys.
    """
    order = check_labels(order)
    if sorted(order) != sorted(project.labels):
        raise ValidationError(f"a new order must list exactly the labels {', '.join(project.labels)}; "
                              f"got {', '.join(order)}")
    return store.update_project(project, labels=order)


def rename_label(store, project, old: str, new: str):
    """Rename ``old`` to ``new`` everywhere; return the updated project.

    Raises
    ------
    ValidationError
        If ``old`` is not in the schema or ``new`` already is.
    """
    _require(project, old)
    new = (new or "").strip()
    if new in project.labels:
        raise ValidationError(f"label {new!r} already exists; to combine two labels use merge")
    labels = [new if label == old else label for label in project.labels]
    return _rewrite(store, project, labels, {old: new})


def merge_labels(store, project, source: str, target: str):
    """Merge ``source`` into ``target`` (``source`` disappears); return the updated project."""
    _require(project, source)
    _require(project, target)
    if source == target:
        raise ValidationError("pick two different labels to merge")
    labels = [label for label in project.labels if label != source]
    return _rewrite(store, project, labels, {source: target})


def set_guidelines(store, project, text: str):
    return store.update_project(project, guidelines=text or "")


# -- internals ----------------------------------------------------------------
def _require(project, label: str) -> None:
    if label not in project.labels:
        raise ValidationError(f"label {label!r} is not in the schema ({', '.join(project.labels)})")


def _rewrite(store, project, labels: list[str], mapping: dict[str, str]):
    convert = _converter(project.task, labels, mapping)
    pattern = [f"%{dumps(old)}%" for old in mapping]  # JSON-quoted name: a cheap pre-filter, checked in Python
    like = " OR ".join("label LIKE ?" for _ in pattern)
    with store.atomic():
        updated = store.update_project(project, labels=labels)
        for row in store.query(f"SELECT id, label FROM records WHERE project_id = ? AND ({like})",
                               (project.id, *pattern)):
            value = loads(row["label"])
            new_value = convert(value)
            if new_value == value:
                continue
            last = store.scalar("SELECT id FROM annotations WHERE record_id = ? AND kind IN ('label','relabel')"
                                " ORDER BY id DESC LIMIT 1", (row["id"],))
            store.annotate(updated, row["id"], SCHEMA_ANNOTATOR, "relabel", new_value, target_id=last)
        reference_like = like.replace("label LIKE", "value LIKE")
        for table, key in (("reference_labels", "record_id"), ("suggestions", "id")):
            for row in store.query(f"SELECT {key} AS k, value FROM {table} WHERE project_id = ? AND ({reference_like})",
                                   (project.id, *pattern)):
                new_value = convert(loads(row["value"]))
                store.execute(f"UPDATE {table} SET value = ? WHERE {key} = ?", (dumps(new_value), row["k"]))
    return updated


def _converter(task: str, labels: list[str], mapping: dict[str, str]) -> Callable[[Any], Any]:
    def one(name: Any) -> Any:
        return mapping.get(name, name) if isinstance(name, str) else name

    if task == "classification":
        return one
    if task == "multilabel":
        def many(value: Any) -> Any:
            chosen = {one(v) for v in value or []}
            return [label for label in labels if label in chosen]  # schema order, merged duplicates once
        return many

    def spans(value: Any) -> Any:
        return [{**s, "label": one(s.get("label"))} for s in value or []]
    return spans

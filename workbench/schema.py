"""Edit a project's label schema without losing work.

Rename and merge rewrite every label that uses the old name, every annotator's,
in one transaction: each affected label row gets an appended ``relabel`` row from
the annotator ``"schema"`` pointing at it. That row rewrites the one it targets
(:func:`workbench.store.annotations.effective_labels`), so the history keeps the
old value, and undoing the person's label also undoes its rename. Reference labels and the
suggestions' values are rewritten in place (they are not history).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from workbench.errors import ValidationError
from workbench.types import SCHEMA_ANNOTATOR, check_labels


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
    with store.atomic():
        updated = store.update_project(project, labels=labels)
        # a rewrite per counting label row, every annotator's (agreement must not see a removed label)
        for row, value in store.label_rows_mentioning(project, list(mapping)):
            new_value = convert(value)
            if new_value != value:
                store.annotate(updated, row.record_id, SCHEMA_ANNOTATOR, "relabel", new_value, target_id=row.id)
        store.rewrite_stored_values(project, list(mapping), convert)
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

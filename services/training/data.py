"""What trains, what evaluates, what is the pool: the three record sets of a round."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services import active_learning as al

EVAL_SHARE_MOD = 5  # hash-based held-out share: 1 in 5 reference-labelled records


@dataclass
class Rows:
    """Parallel lists of record ids, texts and (for labelled sets) label values."""

    ids: list[int]
    texts: list[str]
    values: list[Any]

    def __len__(self) -> int:
        return len(self.ids)


def eval_ids(store, project) -> set[int]:
    """Held-out record ids: ``split == 'test'`` records with a reference label if any exist,
    else a deterministic hash-based 20% of the reference-labelled records."""
    test = store.referenced_records(project, split="test")
    if test:
        return {rid for rid, _ in test}
    # uid is a content hash, so membership does not change when records are added
    return {rid for rid, uid in store.referenced_records(project) if int(uid[:8], 16) % EVAL_SHARE_MOD == 0}


def eval_split(store, project, held_out: set[int] | None = None) -> Rows:
    """Held-out records with their reference labels (never trained on)."""
    held_out = eval_ids(store, project) if held_out is None else held_out
    refs = store.reference_labels(project.id, sorted(held_out)) if held_out else {}
    recs = store.get_records(sorted(refs))
    return Rows([r.id for r in recs], [r.text for r in recs], [refs[r.id] for r in recs])


def training_rows(store, project, held_out: set[int]) -> Rows:
    """Current human labels of non-excluded records outside the held-out set."""
    ids, texts, values = [], [], []
    for rec in store.iter_records(project.id, where="status = 'labelled' AND excluded = 0"):
        if rec.id not in held_out:
            ids.append(rec.id)
            texts.append(rec.text)
            values.append(rec.label)
    return Rows(ids, texts, values)


def pool_rows(store, project, held_out: set[int]) -> Rows:
    """Records that may be suggested and queued: not labelled, not excluded, not held out."""
    pairs = [(rid, text) for rid, text in store.pool_records(project) if rid not in held_out]
    return Rows([rid for rid, _ in pairs], [text for _, text in pairs], [None] * len(pairs))


def label_counts(project, values: list[Any]) -> dict[str, int]:
    counts = {label: 0 for label in project.labels}
    for v in values:
        if project.task == "classification":
            counts[v] = counts.get(v, 0) + 1
        elif project.task == "multilabel":
            for label in v:
                counts[label] = counts.get(label, 0) + 1
    return counts


def in_cold_start(project, rows: Rows) -> bool:
    """Classification: some class has fewer than 2 labels; other tasks: fewer than 2 labelled records."""
    if project.task == "classification":
        return al.needs_cold_start(label_counts(project, rows.values), project.labels)
    return len(rows) < 2


def cold_start_reason(project, rows: Rows) -> str | None:
    """Why the next round is still a cold start (zero-shot suggestions, diverse picks), or None when it is not.

    Example: ``"rotten has 1 label and plot has 0; every label needs 2 before a model is trained"``.
    """
    if not in_cold_start(project, rows):
        return None
    if project.task != "classification":
        return f"{len(rows)} labelled record(s); a model is trained from 2"
    counts = label_counts(project, rows.values)
    short = [f"{label} has {counts.get(label, 0)} label{'' if counts.get(label, 0) == 1 else 's'}"
             for label in project.labels if counts.get(label, 0) < 2]
    shown = ", ".join(short[:4]) + (f" and {len(short) - 4} more labels need more" if len(short) > 4 else "")
    return f"{shown}; every label needs 2 before a model is trained"

"""Task types, label values and their validation.

A label *value* is stored as JSON and its shape depends on the task:

- ``classification``: one label name, ``"fresh"``;
- ``multilabel``: a list of label names, ``["sports", "politics"]`` (may be empty);
- ``ner``: a list of spans ``[{"start": 0, "end": 5, "label": "person"}]`` with
  character offsets into the record text, ``end`` exclusive, sorted, not overlapping.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from workbench.errors import ValidationError
from workbench.registry import one_of

Task = Literal["classification", "multilabel", "ner"]
TASKS: tuple[str, ...] = ("classification", "multilabel", "ner")

#: Kinds of annotation row. ``label``/``relabel`` set the label, ``retract``
#: undoes an earlier row (``target_id``), ``skip`` hides a record from one
#: annotator, ``exclude`` drops it from curated exports, ``keep`` confirms a
#: flagged label, ``ambiguous`` marks it as unclear after an audit and ``review`` is a reviewer's
#: final label (it wins over every annotator's label, in the record's state and in exports).
ANNOTATION_KINDS: tuple[str, ...] = (
    "label", "skip", "retract", "relabel", "exclude", "keep", "ambiguous", "review",
)
#: ``consensus``: CROWDLAB's consensus of the annotators' labels (a review still wins)
LABEL_SOURCES: tuple[str, ...] = ("annotations", "reference", "curated", "consensus")
#: Pseudo-annotators that write rows on behalf of a system action (``schema``: label renames
#: and merges). They are not people: progress, agreement, the browse annotator filter and
#: export provenance leave them out.
SCHEMA_ANNOTATOR = "schema"
SYSTEM_ANNOTATORS: tuple[str, ...] = (SCHEMA_ANNOTATOR,)

#: ``progress(fraction, message)``: the one progress-callback type of jobs, imports and training
#: (``fraction`` in [0, 1]).
ProgressFn = Callable[[float, str], None]
#: id of a row of ``model_versions`` (the same type in the store, jobs, audits and the UI)
ModelVersionId = int
MAX_LABEL_LEN = 100


@dataclass(frozen=True)
class Span:
    """A labelled character span; ``end`` is exclusive."""

    start: int
    end: int
    label: str

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "label": self.label}


def _shown(value: Any, limit: int = 60) -> str:
    """A value quoted for a message, cut short (a 400-digit number or a huge dict stays readable)."""
    text = repr(value) if not isinstance(value, int) or value.bit_length() < 200 else f"<{len(str(value))}-digit number>"
    return text if len(text) <= limit else text[:limit] + "..."


def check_task(task: str) -> str:
    """Return ``task`` if valid, else raise listing the valid tasks."""
    return one_of(task, TASKS, "task")


def check_annotator(annotator: str | None) -> str:
    """Return the trimmed annotator name; raise if it is empty."""
    annotator = (annotator or "").strip()
    if not annotator:
        raise ValidationError("annotator name must not be empty; sign in, or pass --annotator")
    return annotator


def check_labels(labels: Sequence[str]) -> list[str]:
    """Validate an ordered label schema: non-empty, unique, trimmed names."""
    if isinstance(labels, str):
        labels = [p for p in labels.split(",")]
    cleaned = [str(label).strip() for label in labels]
    if not cleaned or any(not label for label in cleaned):
        raise ValidationError("labels must be a non-empty list of non-empty names, e.g. 'pos,neg'")
    too_long = [label for label in cleaned if len(label) > MAX_LABEL_LEN]
    if too_long:
        raise ValidationError(f"label {too_long[0][:20]!r}... is longer than {MAX_LABEL_LEN} characters")
    seen: set[str] = set()
    dupes = [label for label in cleaned if label in seen or seen.add(label)]
    if dupes:
        raise ValidationError(f"duplicate label {dupes[0]!r} in schema; label names must be unique")
    return cleaned


def text_hash(text: str) -> str:
    """Stable 16-hex-digit content hash of a text (sha1 of its UTF-8 bytes)."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def validate_value(task: str, labels: Sequence[str], value: Any, text: str | None = None) -> Any:
    """Check a label value against the task and schema and return it normalised.

    Parameters
    ----------
    task : str
        One of :data:`TASKS`.
    labels : sequence of str
        The project's label schema.
    value : str, list of str, or list of span dicts
        The label value (shape depends on ``task``, see module docstring).
    text : str, optional
        Record text; needed to bound-check NER spans.

    Returns
    -------
    str, list of str, or list of dict
        Multi-label values are ordered as in ``labels``; spans are sorted by start.

    Raises
    ------
    ValidationError
        If the value does not fit the task or schema.
    """
    check_task(task)
    allowed = set(labels)
    if task == "classification":
        if isinstance(value, list) and len(value) == 1:
            value = value[0]
        if not isinstance(value, str):
            raise ValidationError(f"a label must be a name (text), found {type(value).__name__} {_shown(value)}")
        if value not in allowed:
            raise ValidationError(f"label {_shown(value)} is not in the schema ({', '.join(labels)})")
        return value
    if task == "multilabel":
        if isinstance(value, str):
            value = [v for v in (p.strip() for p in value.split(",")) if v]
        if not isinstance(value, (list, tuple)):
            raise ValidationError(f"multi-label value must be a list of labels, got {_shown(value)}")
        not_names = [v for v in value if not isinstance(v, str)]
        if not_names:
            raise ValidationError(f"labels must be names (text), found {type(not_names[0]).__name__} "
                                  f"{_shown(not_names[0])}")
        unknown = [v for v in value if v not in allowed]
        if unknown:
            raise ValidationError(f"label {_shown(unknown[0])} is not in the schema ({', '.join(labels)})")
        chosen = set(value)
        return [label for label in labels if label in chosen]
    return [s.to_dict() for s in validate_spans(value, labels, text)]


def validate_spans(spans: Any, labels: Sequence[str], text: str | None) -> list[Span]:
    """Validate NER spans: known labels, within ``text``, non-empty, not overlapping."""
    if not isinstance(spans, (list, tuple)):
        raise ValidationError(f"spans must be a list of {{start, end, label}} objects, got {spans!r}")
    allowed = set(labels)
    out: list[Span] = []
    for s in spans:
        if isinstance(s, Span):
            s = s.to_dict()
        if not isinstance(s, dict) or not {"start", "end", "label"} <= set(s):
            raise ValidationError(f"span {_shown(s)} must have start, end and label")
        start, end = s["start"], s["end"]
        # no silent coercion: 0.5, true or "3" are not character offsets
        if not all(isinstance(x, int) and not isinstance(x, bool) for x in (start, end)):
            raise ValidationError(f"span {_shown(s)}: start and end must be whole numbers (character offsets)")
        if not isinstance(s["label"], str) or s["label"] not in allowed:
            raise ValidationError(f"span label {_shown(s['label'])} is not in the schema ({', '.join(labels)})")
        if start < 0 or end <= start or (text is not None and end > len(text)):
            size = "?" if text is None else len(text)
            raise ValidationError(f"span {start}-{end} is out of bounds for a text of {size} characters")
        out.append(Span(start, end, str(s["label"])))
    out.sort(key=lambda sp: (sp.start, sp.end))
    for a, b in zip(out, out[1:]):
        if b.start < a.end:
            raise ValidationError(f"spans {a.start}-{a.end} and {b.start}-{b.end} overlap; NER spans must not overlap")
    return out

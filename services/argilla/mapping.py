"""Project ↔ Argilla dataset: the settings, the schema check, and records ↔ JSON.

| workbench | Argilla |
|---|---|
| project | one dataset (name = project name by default) in a workspace (default ``workbench``) |
| record text | ``TextField`` ``text`` (sent once: spans depend on it) |
| classification / multilabel / ner | ``LabelQuestion`` / ``MultiLabelQuestion`` / ``SpanQuestion`` named ``label`` |
| record id | record ``external_id`` (the server's UUID is kept in ``argilla_records``) |
| split, record meta, AL score, audit | metadata properties (terms / integer / float) |
| active model's suggestion | ``Suggestion(value, score, agent="<adapter>-v<version>")`` |
| flagged audit entry | the given label as suggestion from agent ``given-label``; the model's in ``model_label`` |
| sentence vector | ``VectorField`` ``embedding`` ("Find similar") |
| guidelines / ``annotators_per_record`` | dataset guidelines / task distribution ``min_submitted`` |
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Any

from workbench.errors import ArgillaError

TEXT_FIELD = "text"
QUESTION = "label"
VECTOR = "embedding"
GIVEN_LABEL_AGENT = "given-label"
#: Argilla's limit on the options of one question
MAX_LABELS = 500
#: metadata the workbench itself fills: name -> type
OWN_METADATA = {"split": "terms", "al_score": "float", "label_quality": "float", "audit_flag": "terms",
                "model_label": "terms", "model_score": "float"}
QUESTION_TYPES = {"classification": "label_selection", "multilabel": "multi_label_selection", "ner": "span"}
_NAME = re.compile(r"[^a-z0-9_-]+")
MAX_META_KEYS = 50


def metadata_name(key: str) -> str | None:
    """A record meta key as an Argilla metadata property name (lower-case, ``[a-z0-9_-]``), or None."""
    name = _NAME.sub("_", str(key).strip().lower()).strip("_")[:200]
    return name if re.search(r"[a-z0-9]", name) and name not in OWN_METADATA else None


def meta_types(metas: Iterable[dict[str, Any]]) -> dict[str, tuple[str, str]]:
    """Infer one metadata property per record meta key: property name -> (meta key, terms|integer|float).

    A key whose values mix numbers and text is ``terms``; nested values (lists, objects) are not sent.
    """
    seen: dict[str, set[str]] = {}
    for meta in metas:
        for key, value in (meta or {}).items():
            kinds = seen.setdefault(key, set())
            if isinstance(value, bool) or isinstance(value, str):
                kinds.add("terms")
            elif isinstance(value, int):
                kinds.add("integer")
            elif isinstance(value, float):
                kinds.add("float")
            elif value is not None:
                kinds.add("nested")
    out: dict[str, tuple[str, str]] = {}
    for key, kinds in sorted(seen.items()):
        name = metadata_name(key)
        if name is None or name in out or "nested" in kinds or not kinds or len(out) >= MAX_META_KEYS:
            continue
        kind = "terms" if "terms" in kinds else ("float" if "float" in kinds else "integer")
        out[name] = (key, kind)
    return out


def settings_for(project, metadata: dict[str, str], vector_dim: int | None):
    """The SDK ``Settings`` of a new dataset for ``project`` (``metadata``: name -> terms|integer|float)."""
    import argilla as rg

    if len(project.labels) > MAX_LABELS:
        raise ArgillaError(f"project {project.name!r} has {len(project.labels)} labels; an Argilla question takes at "
                           f"most {MAX_LABELS}")
    question = {"classification": lambda: rg.LabelQuestion(name=QUESTION, labels=list(project.labels)),
                "multilabel": lambda: rg.MultiLabelQuestion(name=QUESTION, labels=list(project.labels)),
                "ner": lambda: rg.SpanQuestion(name=QUESTION, field=TEXT_FIELD, labels=list(project.labels),
                                               allow_overlapping=False)}[project.task]()
    kinds = {"terms": rg.TermsMetadataProperty, "integer": rg.IntegerMetadataProperty,
             "float": rg.FloatMetadataProperty}
    return rg.Settings(
        fields=[rg.TextField(name=TEXT_FIELD, use_markdown=False)],
        questions=[question],
        metadata=[kinds[kind](name=name) for name, kind in metadata.items()],
        vectors=[rg.VectorField(name=VECTOR, dimensions=vector_dim)] if vector_dim else [],
        guidelines=project.guidelines or None,
        distribution=rg.TaskDistribution(min_submitted=project.settings.annotators_per_record),
    )


def check_schema(project, dataset_name: str, questions: list[dict], fields: list[dict]) -> str:
    """Raise unless the dataset's text field and label question fit the project; return the question id."""
    where = f"Argilla dataset {dataset_name!r}"
    fix = ("nothing was changed; link another dataset name (--dataset), or delete that dataset in Argilla "
           "to have it created again")
    if not any(f["name"] == TEXT_FIELD for f in fields):
        raise ArgillaError(f"{where} has no field {TEXT_FIELD!r} (fields: {', '.join(f['name'] for f in fields)}); {fix}")
    question = next((q for q in questions if q["name"] == QUESTION), None)
    if question is None:
        raise ArgillaError(f"{where} has no question {QUESTION!r} (questions: "
                           f"{', '.join(q['name'] for q in questions)}); {fix}")
    kind = question["settings"]["type"]
    if kind != QUESTION_TYPES[project.task]:
        raise ArgillaError(f"{where}: question {QUESTION!r} is a {kind} question but project {project.name!r} is "
                           f"{project.task} (needs {QUESTION_TYPES[project.task]}); {fix}")
    options = [o["value"] for o in question["settings"].get("options") or []]
    if sorted(options) != sorted(project.labels):
        raise ArgillaError(f"{where}: question {QUESTION!r} has labels {', '.join(options)} but project "
                           f"{project.name!r} has {', '.join(project.labels)}; {fix}")
    return question["id"]


def _finite(x: Any) -> float | None:
    return float(x) if isinstance(x, (int, float)) and math.isfinite(float(x)) else None


def metadata_of(record, facts: dict[str, Any], meta_props: dict[str, tuple[str, str]],
                model_agent: str | None) -> dict[str, Any]:
    """A record's metadata values (only declared properties, no None)."""
    out: dict[str, Any] = {}
    for name, (key, kind) in meta_props.items():
        value = (record.meta or {}).get(key)
        if value is None:
            continue
        if kind == "terms":
            out[name] = str(value).lower() if isinstance(value, bool) else str(value)
        elif kind == "float" and _finite(value) is not None:
            out[name] = _finite(value)
        elif kind == "integer" and isinstance(value, int) and not isinstance(value, bool):
            out[name] = value
    if record.split:
        out["split"] = record.split
    sugg, audit = facts.get("suggestion"), facts.get("audit")
    if sugg and _finite(sugg["uncertainty"]) is not None:
        out["al_score"] = _finite(sugg["uncertainty"])
    if audit:
        if _finite(audit["quality"]) is not None:
            out["label_quality"] = _finite(audit["quality"])
        out["audit_flag"] = "flagged" if audit["is_issue"] else "ok"
    if sugg and model_agent and isinstance(sugg["value"], str):
        out["model_label"] = sugg["value"]
        if _finite(sugg["score"]) is not None:
            out["model_score"] = _finite(sugg["score"])
    return out


def suggestion_of(project, facts: dict[str, Any], question_id: str, model_agent: str | None,
                  given_label: bool) -> tuple[dict[str, Any] | None, str | None]:
    """(the suggestion JSON, its agent) for a record, or (None, None).

    ``given_label``: the record is pushed for an audit fix, so the label under audit is suggested (agent
    ``given-label``) and the model's goes to metadata.
    """
    audit, sugg = facts.get("audit"), facts.get("suggestion")
    if given_label and audit and audit.get("given") is not None:
        value, score, agent = audit["given"], audit["quality"], GIVEN_LABEL_AGENT
    elif sugg is not None and model_agent:
        value, score, agent = sugg["value"], sugg["score"], model_agent
    else:
        return None, None
    value = to_argilla_value(project.task, value)
    if value in (None, []):
        return None, None
    out: dict[str, Any] = {"question_id": question_id, "value": value, "agent": agent, "type": "model"}
    score = _finite(score)
    if score is not None:
        score = min(max(score, 0.0), 1.0)
        # a list value (spans, several labels) takes one score per item
        out["score"] = [score] * len(value) if isinstance(value, list) else score
    return out, agent


def to_argilla_value(task: str, value: Any) -> Any:
    if task == "ner":
        return [{"label": s["label"], "start": s["start"], "end": s["end"]} for s in value or []]
    if task == "multilabel":
        return list(value or [])
    return value


def from_argilla_value(task: str, value: Any) -> Any:
    """An Argilla response value as a workbench label value (validated later by the store)."""
    if task == "ner":
        return [{"start": s.get("start"), "end": s.get("end"), "label": s.get("label")} for s in value or []]
    return value

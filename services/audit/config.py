"""How an audit is run (stored with every audit row) and the audit-model registry."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from workbench.config import ConfigMixin
from workbench.errors import ValidationError
from workbench.registry import one_of

#: where the audited labels come from
AUDIT_SOURCES = ("annotations", "reference")
DEFAULT_MODEL = "hybrid"
#: the sentence vectors the audit reads (neighbours and duplicates come from these alone)
DEFAULT_ENCODER = "minilm"
#: cleanlab's ``find_label_issues`` forks a process pool when ``n_jobs`` > 1 (its default: the
#: physical cores); forking a process that runs job, heartbeat and Streamlit threads can leave the
#: child waiting on a lock forever (the likely cause of an audit job that hung once in the browser
#: test, after its first pass). One process it is.
CLEANLAB_JOBS = 1


@dataclass
class AuditConfig(ConfigMixin):
    """How an audit is run; stored with every audit row.

    Attributes
    ----------
    source : "annotations" (current human labels) or "reference" (imported labels).
    folds : K of the stratified K-fold that yields out-of-fold probabilities.
    model : "hybrid" (default: logreg on cached embeddings, logreg on TF-IDF word n-grams and cosine
        kNN, mixed), "logreg", "knn", "ensemble" (logreg + cosine kNN), or any adapter registry name
        (re-trained per fold).
    encoder : sentence-embedding model for features, neighbours and duplicates.
    seed : fold shuffling seed.
    neighbours : nearest labelled neighbours kept per issue.
    refit : a second out-of-fold pass that trains without the labels the first pass flagged,
        averaged with the first (fixed-feature models only; ``benchmarks/suite.py`` measures it).
        ``None`` (the default): on for the default ``model``, off for any other, so ``model="logreg"``
        is plain cleanlab on out-of-fold logistic regression, the yardstick.
    weighted : mix the model's views by the weights (tenths) whose out-of-fold log-loss on the given
        labels is lowest (``services.models.common.mixing_weights``) instead of the plain mean.
    also_encoders : more encoders (e.g. ``["mpnet"]``), the strongest last: the model's logistic
        regression on each one's vectors joins the mix, and its kNN reads the last one's, an ensemble
        across encoders (classification and multi-label audits with a model of ``AUDIT_MODELS``;
        neighbours and duplicates still come from ``encoder``). ``None`` (the default): :func:`recommended_also_encoders`
        (the stronger encoder for the default model), decided when the audit runs and stored as the list
        it became; ``[]``: ``encoder`` alone.
    """

    source: str = "annotations"
    folds: int = 5
    model: str = DEFAULT_MODEL
    encoder: str = DEFAULT_ENCODER
    seed: int = 0
    neighbours: int = 3
    refit: bool | None = None
    weighted: bool = True
    adapter_config: dict[str, Any] = field(default_factory=dict)
    also_encoders: list[str] | None = None

    def __post_init__(self) -> None:
        check_source(self.source)
        if not isinstance(self.folds, int) or self.folds < 2:
            raise ValidationError(f"folds must be an integer >= 2, got {self.folds!r}")
        if not self.model:
            raise ValidationError("model must be a name, e.g. 'logreg'")
        if self.neighbours < 0:
            raise ValidationError("neighbours must be >= 0")
        if self.also_encoders is not None:
            self.also_encoders = _encoder_list(self.also_encoders, self.encoder)
        if self.refit is None:
            self.refit = self.model == DEFAULT_MODEL
        for name in ("refit", "weighted"):
            if not isinstance(getattr(self, name), bool):
                raise ValidationError(f"{name} must be true or false, got {getattr(self, name)!r}")


def _encoder_list(names: Any, encoder: str) -> list[str]:
    if not isinstance(names, (list, tuple)) or not all(isinstance(e, str) and e.strip() for e in names):
        raise ValidationError(f"also_encoders must be a list of encoder names, got {names!r}")
    names = [e.strip() for e in names]
    if len(set(names) | {encoder}) != len(names) + 1:
        raise ValidationError(f"also_encoders {names!r} repeats an encoder (encoder is {encoder!r}); "
                              f"name each one once")
    return names


def ensemble_applies(task: str, model: str) -> bool:
    """Whether ``also_encoders`` can add views to ``model``'s mix: an embedding model of ``AUDIT_MODELS``
    (not an adapter retrained per fold) in a classification or multi-label audit."""
    from services.audit.oof import AUDIT_MODELS

    return task != "ner" and model in AUDIT_MODELS


def recommended_also_encoders(encoder: str, task: str, model: str) -> list[str]:
    """What a default audit (``also_encoders=None``) also reads: the stronger encoder of
    :func:`services.embeddings.stronger_encoder` (mpnet, when it is fetched, for MiniLM) for the default
    ``model`` in a classification or multi-label audit; else none. Any other model runs on ``encoder``
    alone unless told otherwise, so ``logreg`` stays the plain yardstick."""
    from services.embeddings import stronger_encoder

    if model != DEFAULT_MODEL or not ensemble_applies(task, model):
        return []
    stronger = stronger_encoder(encoder)
    return [stronger] if stronger else []


def check_source(source: str) -> str:
    return one_of(source, AUDIT_SOURCES, "label source")

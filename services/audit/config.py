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
#: the sentence vectors the audit reads (``mpnet`` is opt-in: README, "How the defaults were chosen")
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
    model : "hybrid" (default: mean of logreg on cached embeddings and logreg on
        TF-IDF word n-grams), "logreg", "knn", "ensemble" (logreg + cosine kNN),
        or any adapter registry name (re-trained per fold).
    encoder : sentence-embedding model for features, neighbours and duplicates.
    seed : fold shuffling seed.
    neighbours : nearest labelled neighbours kept per issue.
    refit : a second out-of-fold pass that trains without the labels the first pass flagged,
        averaged with the first (fixed-feature models only; ``benchmarks/suite.py`` measures it).
    weighted : mix the two views of ``hybrid`` by the weight whose out-of-fold log-loss on the given
        labels is lowest (``services.audit.oof.mixing_weights``) instead of half and half.
    also_encoders : more encoders (e.g. ``["mpnet"]``): the model's out-of-fold probabilities on each
        one's vectors are averaged with those on ``encoder``'s, an ensemble across encoders
        (classification and multi-label audits with a model of ``AUDIT_MODELS``; neighbours and
        duplicates still come from ``encoder``).
    """

    source: str = "annotations"
    folds: int = 5
    model: str = DEFAULT_MODEL
    encoder: str = DEFAULT_ENCODER
    seed: int = 0
    neighbours: int = 3
    refit: bool = True
    weighted: bool = True
    adapter_config: dict[str, Any] = field(default_factory=dict)
    also_encoders: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        check_source(self.source)
        if not isinstance(self.folds, int) or self.folds < 2:
            raise ValidationError(f"folds must be an integer >= 2, got {self.folds!r}")
        if not self.model:
            raise ValidationError("model must be a name, e.g. 'logreg'")
        if self.neighbours < 0:
            raise ValidationError("neighbours must be >= 0")
        if not isinstance(self.also_encoders, (list, tuple)) or \
                not all(isinstance(e, str) and e.strip() for e in self.also_encoders):
            raise ValidationError(f"also_encoders must be a list of encoder names, got {self.also_encoders!r}")
        self.also_encoders = [e.strip() for e in self.also_encoders]
        if len(set(self.also_encoders) | {self.encoder}) != len(self.also_encoders) + 1:
            raise ValidationError(f"also_encoders {self.also_encoders!r} repeats an encoder (encoder is "
                                  f"{self.encoder!r}); name each one once")
        for name in ("refit", "weighted"):
            if not isinstance(getattr(self, name), bool):
                raise ValidationError(f"{name} must be true or false, got {getattr(self, name)!r}")


def check_source(source: str) -> str:
    return one_of(source, AUDIT_SOURCES, "label source")

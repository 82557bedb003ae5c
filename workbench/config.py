"""Paths and dataclass configuration, validated on construction."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, ClassVar

from workbench.errors import ValidationError
from workbench.registry import one_of

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("WORKBENCH_DATA", ROOT / "data"))
SAMPLES_DIR = DATA_DIR / "samples"
MODELS_DIR = DATA_DIR / "models"
#: encoders converted on this machine (the int8 ONNX copy of MiniLM)
ENCODERS_DIR = DATA_DIR / "encoders"
DEFAULT_DB = DATA_DIR / "workbench.db"
DEFAULT_ENCODER = "minilm"  # alias for the packaged sentence-transformers/all-MiniLM-L6-v2
#: what each task trains by default: every task gets an adapter that can do it (``ner`` is the one NER adapter)
#: classification: ``hybrid`` (sentence vectors + words, mixed by out-of-fold log-loss) on mpnet's vectors
#: (``model_encoder: auto``) with ``margin`` after the cold-start queue beat ``margin`` + ``logreg`` on every
#: suite data set it was run on (README, "How the defaults were chosen"); multilabel was not measured
DEFAULT_ADAPTERS: dict[str, str] = {"classification": "hybrid", "multilabel": "logreg", "ner": "ner"}
#: with the cold-start queue and ``hybrid``, ``margin`` beat ``power_entropy`` on both tuning sets of the suite
DEFAULT_STRATEGY = "margin"
#: how an NER round scores a sentence from its tokens' tag distributions
#: (``services.active_learning.sentence_probs``): its least sure token, the mean over its tokens, or the
#: mean entropy over its (possible) predicted spans; `make bench-ner-al` compares them
NER_UNCERTAINTIES = ("max", "mean", "span_entropy")
DEFAULT_NER_UNCERTAINTY = "max"
#: whose vectors a project's model reads: "auto" (the stronger fetched encoder where the adapter can) or
#: "project" (always the project's ``encoder``)
MODEL_ENCODERS = ("auto", "project")


def db_path() -> Path:
    """The SQLite file to use: ``$WORKBENCH_DB`` or ``data/workbench.db``."""
    return Path(os.environ.get("WORKBENCH_DB", DEFAULT_DB))


def models_dir_for(db: str | Path) -> Path:
    """Where model weights of a database live: ``data/models`` for the default
    DB, else ``<db>.models`` beside it, so two databases never share the
    ``<project id>/<version id>`` folders."""
    db = Path(db)
    if db.resolve() == DEFAULT_DB.resolve():
        return MODELS_DIR
    return db.with_name(db.name + ".models")


class ConfigMixin:
    """``to_dict`` / ``from_dict`` (rejecting unknown keys, listing the valid ones) for config dataclasses.

    ``renamed_keys`` maps a key older saved configs used to its current name, so
    a model folder or project saved before a rename still loads.
    """

    renamed_keys: ClassVar[dict[str, str]] = {}

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)  # type: ignore[call-overload]

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None):
        data = dict(data or {})
        for old, new in cls.renamed_keys.items():
            if old in data and new not in data:
                data[new] = data.pop(old)
        known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValidationError(
                f"unknown {cls.__name__} option(s) {', '.join(unknown)}; valid: {', '.join(sorted(known))}"
            )
        return cls(**data)


#: the most people one record is served to (annotators_per_record)
MAX_OVERLAP = 10


@dataclass
class ProjectSettings(ConfigMixin):
    """Per-project active-learning settings, stored as JSON on the project.

    Attributes
    ----------
    retrain_every : int
        Start a background retrain after this many new labels (0 = only on demand).
    adapter : str
        What is trained at each retrain: an adapter name (see ``services.models.ADAPTERS``).
    strategy : str
        Query strategy name (see ``services.active_learning.STRATEGIES``).
    encoder : str
        Sentence-embedding model for vectors, ``logreg``, cold start and audits:
        ``"minilm"`` (packaged) or an HF id / local path.
    base_model : str
        What a fine-tuned adapter (``setfit``, ``transformer``, ``ner``) starts from:
        ``"minilm"`` (packaged) or an HF id / local path.
    recheck_share : float
        Share of the annotate queue that re-checks labelled records with low
        label-quality scores (the mixed queue); 0 turns it off.
    annotators_per_record : int
        Task distribution: the queue serves each record to this many distinct people, and a record is
        done when that many have labelled it (or a reviewer decided it). Above 1, agreement and
        CROWDLAB consensus get real overlap.
    label_keys : dict of str to str
        Keys remapped per label (``{"spam": "p"}``); the others keep their defaults
        (:func:`workbench.keymap.label_keys`).
    show_reference : bool
        Show imported reference labels and their audit to annotators while they label (off: an
        annotator never sees them, so they cannot copy them; reviewers see them on the Audit page).
    ner_uncertainty : str
        NER projects: how a sentence's uncertainty comes from its tokens (:data:`NER_UNCERTAINTIES`).
    model_encoder : str
        Whose sentence vectors the model reads (:data:`MODEL_ENCODERS`): ``"auto"`` lets an adapter that
        can (the default ``hybrid``) read the stronger encoder's (mpnet, when it is fetched) once they are
        cached, encoding ahead a little at every retrain; ``"project"`` keeps ``encoder``'s.
    """

    renamed_keys: ClassVar[dict[str, str]] = {"model": "adapter"}

    retrain_every: int = 10
    adapter: str = DEFAULT_ADAPTERS["classification"]
    strategy: str = DEFAULT_STRATEGY
    encoder: str = DEFAULT_ENCODER
    recheck_share: float = 0.0
    base_model: str = DEFAULT_ENCODER
    annotators_per_record: int = 1
    label_keys: dict[str, str] = field(default_factory=dict)
    show_reference: bool = False
    ner_uncertainty: str = DEFAULT_NER_UNCERTAINTY
    model_encoder: str = "auto"

    @classmethod
    def for_task(cls, task: str, **options: Any) -> ProjectSettings:
        """Settings of a new ``task`` project: the task's default adapter (:data:`DEFAULT_ADAPTERS`)."""
        return cls.from_dict({"adapter": DEFAULT_ADAPTERS.get(task, "logreg"), **options})

    def __post_init__(self) -> None:
        from workbench.keymap import check_overrides

        self.label_keys = check_overrides(self.label_keys)
        if not isinstance(self.show_reference, bool):
            raise ValidationError(f"show_reference must be true or false, got {self.show_reference!r}")
        if not isinstance(self.retrain_every, int) or self.retrain_every < 0:
            raise ValidationError(f"retrain_every must be an integer >= 0, got {self.retrain_every!r}")
        if not 0.0 <= float(self.recheck_share) <= 1.0:
            raise ValidationError(f"recheck_share must be between 0 and 1, got {self.recheck_share!r}")
        per_record = self.annotators_per_record
        if isinstance(per_record, bool) or not isinstance(per_record, int) or not 1 <= per_record <= MAX_OVERLAP:
            raise ValidationError(f"annotators_per_record must be an integer from 1 to {MAX_OVERLAP}, got {per_record!r}")
        one_of(self.ner_uncertainty, NER_UNCERTAINTIES, "ner_uncertainty")
        one_of(self.model_encoder, MODEL_ENCODERS, "model_encoder")
        if not self.adapter or not self.strategy or not self.encoder or not self.base_model:
            raise ValidationError("adapter, strategy, encoder and base_model must be non-empty names")

"""Query strategies: which unlabelled records to ask about next.

Every strategy is a pure function on model probabilities (and, for the
diversity-aware ones, sentence embeddings) that returns **indices into the
pool, best first**. Scores follow one direction everywhere: higher
uncertainty = ask sooner.

Shapes
------
- classification: ``probs`` is ``(N, K)``, rows sum to 1;
- multilabel: ``probs`` is ``(N, K)`` of independent per-label probabilities
  (pass ``multilabel=True``): a record is as uncertain as its label closest to
  the 0.5 threshold;
- NER: a list of ``(T_i, K)`` token distributions; :func:`sentence_probs`
  aggregates token uncertainty per sentence first.

Cold start (fewer than 2 labels per class) has no trustworthy model:
:func:`cold_start` picks one representative per KMeans cluster of the
embeddings, and :func:`zero_shot` suggests labels by cosine similarity between
record and label-name embeddings.
"""

from services.active_learning.cold_start import (
    COLD_START_SAMPLE,
    ZERO_SHOT_MIN_CHECK,
    cold_start,
    cold_start_sample,
    needs_cold_start,
    zero_shot,
    zero_shot_check,
)
from services.active_learning.scores import (
    NER_UNCERTAINTY_HELP,
    SPAN_MASS,
    entropy_scores,
    least_confidence_scores,
    margin_scores,
    random_scores,
    sentence_probs,
    span_entropy,
    uncertainty_scores,
)
from services.active_learning.strategies import (
    POWER_BETA,
    STRATEGIES,
    Pick,
    Strategy,
    get_strategy,
    queue_scores,
    select,
)

__all__ = [
    "COLD_START_SAMPLE", "NER_UNCERTAINTY_HELP", "POWER_BETA", "SPAN_MASS", "STRATEGIES", "Pick", "Strategy", "cold_start", "cold_start_sample",
    "entropy_scores", "get_strategy",
    "least_confidence_scores", "margin_scores", "needs_cold_start", "queue_scores", "random_scores", "select",
    "sentence_probs", "span_entropy", "uncertainty_scores", "zero_shot", "zero_shot_check", "ZERO_SHOT_MIN_CHECK",
]

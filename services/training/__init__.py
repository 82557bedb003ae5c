"""Background retraining: train, evaluate, re-rank the pool, swap the model in.

One *round* (:func:`train_round`) is what both the UI (through a background
job) and the simulation run:

1. take the current human labels (excluded records and the held-out
   evaluation set never train);
2. fit a fresh adapter of the project's setting (or, in cold start, fall back
   to zero-shot suggestions and diverse KMeans picks);
3. evaluate on the held-out reference labels (:func:`eval_split`);
4. predict the unlabelled pool and score it with the project's query strategy;
5. write the suggestions of a new model version, record a round and make the
   version active in one transaction.

``data`` chooses the record sets, ``round`` runs one round, ``jobs`` runs it as
a background job.
"""

from services.training.data import EVAL_SHARE_MOD, Rows, eval_ids, eval_split, pool_rows, training_rows
from services.training.jobs import (
    FIRST_ORDER_MIN_RECORDS,
    JOB_KIND,
    failed_retrain,
    labels_since_training,
    launch_process,
    maybe_retrain,
    model_status,
    run_training_job,
    start_first_order,
    start_training,
)
from services.training.round import ZERO_SHOT, build_adapter, decode, predict, train_round

__all__ = [
    "EVAL_SHARE_MOD", "FIRST_ORDER_MIN_RECORDS", "JOB_KIND", "ZERO_SHOT", "Rows", "build_adapter", "decode",
    "eval_ids", "eval_split", "failed_retrain", "labels_since_training", "launch_process", "maybe_retrain",
    "model_status", "pool_rows", "predict", "run_training_job", "start_first_order", "start_training",
    "train_round", "training_rows",
]

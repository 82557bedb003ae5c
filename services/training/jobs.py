"""Retraining as a background job: when to retrain, and running a round through :mod:`workbench.jobs`.

:meth:`Store.create_job` refuses a second training of a project while one is
queued or running; the ``jobs`` table carries progress and errors.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from services import active_learning as al
from services.training.round import train_round
from workbench import jobs
from workbench.errors import ConflictError
from workbench.types import ProgressFn

JOB_KIND = "train"
KEEPS = "the previous model version stays active"
#: projects smaller than this keep import order before the first label
FIRST_ORDER_MIN_RECORDS = 200


def labels_since_training(store, project) -> int:
    """Label decisions made since the latest model version (see the store)."""
    return store.labels_since_last_model(project)


def failed_retrain(store, project) -> dict[str, Any] | None:
    """The latest training job when it failed (not when its worker was killed: that one resumes), else None."""
    job = store.latest_job(project, JOB_KIND)
    return job if job is not None and job["status"] == "failed" and not job.get("interrupted") else None


def maybe_retrain(store, project, **kwargs: Any) -> int | None:
    """Start a background training when ``retrain_every`` new labels arrived; return the job id or None.

    After a failed training the next label tries again (not the same labels twice in a row: a failure
    the labels did not change would only repeat). Never raises for a training already running (that one
    will pick the labels up next time).
    """
    every = project.settings.retrain_every
    if every <= 0 or labels_since_training(store, project) < every:
        return None
    failed = failed_retrain(store, project)
    if failed is not None and store.labels_since(project, failed["finished_at"]) < 1:
        return None
    try:
        return start_training(store, project, **kwargs)
    except ConflictError:
        return None


def start_first_order(store, project, **kwargs: Any) -> int | None:
    """Before the first label, start the cold-start round that puts a diverse sample at the head of
    the queue (one record per KMeans cluster) instead of import order; return its job id or None.

    Only once per project: not for NER (no sentence vectors to cluster), not with automatic
    retraining off, not after any training job of the project (the label-driven rounds take over),
    not below :data:`FIRST_ORDER_MIN_RECORDS` records (a small project is seen whole anyway).
    """
    if project.task == "ner" or project.settings.retrain_every <= 0 or project.active_model_version is not None:
        return None
    if store.latest_job(project, JOB_KIND) is not None or store.count_records(project.id) < FIRST_ORDER_MIN_RECORDS:
        return None
    try:
        return start_training(store, project, **kwargs)
    except ConflictError:
        return None


def _queue(store, project, adapter: str | None, strategy: str | None, run: str,
           models_dir: str | Path | None) -> tuple[int, dict[str, Any]]:
    params = {"adapter": adapter or project.settings.adapter, "strategy": strategy or project.settings.strategy,
              "run": run, "models_dir": str(models_dir) if models_dir else None}
    al.get_strategy(params["strategy"])  # fail before queueing on a bad name
    jobs.recover(store)  # a killed earlier job must not block this one, nor leave its half-made version
    return store.create_job(project, JOB_KIND, params), params


def _work(project_name: str, params: dict[str, Any]) -> jobs.JobWork:
    def work(store, progress):
        result = train_round(store, store.get_project(project_name), adapter=params.get("adapter"),
                             strategy=params.get("strategy"), run=params.get("run") or "live",
                             models_dir=params.get("models_dir"), progress=progress)
        if (params.get("run") or "live") == "live":
            from services.argilla import start_refresh

            # a linked project gets the new suggestions and scores in Argilla, in a push job of its own
            result = {**result, "argilla_refresh_job": start_refresh(store, store.get_project(project_name))}
        return result
    return work


def start_training(store, project, *, adapter: str | None = None, strategy: str | None = None,
                   run: str = "live", wait: bool = False, models_dir: str | Path | None = None,
                   echo: ProgressFn | None = None) -> int:
    """Queue a training job of ``project`` and run it (in a background thread unless ``wait``; then
    ``echo(fraction, message)`` follows it too).

    Returns
    -------
    int
        The job id; poll it with ``store.job(id)`` or :func:`workbench.jobs.wait_for`.

    Raises
    ------
    ConflictError
        A training of this project is already queued or running.
    JobError
        ``wait=True`` and the job failed (the previous version stays active).
    """
    job_id, params = _queue(store, project, adapter, strategy, run, models_dir)
    return jobs.start(store.path, job_id, _work(project.name, params), what="training",
                      keeps=KEEPS, wait=wait, echo=echo)


def launch_process(store, project, *, adapter: str | None = None, strategy: str | None = None) -> int:
    """Queue a training job and run it in a detached process (survives the caller, e.g. the CLI)."""
    job_id, _ = _queue(store, project, adapter, strategy, "live", None)
    subprocess.Popen([sys.executable, "-m", "services.training", str(store.path), project.name, str(job_id)],
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                     start_new_session=True)
    return job_id


def run_training_job(db_path, project_name: str, job_id: int) -> dict[str, Any]:
    """Run a queued training job synchronously with its own store connection; return its result.

    Any failure is written to the job row and re-raised as :class:`JobError`.
    """
    from workbench.store import Store

    with Store(db_path) as store:
        params = store.job(job_id)["params"] or {}
    result = jobs.run(db_path, job_id, _work(project_name, params), what="training", keeps=KEEPS)
    if result.get("argilla_refresh_job"):
        with Store(db_path) as store:  # this process is all the refresh's thread has: wait for it
            jobs.wait_for(store, result["argilla_refresh_job"], timeout=3600)
    return result


def model_status(store, project) -> dict[str, Any]:
    """Active version summary, staleness, the latest training job and why the next round would still be a
    cold start (``cold_start``: a sentence, or None), for the UI and CLI.

    Looking is enough to notice a killed job: it is marked failed here (:func:`workbench.jobs.recover`).
    """
    from services.training.data import cold_start_reason, eval_ids, training_rows

    jobs.recover(store)
    project = store.get_project(project.id)
    active = store.model_version(project.active_model_version) if project.active_model_version else None
    return {"active": active, "labels_since": labels_since_training(store, project),
            "job": store.latest_job(project, JOB_KIND), "retrain_every": project.settings.retrain_every,
            "cold_start": cold_start_reason(project, training_rows(store, project, eval_ids(store, project)))}

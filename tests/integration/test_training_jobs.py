"""The training job runner on a real store with the real logreg adapter."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

from services.models.base import ADAPTERS, register
from services.training import (
    JOB_KIND,
    ZERO_SHOT,
    eval_ids,
    labels_since_training,
    maybe_retrain,
    model_status,
    run_training_job,
    start_training,
    train_round,
)
from tests.conftest import add_texts
from workbench import jobs
from workbench.config import ProjectSettings, models_dir_for
from workbench.errors import ConflictError, JobError

POS = ["a wonderful, moving film with great acting", "I loved every minute of this brilliant movie",
       "charming, funny and beautifully shot", "one of the best films of the year",
       "a delightful story that warms the heart", "superb performances and a clever script",
       "an absolute joy to watch", "gorgeous, touching and memorable", "the cast is excellent and the plot gripping",
       "a triumph of storytelling"]
NEG = ["a dull, boring mess of a movie", "I hated this tedious film", "the plot makes no sense and the acting is awful",
       "a waste of two hours", "badly written and poorly directed", "the worst movie I have seen in years",
       "lifeless, predictable and far too long", "an embarrassing failure", "clumsy dialogue and wooden acting",
       "painfully unfunny from start to finish"]


@pytest.fixture
def project(store):
    p = store.create_project("films", "classification", ["pos", "neg"],
                             settings=ProjectSettings(retrain_every=3))
    texts = [t for pair in zip(POS, NEG) for t in pair]
    refs = ["pos", "neg"] * len(POS)
    ids = add_texts(store, p, texts, refs)
    return p, ids, refs


def _label(store, project, ids, refs, n, held_out=()):
    done = 0
    for rid, ref in zip(ids, refs):
        if rid in held_out or store.get_record(rid).status == "labelled":
            continue
        store.annotate(project, rid, "ann", "label", ref)
        done += 1
        if done == n:
            return


def test_job_trains_evaluates_writes_suggestions_and_activates(store, project, tmp_path):
    p, ids, refs = project
    held = eval_ids(store, p)
    assert held and len(held) < len(ids)  # deterministic hash-based 20%-ish share
    _label(store, p, ids, refs, 6, held)
    job_id = start_training(store, p, wait=True)
    job = store.job(job_id)
    assert job["status"] == "done" and job["progress"] == 1
    p = store.get_project(p.id)
    version = store.model_version(p.active_model_version)
    assert version["adapter"] == "hybrid" and version["n_labels"] == 6  # the classification default
    # weights sit beside this (non-default) database, never in the shared data/models
    assert (models_dir_for(store.path) / str(p.id) / str(version["id"]) / "adapter.json").exists()
    assert models_dir_for(store.path).parent == store.path.parent
    assert 0.0 <= version["metrics"]["accuracy"] <= 1.0 and version["metrics"]["n"] == len(held)
    # every pool record (unlabelled, not held out) got a suggestion with probabilities
    pool = [i for i in ids if i not in held and store.get_record(i).status == "unlabelled"]
    sugg = store.query("SELECT record_id, uncertainty, probs FROM suggestions WHERE model_version_id = ?",
                       (version["id"],))
    assert sorted(r["record_id"] for r in sugg) == sorted(pool)
    assert all(r["uncertainty"] is not None and r["probs"] for r in sugg)
    rounds = store.rounds(p)
    assert [r["n_labels"] for r in rounds] == [6] and rounds[0]["model_version_id"] == version["id"]
    assert labels_since_training(store, p) == 0


def test_crash_mid_training_leaves_previous_version_and_labels(store, project):
    p, ids, refs = project
    _label(store, p, ids, refs, 6, eval_ids(store, p))
    start_training(store, p, wait=True)
    p = store.get_project(p.id)
    before_version = p.active_model_version
    before_labels = store.scalar("SELECT COUNT(*) FROM annotations")
    before_sugg = store.scalar("SELECT COUNT(*) FROM suggestions WHERE model_version_id = ?", (before_version,))

    with ADAPTERS.scoped():
        @register("exploding")
        class Exploding:  # a plug-in adapter whose fit dies halfway, like an out-of-memory error
            name, tasks = "exploding", ("classification",)

            def __init__(self, task, labels, **config):
                self.task, self.labels = task, labels

            def fit(self, texts, targets, progress=None):
                raise RuntimeError("CUDA out of memory (simulated)")

        with pytest.raises(JobError, match="out of memory.*previous model version stays active"):
            start_training(store, p, adapter="exploding", wait=True)
    assert "exploding" not in ADAPTERS
    job = store.latest_job(p, JOB_KIND)
    assert job["status"] == "failed" and "out of memory" in job["error"]
    p = store.get_project(p.id)
    assert p.active_model_version == before_version
    assert len(store.model_versions(p)) == 1
    assert store.scalar("SELECT COUNT(*) FROM annotations") == before_labels
    assert store.scalar("SELECT COUNT(*) FROM suggestions WHERE model_version_id = ?",
                        (before_version,)) == before_sugg
    # and a crash does not make maybe_retrain loop on the same labels
    assert maybe_retrain(store, p) is None


def test_never_two_trainings_of_one_project(store, project):
    p, ids, refs = project
    store.create_job(p, JOB_KIND, {})
    with pytest.raises(ConflictError, match="already queued"):
        start_training(store, p, wait=True)


def test_maybe_retrain_after_retrain_every_labels_runs_in_background(store, project):
    p, ids, refs = project
    held = eval_ids(store, p)
    _label(store, p, ids, refs, 2, held)
    assert maybe_retrain(store, p) is None  # 2 < retrain_every = 3
    _label(store, p, ids, refs, 2, held)
    job_id = maybe_retrain(store, p)
    assert job_id is not None
    deadline = time.time() + 60
    while store.job(job_id)["status"] in ("queued", "running") and time.time() < deadline:
        time.sleep(0.1)
    assert store.job(job_id)["status"] == "done", store.job(job_id)["error"]
    status = model_status(store, p)
    assert status["active"]["n_labels"] == 4 and status["labels_since"] == 0


def test_cold_start_gives_zero_shot_version_and_diverse_queue(store, project):
    p, ids, refs = project
    held = eval_ids(store, p)
    first_pos = next(i for i, r in zip(ids, refs) if r == "pos" and i not in held)
    store.annotate(p, first_pos, "ann", "label", "pos")  # one class only: cold start
    job_id = store.create_job(p, JOB_KIND, {"model": "logreg", "strategy": "margin"})
    result = run_training_job(store.path, p.name, job_id)
    assert result["cold_start"] is True and result["adapter"] == ZERO_SHOT
    p = store.get_project(p.id)
    rows = store.query("SELECT value, uncertainty FROM suggestions WHERE model_version_id = ?"
                       " ORDER BY uncertainty DESC", (p.active_model_version,))
    # one label cannot show zero-shot beats the majority label: the order stays, the suggestions go
    assert {r["value"] for r in rows} == {"null"} and store.suggestion(p, rows and ids[1]) is None
    check = store.model_version(p.active_model_version)["config"]["zero_shot_check"]
    assert check == {"n": 1, "accuracy": check["accuracy"], "majority": 1.0, "shown": False}
    head = [r["uncertainty"] for r in rows if r["uncertainty"] > 1]
    assert len(head) == min(20, len(rows)) and np.all(np.diff(head) < 0)


def test_cli_train_wait_and_queue(store, project, capsys):
    from workbench.api.cli import main

    p, ids, refs = project
    _label(store, p, ids, refs, 4, eval_ids(store, p))
    assert main(["--db", str(store.path), "train", "films", "--wait"]) == 0
    captured = capsys.readouterr()
    assert "trained on 4 labels" in captured.out
    frames = captured.err.split("\r")[1:]  # the job's progress on a bar, on stderr
    assert len(frames) >= 2 and all(f.startswith("[") for f in frames) and captured.err.endswith("\n")
    assert "100% done" in frames[-1] and "reading labels" in captured.err
    assert main(["--db", str(store.path), "queue", "films", "--n", "3", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 3 and all(r["uncertainty"] is not None for r in rows)
    assert rows[0]["uncertainty"] >= rows[1]["uncertainty"] >= rows[2]["uncertainty"]


@pytest.mark.slow
def test_ner_project_trains_with_a_diversity_aware_strategy(store):
    # diversity strategies need pool sentence vectors for NER too (this used to fail)
    p = store.create_project("tweets", "ner", ["person", "location"],
                             settings=ProjectSettings(adapter="ner", strategy="margin_kcenter",
                                                      ner_uncertainty="span_entropy"))
    texts = ["Alice went to Paris", "Bob lives in Rome", "Carol likes Berlin", "Dave saw Madrid",
             "Eve flew to Oslo", "nothing to see here", "Frank met Grace in Vienna", "just a tweet"]
    ids = add_texts(store, p, texts)
    store.annotate(p, ids[0], "a", "label", [{"start": 0, "end": 5, "label": "person"},
                                             {"start": 14, "end": 19, "label": "location"}])
    store.annotate(p, ids[1], "a", "label", [{"start": 0, "end": 3, "label": "person"},
                                             {"start": 13, "end": 17, "label": "location"}])
    store.annotate(p, ids[2], "a", "label", [{"start": 0, "end": 5, "label": "person"}])
    job = start_training(store, p, wait=True)
    assert store.job(job)["status"] == "done"
    p = store.get_project(p.id)
    unlabelled = [i for i in ids[3:] if store.suggestion(p, i) is not None]
    assert unlabelled, "the pool got no suggestions"
    # the project's ner_uncertainty scored the pool: a suggestion's score is 1 - u/2 (sentence_probs)
    from services.active_learning import span_entropy
    from services.models import load_adapter

    version = store.model_versions(p)[-1]
    token_probs = load_adapter("ner", version["path"]).predict_proba([texts[ids.index(i)] for i in unlabelled])
    expected = [1 - span_entropy(np.asarray(tp, dtype=np.float64)) / 2 for tp in token_probs]
    assert [store.suggestion(p, i)["score"] for i in unlabelled] == pytest.approx(expected, abs=2e-3)


def test_round_reports_embedding_progress_then_uses_the_cache(store, project):
    p, ids, refs = project
    _label(store, p, ids, refs, 6, eval_ids(store, p))
    seen: list[tuple[float, str]] = []
    train_round(store, p, progress=lambda f, m: seen.append((f, m)))
    embedding = [(f, m) for f, m in seen if m.startswith("embedding texts")]
    # nothing was cached: embedding is most of the work, and most of the bar (not 2% -> 10%)
    assert embedding and embedding[-1][0] >= 0.85 and all(0.02 <= f <= 0.9 for f, _ in embedding)
    assert " texts/s" in embedding[-1][1]
    assert [f for f, _ in seen] == sorted(f for f, _ in seen)  # progress never goes backwards
    seen.clear()
    train_round(store, p, progress=lambda f, m: seen.append((f, m)))
    assert not [m for _, m in seen if m.startswith("embedding texts")]  # every vector came from the cache


def test_ner_projects_default_to_the_ner_adapter_and_old_ones_are_migrated(tmp_path):
    from workbench.store import Store

    with Store(tmp_path / "n.db") as s:
        assert s.create_project("tweets", "ner", ["person"]).settings.adapter == "ner"
        assert s.create_project("films", "classification", ["a", "b"]).settings.adapter == "hybrid"
        # a project saved under the old default (logreg can never train NER)
        s.execute("UPDATE projects SET settings = ? WHERE name = 'tweets'", ('{"model": "logreg"}',))
        s.execute("DELETE FROM _migrations WHERE name = '014_ner_default_adapter'")
    with Store(tmp_path / "n.db") as s:
        assert s.get_project("tweets").settings.adapter == "ner"
        assert s.get_project("films").settings.adapter == "hybrid"


def test_a_failed_automatic_retrain_is_tried_again_with_the_next_label(store, project):
    from services.training import failed_retrain, maybe_retrain

    p, ids, refs = project
    settings = p.settings.to_dict()
    with ADAPTERS.scoped():
        @register("broken")
        class Broken:  # an adapter that always fails, like a model that cannot do the task
            name, tasks = "broken", ("classification",)

            def __init__(self, task, labels, **config):
                raise RuntimeError("this adapter is broken")

        from workbench.config import ProjectSettings

        store.update_project(p, settings=ProjectSettings.from_dict({**settings, "adapter": "broken",
                                                                    "retrain_every": 4}))
        p = store.get_project(p.id)
        _label(store, p, ids, refs, 4, eval_ids(store, p))  # two per class: past the cold start
        job = maybe_retrain(store, p)
        jobs.wait_for(store, job)
        assert failed_retrain(store, p)["error"].endswith("this adapter is broken")
        assert maybe_retrain(store, p) is None  # the same labels do not retry at once
        store.annotate(p, [i for i in ids if store.get_record(i).status == "unlabelled"][0], "a", "label", refs[0])
        retry = maybe_retrain(store, p)
        assert retry is not None and retry != job  # the next label tries again
        jobs.wait_for(store, retry)


def test_the_status_says_why_the_model_is_still_zero_shot(store, project):
    p, ids, refs = project
    held = eval_ids(store, p)
    first_pos = next(i for i, r in zip(ids, refs) if r == "pos" and i not in held)
    store.annotate(p, first_pos, "ann", "label", "pos")
    status = model_status(store, p)
    assert status["cold_start"] == "pos has 1 label, neg has 0 labels; every label needs 2 before a model is trained"
    _label(store, p, ids, refs, 6, held)
    assert model_status(store, p)["cold_start"] is None


def _films(n: int) -> list[str]:
    return [f"{(POS + NEG)[i % 20]} (take {i})" for i in range(n)]


def test_before_the_first_label_a_sample_is_ranked_first_and_the_rest_encoded_after(store, monkeypatch):
    import importlib

    from services.embeddings import uncached_share
    from services.training import FIRST_ORDER_MIN_RECORDS, start_first_order

    # the package re-exports the cold_start function under the module's name
    monkeypatch.setattr(importlib.import_module("services.active_learning.cold_start"), "COLD_START_SAMPLE", 60)
    p = store.create_project("big", "classification", ["pos", "neg"], settings=ProjectSettings(retrain_every=5))
    texts = _films(FIRST_ORDER_MIN_RECORDS + 20)
    ids = add_texts(store, p, texts)
    job_id = start_first_order(store, p)
    assert job_id is not None
    result = jobs.wait_for(store, job_id)["result"]
    assert result["cold_start"] is True and result["n_labels"] == 0 and result["pool"] == 60
    assert result["first_suggestions_seconds"] <= result["seconds"]
    p = store.get_project(p.id)
    rows = store.query("SELECT record_id, uncertainty FROM suggestions WHERE model_version_id = ?"
                       " ORDER BY uncertainty DESC", (p.active_model_version,))
    assert len(rows) == 60 and len({r["record_id"] for r in rows}) == 60
    head = [r["record_id"] for r in rows if r["uncertainty"] > 1]
    assert len(head) == 20 and head != ids[:20]  # one per cluster, not import order
    # the job went on to encode every other record, so the first model's round needs no encoding
    assert uncached_share(texts, p.settings.encoder, store) == 0.0
    from workbench.queue import queue_preview

    assert [r.id for r in queue_preview(store, p, "ann", n=5)] == head[:5]
    assert start_first_order(store, p) is None  # once per project


def test_no_first_order_for_small_ner_or_manual_projects(store):
    from services.training import FIRST_ORDER_MIN_RECORDS, start_first_order

    small = store.create_project("small", "classification", ["pos", "neg"])
    add_texts(store, small, _films(FIRST_ORDER_MIN_RECORDS - 1))
    ner = store.create_project("tags", "ner", ["PER"])
    add_texts(store, ner, _films(FIRST_ORDER_MIN_RECORDS))
    manual = store.create_project("manual", "classification", ["pos", "neg"],
                                  settings=ProjectSettings(retrain_every=0))
    add_texts(store, manual, _films(FIRST_ORDER_MIN_RECORDS))
    assert [start_first_order(store, q) for q in (small, ner, manual)] == [None, None, None]
    assert store.latest_job(small, JOB_KIND) is None

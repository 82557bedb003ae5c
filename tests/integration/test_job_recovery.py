"""kill -9 of a training or audit worker in any phase: the job is failed within seconds by whoever looks
next, labels and the active version are intact, nothing half-made is left, and retraining resumes by itself."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from services import audit
from services.training import JOB_KIND, maybe_retrain, model_status
from tests.conftest import add_texts
from workbench import jobs
from workbench.config import ProjectSettings, models_dir_for
from workbench.jobs import FAULT_PAUSE_ENV
from workbench.store import Store

ROOT = Path(__file__).resolve().parents[2]
GOOD = [f"a wonderful, moving film, take {i}" for i in range(15)]
BAD = [f"a dull, tedious mess, take {i}" for i in range(15)]


@pytest.fixture
def labelled(tmp_path):
    """A project past cold start with ``retrain_every`` (10) new labels: a retrain is due."""
    store = Store(tmp_path / "kill.db")
    project = store.create_project("films", "classification", ["pos", "neg"],
                                   settings=ProjectSettings(retrain_every=10))
    ids = add_texts(store, project, GOOD + BAD, ["pos"] * 15 + ["neg"] * 15)
    for rid, value in zip(ids[:6] + ids[15:21], ["pos"] * 6 + ["neg"] * 6):
        store.annotate(project, rid, "alice", "label", value)
    yield store, store.get_project(project.id)
    store.close()


def _start_paused(store, project, kind: str, phase: str, params: dict) -> tuple[int, subprocess.Popen]:
    job_id = store.create_job(project, kind, params)
    code = ("import sys; from services.training import run_training_job; run_training_job(*sys.argv[1:3], int(sys.argv[3]))"
            if kind == JOB_KIND else
            "import sys; from services import audit; from workbench import jobs; from workbench.store import Store\n"
            "s = Store(sys.argv[1]); p = s.get_project(sys.argv[2]); c = audit.AuditConfig(source='reference', folds=3)\n"
            "jobs.run(sys.argv[1], int(sys.argv[3]), lambda own, pr: {'audit_id': audit.run_audit(own, p, c, pr)})")
    proc = subprocess.Popen([sys.executable, "-c", code, str(store.path), project.name, str(job_id)], cwd=ROOT,
                            env={**os.environ, FAULT_PAUSE_ENV: phase}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not (store.job(job_id)["message"] or "").startswith(phase):
        assert proc.poll() is None, f"the worker exited before reaching {phase!r}"
        assert time.monotonic() < deadline, f"the worker never reached {phase!r}"
        time.sleep(0.2)
    return job_id, proc


@pytest.mark.slow
@pytest.mark.parametrize("phase", ["embedding texts", "training logreg", "predicting", "saving weights",
                                   "writing suggestions"])
def test_a_training_killed_in_any_phase_is_recovered(labelled, phase):
    store, project = labelled
    labels_before = store.query("SELECT * FROM annotations ORDER BY id")
    job_id, proc = _start_paused(store, project, JOB_KIND, phase, {"adapter": "logreg", "run": "live"})
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    killed = time.monotonic()
    model_status(store, project)  # whoever looks next: here the Active learning page / `status`
    job = store.job(job_id)
    assert time.monotonic() - killed < 10
    assert job["status"] == "failed" and job["interrupted"] == 1
    assert f"pid {proc.pid}" in job["error"] and phase in job["error"]
    assert store.query("SELECT * FROM annotations ORDER BY id") == labels_before
    assert store.model_versions(project) == [] and store.get_project(project.id).active_model_version is None
    assert not any(models_dir_for(store.path).glob(f"{project.id}/*")), "a half-saved weights folder was left"
    # the labels the killed job never used still ask for a retrain, and it runs by itself
    new_job = maybe_retrain(store, project)
    assert new_job is not None
    assert jobs.wait_for(store, new_job, timeout=120)["status"] == "done"
    assert store.get_project(project.id).active_model_version is not None


@pytest.mark.slow
def test_a_killed_audit_is_recovered(labelled):
    store, project = labelled
    job_id, proc = _start_paused(store, project, audit.JOB_KIND, "embedding texts", {})
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    audit_id = jobs.wait_for(store, audit.start_audit(store, project, audit.AuditConfig(source="reference",
                                                                                         folds=3)))["result"]
    assert store.job(job_id)["status"] == "failed" and store.job(job_id)["interrupted"] == 1
    assert audit_id["audited"] == 30


def test_a_stale_heartbeat_fails_a_job_of_another_host(store, clf_project):
    project, _ = clf_project
    job_id = store.create_job(project, JOB_KIND, {})
    store.start_job(job_id, pid=1, host="elsewhere")  # its process cannot be checked from here
    assert store.fail_dead_jobs() == []                # a fresh heartbeat: alive
    store.execute("UPDATE jobs SET heartbeat_at = heartbeat_at - 11 WHERE id = ?", (job_id,))
    store.fail_dead_jobs()
    job = store.job(job_id)
    assert job["status"] == "failed" and "no heartbeat for over 10 s" in job["error"]


def test_a_queued_job_that_never_starts_is_failed_after_its_grace(store, clf_project):
    from datetime import datetime, timedelta, timezone

    project, _ = clf_project
    job_id = store.create_job(project, JOB_KIND, {})

    def queued_ago(seconds: float) -> None:
        then = (datetime.now(timezone.utc) - timedelta(seconds=seconds)).isoformat(timespec="microseconds")
        store.execute("UPDATE jobs SET created_at = ? WHERE id = ?", (then, job_id))

    queued_ago(30)  # a worker process may take a while to start on a busy machine
    store.fail_dead_jobs()
    assert store.job(job_id)["status"] == "queued"
    queued_ago(61)
    store.fail_dead_jobs()
    job = store.job(job_id)
    assert job["status"] == "failed" and "never started" in job["error"] and job["interrupted"] == 1

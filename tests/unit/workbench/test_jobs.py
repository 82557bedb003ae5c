"""The one job runner: outcomes on the job row, progress helpers, background threads."""

from __future__ import annotations

import pytest

from workbench import jobs
from workbench.errors import JobError, ValidationError


def test_run_records_result_and_progress(store, clf_project):
    project, _ = clf_project
    job_id = store.create_job(project, "probe")
    seen = []

    def work(own, progress):
        progress(0.5, "half way")
        seen.append(own.job(job_id)["status"])
        return {"answer": 42}

    assert jobs.run(store.path, job_id, work) == {"answer": 42}
    job = store.job(job_id)
    assert seen == ["running"] and job["status"] == "done" and job["result"] == {"answer": 42}
    assert job["progress"] == 1


def test_a_waited_job_echoes_every_report_unthrottled_beside_the_job_row(store, clf_project):
    project, _ = clf_project
    job_id = store.create_job(project, "probe")
    echoed = []

    def work(own, progress):
        for i in range(5):  # faster than the job row's throttle lets through
            progress(i / 5, f"step {i}")
        return {}

    jobs.start(store.path, job_id, work, wait=True, echo=lambda f, m: echoed.append((f, m)))
    assert echoed == [(i / 5, f"step {i}") for i in range(5)]
    assert store.job(job_id)["status"] == "done"


def test_a_failing_job_is_failed_with_its_message(store, clf_project):
    project, _ = clf_project
    job_id = store.create_job(project, "probe")

    def work(own, progress):
        raise ValidationError("the labels ran out")

    with pytest.raises(JobError, match="probe failed: the labels ran out; nothing changed"):
        jobs.run(store.path, job_id, work, what="probe", keeps="nothing changed")
    job = store.job(job_id)
    assert job["status"] == "failed" and job["error"] == "the labels ran out"


def test_start_runs_in_a_thread_and_wait_for_sees_the_end(store, clf_project):
    project, _ = clf_project
    job_id = jobs.start(store.path, store.create_job(project, "probe"), lambda own, progress: {"ok": True})
    assert jobs.wait_for(store, job_id, timeout=30)["result"] == {"ok": True}
    failing = jobs.start(store.path, store.create_job(project, "probe"),
                         lambda own, progress: 1 / 0)  # a crash in a thread is recorded, never raised
    assert jobs.wait_for(store, failing, timeout=30)["error"] == "ZeroDivisionError: division by zero"


def test_scaled_and_throttled_progress():
    calls = []
    part = jobs.scaled(lambda f, m: calls.append(round(f, 3)), 0.2, 0.6)
    part(0.0, "a"), part(0.5, "b"), part(2.0, "c")
    assert calls == [0.2, 0.4, 0.6]
    calls.clear()
    slow = jobs.throttled(lambda f, m: calls.append(f), interval=3600)
    slow(0.1, "x"), slow(0.2, "y"), slow(1.0, "done")
    assert calls == [0.1, 1.0]  # the first, then nothing until 100%


def test_meter_reports_items_rate_and_time_left_from_its_own_work():
    from workbench.jobs import Meter, duration_text

    now = [100.0]
    seen = []
    meter = Meter(lambda f, m: seen.append((f, m)), "embedding texts", 1000, "texts", start=200,
                  detail="200 cached", clock=lambda: now[0])
    now[0] = 104.0
    meter(600)  # 400 fresh texts in 4 s: 100 texts/s, 400 to go
    assert seen == [(0.6, "embedding texts · 600 / 1,000 (200 cached) · 100 texts/s · about 4 s left")]
    now[0] = 108.0
    meter(1000)
    assert seen[-1] == (1.0, "embedding texts · 1,000 / 1,000 (200 cached) · 100 texts/s")
    assert [duration_text(s) for s in (45, 300, 4800)] == ["45 s", "5 min", "1 h 20 min"]
    assert Meter(None, "x", 0)(0) is None  # no callback, no total: nothing to do


def test_meter_says_seconds_per_item_when_items_are_slow():
    from workbench.jobs import Meter

    now = [0.0]
    seen = []
    meter = Meter(lambda f, m: seen.append(m), "out-of-fold models", 5, "folds", clock=lambda: now[0])
    now[0] = 24.0
    meter(2)
    assert seen == ["out-of-fold models · 2 / 5 · 12 s per fold · about 36 s left"]

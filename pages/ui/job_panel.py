"""The one progress panel for background jobs: polls the job row, shows its phase, and redraws the page
when a job this page watched ends (so results appear without leaving and coming back)."""

from __future__ import annotations

from datetime import datetime, timezone

import streamlit as st

from pages.ui import components, loaders, state
from workbench.jobs import duration_text
from workbench.store import Store

POLL_SECONDS = 2.0


def _elapsed(job: dict) -> str:
    started = job.get("started_at") or job.get("created_at")
    try:
        begun = datetime.fromisoformat(started.replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        return ""
    if begun.tzinfo is None:
        begun = begun.replace(tzinfo=timezone.utc)
    return duration_text((datetime.now(timezone.utc) - begun).total_seconds())


def progress_text(title: str, job: dict) -> str:
    """``Audit #4 · embedding texts · 5,120 / 13,900 · 152 texts/s · about 58 s left · running 40 s``."""
    if job["status"] == "queued":
        return f"{title} #{job['id']}: waiting to start"
    elapsed = _elapsed(job)
    return " · ".join(p for p in (f"{title} #{job['id']}", job["message"] or "starting",
                                  f"running {elapsed}" if elapsed else "") if p)


def watched_job_ended(kind: str, job: dict | None) -> bool:
    """Remember an active job of ``kind``; True once, when the job this session saw running has ended."""
    key = state.page_key(state.JOB_WATCHING, kind)
    if job is not None and Store.job_active(job):
        st.session_state[key] = job["id"]
        return False
    return job is not None and st.session_state.pop(key, None) == job["id"]


@st.fragment(run_every=POLL_SECONDS)
def job_panel(project_id: int, kind: str, title: str, idle: str = "") -> None:
    """Progress of the latest ``kind`` job of the project; the whole page reruns when a watched one ends.

    Parameters
    ----------
    title : what the job is called on the bar ("Audit", "Training job").
    idle : caption shown when no job of this kind ever ran ("" = nothing).
    """
    with loaders.ui_store() as store:
        job = store.latest_job(store.get_project(project_id), kind)
    if watched_job_ended(kind, job):
        st.rerun()  # results of the finished job: redraw the page, not just this panel
    if job is None:
        if idle:
            st.caption(idle)
        return
    if Store.job_active(job):
        st.progress(min(max(float(job["progress"]), 0.0), 1.0), text=components.md(progress_text(title, job)))
    elif job["status"] == "failed":
        components.message("error", f"{title} #{job['id']} failed: {job['error']}")
    elif job.get("finished_at"):
        st.caption(f"{title} #{job['id']} finished at {job['finished_at'][:19].replace('T', ' ')} UTC.")


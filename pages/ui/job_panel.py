"""The one progress panel for background jobs: polls the job row, shows its phase, and redraws the page
when a job this page watched ends (so results appear without leaving and coming back)."""

from __future__ import annotations

from datetime import datetime, timezone

import streamlit as st

from pages.ui import components, loaders
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


def ended_job_id(store, project, kind: str) -> int | None:
    """The id of the latest ``kind`` job if it has ended (the page draws its results), else None."""
    job = store.latest_job(project, kind)
    return job["id"] if job is not None and not Store.job_active(job) else None


def _polling() -> bool:
    """True on the panel's own timed reruns; False while the whole page is being drawn (a rerun then would
    throw away what the page shows once, e.g. "Training job #3 started"; the next tick redraws instead)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return bool(ctx is not None and getattr(ctx, "fragment_ids_this_run", None))


@st.fragment(run_every=POLL_SECONDS)
def job_panel(project_id: int, kind: str, title: str, shown: int | None, idle: str = "", after_failure: str = "") -> None:
    """Progress of the latest ``kind`` job of the project; the whole page reruns when a job ends that the page
    has not drawn yet.

    Parameters
    ----------
    title : what the job is called on the bar ("Audit", "Training job").
    shown : :func:`ended_job_id` when the page was drawn: the ended job whose results it shows.
    idle : caption shown when no job of this kind ever ran ("" = nothing).
    after_failure : what happens next when the latest job failed ("It is tried again with the next label.").
    """
    with loaders.ui_store() as store:
        job = store.latest_job(store.get_project(project_id), kind)
    if job is not None and not Store.job_active(job) and job["id"] != shown and _polling():
        st.rerun()  # a job ended since the page was drawn: redraw the page with its results, not just this panel
    if job is None:
        if idle:
            st.caption(idle)
        return
    if Store.job_active(job):
        st.progress(min(max(float(job["progress"]), 0.0), 1.0), text=components.md(progress_text(title, job)))
    elif job["status"] == "failed":
        components.message("error", f"{title} #{job['id']} failed: {job['error']}"
                           + (f" {after_failure}" if after_failure else ""))
    elif job.get("finished_at"):
        st.caption(f"{title} #{job['id']} finished at {job['finished_at'][:19].replace('T', ' ')} UTC.")


"""An audit as a background job (through :mod:`workbench.jobs`, like training)."""

from __future__ import annotations

from services.audit.config import AuditConfig
from services.audit.run import run_audit
from workbench import jobs

JOB_KIND = "audit"


def start_audit(store, project, config: AuditConfig | None = None, *, wait: bool = False) -> int:
    """Queue an audit job and run it in a daemon thread with its own store (here when ``wait``); return the job id.

    Raises ConflictError if an audit of this project is already queued/running.
    """
    config = config or AuditConfig()
    jobs.recover(store)
    job_id = store.create_job(project, JOB_KIND, config.to_dict())
    project_id = project.id

    def work(own, progress):
        audit_id = run_audit(own, own.get_project(project_id), config, progress)
        return {"audit_id": audit_id, **own.audit_counts(audit_id)}

    return jobs.start(store.path, job_id, work, what="audit", wait=wait)

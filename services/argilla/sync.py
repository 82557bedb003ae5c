"""Link a project, sync it as a background job, report its status, and refresh it after a retrain."""

from __future__ import annotations

import logging
from typing import Any

from services.argilla.connection import ArgillaClient, ArgillaSettings, checked, masked, resolve_settings
from services.argilla.datasets import describe, find_dataset
from services.argilla.pull import pull
from services.argilla.push import push, require_link
from workbench import jobs
from workbench.errors import ConflictError, WorkbenchError

PUSH_JOB, PULL_JOB = "argilla_push", "argilla_pull"
log = logging.getLogger("workbench.argilla")


def link(store, project, client: ArgillaClient, *, dataset: str | None = None, auto_push: bool = True) -> dict:
    """Link ``project`` to ``dataset`` (default: the project name) in the client's workspace.

    A dataset of that name that does not fit the project is refused before anything changes.
    """
    name = (dataset or project.name).strip()
    existing = find_dataset(client, client.settings.workspace, name)
    if existing is not None:
        describe(client, existing, project)
    store.link_argilla(project, client.url, client.settings.workspace, name, auto_push=auto_push)
    if existing is not None:
        store.update_argilla_link(project, dataset_id=existing["id"])
    return store.argilla_link(project)


def status(store, project, client: ArgillaClient | None = None) -> dict[str, Any]:
    """The link, local counts (pushed / responded / pending) and, given a client, the server's progress."""
    link_row = store.argilla_link(project)
    out: dict[str, Any] = {"project": project.name, "linked": link_row is not None, "link": link_row,
                           "counts": store.argilla_counts(project)}
    if client is not None:
        out["server"] = {"url": client.url, "key": masked(client.settings.api_key)}
        if link_row is not None:
            dataset = find_dataset(client, link_row["workspace"], link_row["dataset"])
            out["server"]["dataset_exists"] = dataset is not None
            if dataset is not None:
                out["server"]["progress"] = client.request("GET", f"/api/v1/datasets/{dataset['id']}/progress")
    return out


def _job(store, project, kind: str, settings: ArgillaSettings, params: dict, wait: bool) -> int:
    jobs.recover(store)
    job_id = store.create_job(project, kind, params)
    project_id = project.id

    def work(own, progress):
        proj = own.get_project(project_id)
        try:
            with checked(settings) as client:
                if kind == PUSH_JOB:
                    return push(own, proj, client, progress=progress, **params).to_dict()
                report = pull(own, proj, client, progress=progress).to_dict()
                report["retrain_job"] = retrain_if_due(own, proj)
                return report
        except WorkbenchError as exc:
            if own.argilla_link(proj):
                own.update_argilla_link(proj, last_error=str(exc))
            raise

    return jobs.start(store.path, job_id, work, what=f"Argilla {kind.split('_')[1]}", wait=wait)


def start_push(store, project, settings: ArgillaSettings, *, only: str = "all", limit: int | None = None,
               vectors: bool = True, wait: bool = False) -> int:
    """Push as a background job (progress on the job row); return the job id."""
    return _job(store, project, PUSH_JOB, settings, {"only": only, "limit": limit, "vectors": vectors}, wait)


def start_pull(store, project, settings: ArgillaSettings, *, wait: bool = False) -> int:
    """Pull as a background job; a pull that brings ``retrain_every`` new labels starts a retrain."""
    return _job(store, project, PULL_JOB, settings, {}, wait)


def retrain_if_due(store, project, *, detached: bool = False) -> int | None:
    """Start a retrain when pulled (and other) labels reached ``retrain_every``, like labels made in the UI.

    ``detached`` runs it in its own process (the CLI exits before it ends).
    """
    from services.training import labels_since_training, launch_process, maybe_retrain

    if not detached:
        return maybe_retrain(store, project)
    every = project.settings.retrain_every
    if every <= 0 or labels_since_training(store, project) < every:
        return None
    try:
        return launch_process(store, project)
    except ConflictError:
        return None


def start_refresh(store, project, *, wait: bool = False) -> int | None:
    """After a retrain: re-push the records already in Argilla with the new suggestions and scores, as its own
    background push job (vectors do not change, so they are not resent); return its job id or None.

    Runs when the project is linked with ``auto_push``. A failure is written to the link (the Argilla page
    and ``argilla status`` show it) and never fails the training.
    """
    link_row = store.argilla_link(project)
    if link_row is None or not link_row["auto_push"] or not store.pushed_ids(project):
        return None
    try:
        settings = settings_for_link(store, link_row)
        return _job(store, project, PUSH_JOB, settings, {"only": "pushed", "limit": None, "vectors": False}, wait)
    except ConflictError:
        return None  # a push is running; the next retrain refreshes again
    except WorkbenchError as exc:
        store.update_argilla_link(project, last_error=f"refresh after retrain: {exc}")
        log.warning("Argilla refresh of %s failed: %s", project.name, exc)
        return None


def settings_for_link(store, link_row: dict[str, Any] | None, **overrides: Any) -> ArgillaSettings:
    """Settings for a linked project (its URL and workspace unless overridden; the key as resolved), or the
    resolved settings when ``link_row`` is None."""
    link_row = link_row or {}
    return resolve_settings(store.path, url=overrides.get("url") or link_row.get("url"),
                            api_key=overrides.get("api_key"),
                            workspace=overrides.get("workspace") or link_row.get("workspace"))


def open_client(store, link_row: dict[str, Any] | None = None, **overrides: Any) -> ArgillaClient:
    """A checked client (reachable, key accepted, owner or admin) for a link or the resolved settings."""
    return checked(settings_for_link(store, link_row, **{k: v for k, v in overrides.items() if v}))


def linked_client(store, project, **overrides: Any) -> ArgillaClient:
    """A checked client for a linked project; raises (with the command that links it) when it is not linked."""
    return open_client(store, require_link(store, project), **overrides)

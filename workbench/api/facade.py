"""The public Python API: what scripts, notebooks, tests, the CLI and the UI call.

Every call opens its own short-lived store connection, so one
:class:`Workbench` may be shared by threads and each process opens its own;
errors are the project's exception classes (:mod:`workbench.errors`) with the
same messages the CLI prints. Services (training, audits) are imported inside
the calls that need them: ``import workbench.api`` stays light.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench import accounts, config, queue
from workbench.errors import PermissionDeniedError
from workbench.store import Project, Record, Store
from workbench.types import ProgressFn


@dataclass(frozen=True)
class Item:
    """A record served to an annotator: ``id`` and ``text``, plus why it came (``kind``, ``source``)."""

    id: int
    text: str
    kind: str
    source: str
    record: Record


class Workbench:
    """One database. Build it with :func:`connect`.

    Parameters
    ----------
    db_path : path
        SQLite file; created and migrated when missing.
    """

    def __init__(self, db_path: str | Path):
        self.db_path = Path(db_path)
        # (project, annotator, record id) served by next(): label() judges it as a queued item (late = stale)
        self._served: set[tuple[str, str, int]] = set()
        self._served_lock = threading.Lock()
        Store(self.db_path).close()  # open once: create the file and apply pending migrations

    @contextmanager
    def store(self) -> Iterator[Store]:
        """A fresh connection for one unit of work, always closed (migrations ran once, in ``__init__``)."""
        store = Store(self.db_path, migrate=False)
        try:
            yield store
        finally:
            store.close()

    # -- projects and data --------------------------------------------------------------
    def project(self, name: str) -> Project:
        with self.store() as s:
            return s.get_project(name)

    def create_project(self, name: str, task: str, labels, guidelines: str = "") -> Project:
        with self.store() as s:
            return s.create_project(name, task, labels, guidelines)

    def rename_project(self, project: str, new_name: str) -> Project:
        with self.store() as s:
            return s.rename_project(s.get_project(project), new_name)

    def duplicate_project(self, project: str, new_name: str) -> Project:
        """A new empty project with the labels, guidelines and settings of ``project``."""
        from workbench.project_admin import duplicate_settings

        with self.store() as s:
            return duplicate_settings(s, s.get_project(project), new_name)

    def settings(self, project: str, **changes: Any) -> config.ProjectSettings:
        """The project's active-learning settings after ``changes`` (none: just read them); see
        :func:`services.training.settings.change_settings` for what is checked."""
        with self.store() as s:
            p = s.get_project(project)
            if not changes:
                return p.settings
            from services.training.settings import change_settings

            return change_settings(s, p, changes).settings

    def archive_project(self, project: str, archived: bool = True) -> Project:
        with self.store() as s:
            return s.set_archived(s.get_project(project), archived)

    def delete_project(self, project: str, confirm: str) -> Path:
        """Back the project up to ``<db>.backups/`` and delete it (``confirm`` = its name); the backup's path."""
        from workbench.project_admin import delete_project

        with self.store() as s:
            return delete_project(s, s.get_project(project), confirm)

    def comment(self, project: str, record_id: int, author: str, body: str, *, unsure: bool = False) -> int:
        """A comment on a record; ``unsure`` also raises a flag reviewers can filter by."""
        with self.store() as s:
            return s.add_comment(s.get_project(project), record_id, author, body, unsure=unsure)

    def import_file(self, project: str, path, **options: Any):
        """:func:`workbench.io.import_file` (all or nothing); returns its ImportReport."""
        from workbench.io import import_file

        with self.store() as s:
            return import_file(s, project, path, **options)

    def export(self, project: str, out, **options: Any):
        """:func:`workbench.io.export_project`; returns its ExportReport. ``source="consensus"`` computes the
        consensus labels first (:func:`services.agreement.export_consensus`)."""
        from workbench.io import export_project

        with self.store() as s:
            if options.get("source") == "consensus" and "consensus" not in options:
                from services.agreement import export_consensus

                options["consensus"] = export_consensus(s, s.get_project(project), "consensus")
            return export_project(s, project, out, **options)

    # -- annotating ---------------------------------------------------------------------------
    def next(self, project: str, annotator: str) -> Item | None:
        """Lease and return the next record for ``annotator`` (None when the queue is empty).

        With accounts, ``annotator`` must be an enabled account and a member of the project
        (:func:`workbench.accounts.resolve_annotator`); re-checks go only to roles that decide audits.
        """
        from services.training import start_first_order

        with self.store() as s:
            proj = s.get_project(project)
            user = accounts.resolve_annotator(s, annotator, proj)
            start_first_order(s, proj)  # before the first label: a diverse queue head, not import order
            item = queue.next_item(s, proj, user.username, rechecks=user.can("audit"))
        if item is None:
            return None
        with self._served_lock:
            self._served.add((project, user.username, item.record.id))
        return Item(item.record.id, item.record.text, item.kind, item.source, item.record)

    def label(self, project: str, record_id: int, annotator: str, value: Any) -> queue.Decision:
        """Store a label (a name, a list for multi-label, ``[{"start", "end", "label"}]`` for NER) and start a
        background retrain when ``retrain_every`` new labels arrived.

        Returns a :class:`workbench.queue.Decision`: ``stale`` (with a ``notice``) when someone else
        labelled the record after :meth:`next` served it; the label is kept in history, not made current.
        """
        return self._decide(project, record_id, annotator, "label", value)

    def skip(self, project: str, record_id: int, annotator: str) -> queue.Decision:
        return self._decide(project, record_id, annotator, "skip", None)

    def undo(self, project: str, annotator: str) -> int | None:
        """Retract the annotator's own latest live decision; return the retracted row id (None: nothing to undo).

        Nobody undoes someone else's decision: an admin or reviewer who disagrees adds their own row.
        """
        with self.store() as s:
            proj = s.get_project(project)
            return s.undo_last(proj, accounts.resolve_annotator(s, annotator, proj).username)

    def _decide(self, project: str, record_id: int, annotator: str, kind: str, value: Any) -> queue.Decision:
        with self.store() as s:
            proj = s.get_project(project)
            name = accounts.resolve_annotator(s, annotator, proj).username  # the key next() stored
            opened = queue.open_record(s, proj, record_id)
        with self._served_lock:
            served = (project, name, record_id) in self._served
            self._served.discard((project, name, record_id))
        # served by next(): a queued item (a label after others completed it is stale); else a deliberate edit
        item = queue.QueueItem(opened.record, "new", "api") if served else opened
        return self.decide(project, annotator, item, kind, value)

    def decide(self, project: str, annotator: str, item: queue.QueueItem, kind: str, value: Any = None
               ) -> queue.Decision:
        """Record a decision on a served :class:`~workbench.queue.QueueItem` (what the Annotate page holds),
        then start a background retrain when a label made ``retrain_every`` new ones.

        ``kind`` is ``label`` (re-checks become ``keep`` / ``relabel``), ``skip`` or ``exclude``.
        """
        from services.training import maybe_retrain

        with self.store() as s:
            proj = s.get_project(project)
            user = accounts.resolve_annotator(s, annotator, proj)
            _check_may_change(s, user, item)
            decision = queue.decide(s, proj, user.username, item, kind, value)
            if kind in ("label", "relabel"):
                maybe_retrain(s, proj)  # a cheap count; the retrain itself runs in a background thread
            return decision

    # -- models and audits --------------------------------------------------------------------
    def train(self, project: str, *, wait: bool = True, adapter: str | None = None,
              strategy: str | None = None, progress: ProgressFn | None = None) -> dict[str, Any]:
        """Retrain now; with ``wait`` the job's result (``model_version_id``, ``metrics``...; ``progress(fraction,
        message)`` follows it), else ``{"job_id"}``."""
        from services.training import start_training

        with self.store() as s:
            job_id = start_training(s, s.get_project(project), adapter=adapter, strategy=strategy, wait=wait,
                                    echo=progress)
            return s.job(job_id)["result"] if wait else {"job_id": job_id}

    def audit(self, project: str, *, source: str = "annotations", progress: ProgressFn | None = None,
              **options: Any) -> dict[str, Any]:
        """Run a label audit now (:class:`services.audit.AuditConfig` options; ``progress(fraction, message)``
        follows it); return its JSON report."""
        from services import audit

        with self.store() as s:
            audit_id = audit.run_audit(s, s.get_project(project), audit.AuditConfig(source=source, **options),
                                       progress=progress)
            return audit.report(s, audit_id)

    def status(self, project: str) -> dict[str, Any]:
        """Record and annotation counts, with per-label counts (human and reference)."""
        with self.store() as s:
            return s.project_stats(s.get_project(project))

    # -- Argilla ------------------------------------------------------------------------------
    def argilla_link(self, project: str, *, dataset: str | None = None, auto_push: bool = True,
                     **server: Any) -> dict[str, Any]:
        """Link a project to an Argilla dataset (``server``: ``url`` / ``api_key`` / ``workspace`` overrides)."""
        from services import argilla
        from services.argilla.sync import open_client

        with self.store() as s, open_client(s, **server) as client:
            return argilla.link(s, s.get_project(project), client, dataset=dataset, auto_push=auto_push)

    def argilla_push(self, project: str, *, only: str = "all", limit: int | None = None, vectors: bool = True,
                     **server: Any) -> dict[str, Any]:
        """Push records, suggestions, scores and vectors to the linked dataset; return the push report."""
        from services import argilla

        with self.store() as s, self._argilla(s, project, server) as client:
            return argilla.push(s, s.get_project(project), client, only=only, limit=limit, vectors=vectors).to_dict()

    def argilla_pull(self, project: str, **server: Any) -> dict[str, Any]:
        """Pull new, changed and deleted responses; a pull that brings ``retrain_every`` labels starts a retrain."""
        from services import argilla

        with self.store() as s, self._argilla(s, project, server) as client:
            report = argilla.pull(s, s.get_project(project), client).to_dict()
            report["retrain_job"] = argilla.retrain_if_due(s, s.get_project(project))
            return report

    def argilla_status(self, project: str) -> dict[str, Any]:
        """The link and the local counts (pushed / responded / pending)."""
        from services import argilla

        with self.store() as s:
            return argilla.status(s, s.get_project(project))

    @staticmethod
    def _argilla(store, project: str, server: dict[str, Any]):
        from services.argilla.sync import linked_client

        return linked_client(store, store.get_project(project), **server)


def _check_may_change(store, user, item: queue.QueueItem) -> None:
    """Annotators change only their own decisions; re-checks of audited labels need the audit role."""
    if item.kind == "recheck" and not user.can("audit"):
        raise PermissionDeniedError(f"{user.username} ({user.role}) may not decide audit re-checks; ask a reviewer")
    if item.kind == "revisit" and not user.can("team"):
        labellers = store.current_labellers(item.record.id)
        if labellers and user.username not in labellers:
            raise PermissionDeniedError(f"{user.username} ({user.role}) may change only their own labels; this "
                                        "record was labelled by someone else")


def connect(db_path: str | Path | None = None) -> Workbench:
    """Open (and migrate) a database: ``db_path``, else ``$WORKBENCH_DB`` or ``data/workbench.db``."""
    return Workbench(db_path or config.db_path())

"""SQLite store (one connection, WAL, foreign keys, named migrations)."""

from __future__ import annotations

from workbench.store.accounts import AccountsMixin
from workbench.store.annotations import Annotation, AnnotationsMixin, derive_state
from workbench.store.argilla import ArgillaMixin
from workbench.store.audits import AuditsMixin
from workbench.store.base import StoreBase, dumps, loads, now
from workbench.store.browse import BrowseMixin
from workbench.store.comments import CommentsMixin
from workbench.store.embeddings import EmbeddingsMixin
from workbench.store.explore import ExploreMixin
from workbench.store.jobs import JOB_ACTIVE, JobsMixin
from workbench.store.models import ModelsMixin
from workbench.store.progress import ProgressMixin
from workbench.store.projects import Project, ProjectsMixin
from workbench.store.queue import QueueMixin
from workbench.store.records import NewRecord, Record, RecordsMixin
from workbench.store.stats import StatsMixin


class Store(ProjectsMixin, RecordsMixin, AnnotationsMixin, QueueMixin, BrowseMixin, ProgressMixin, ModelsMixin,
            JobsMixin, EmbeddingsMixin, AuditsMixin, AccountsMixin, ArgillaMixin, ExploreMixin, CommentsMixin,
            StatsMixin, StoreBase):
    """The one entry point to the database. See :class:`StoreBase` for threading rules."""


def open_store(path=None) -> Store:
    """Open the configured database (``$WORKBENCH_DB`` or ``data/workbench.db``)."""
    from workbench.config import db_path

    return Store(path or db_path())


__all__ = [
    "JOB_ACTIVE", "Annotation", "NewRecord", "Project", "Record", "Store", "derive_state", "dumps", "loads", "now", "open_store",
]

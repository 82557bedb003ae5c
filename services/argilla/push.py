"""Push records from the local store to the linked Argilla dataset: idempotent upserts in batches.

Records are built only from the store, never from records fetched back from Argilla (re-logging those
would send their responses again). An upsert keeps a record's responses; it replaces the suggestion of
the ``label`` question, and a record whose model suggestion disappeared has its old one deleted.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from services.argilla import mapping
from services.argilla.datasets import DatasetInfo, ensure_dataset
from workbench import jobs
from workbench.errors import NotFoundError, ValidationError
from workbench.registry import one_of
from workbench.store.base import now
from workbench.types import ProgressFn

#: what a push may send (``pushed`` = refresh what was pushed before)
PUSH_SETS = ("unlabelled", "flagged", "all", "pushed")
#: Argilla's limit on one bulk upsert
BATCH = 500


@dataclass
class PushReport:
    dataset: str
    pushed: int = 0
    created: int = 0
    updated: int = 0
    suggestions_removed: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def require_link(store, project) -> dict[str, Any]:
    link = store.argilla_link(project)
    if link is None:
        raise NotFoundError(f"project {project.name!r} is not linked to Argilla; link it first "
                            f"(`python -m workbench argilla link {project.name}` or the Argilla page)")
    return link


def model_agent(store, project) -> str | None:
    """``<adapter>-v<version>`` of the active model, the agent of its suggestions (None without a model)."""
    if project.active_model_version is None:
        return None
    version = store.model_version(project.active_model_version)
    return f"{version['adapter']}-v{version['id']}"


def push(store, project, client, *, only: str = "all", limit: int | None = None, vectors: bool = True,
         progress: ProgressFn | None = None) -> PushReport:
    """Upsert the chosen records (see :meth:`Store.push_candidates`) into the linked dataset.

    Parameters
    ----------
    only : str
        One of :data:`PUSH_SETS`.
    limit : int, optional
        Push at most this many (the first in the set's order).
    vectors : bool
        Send each record's sentence vector (embedded now where not cached).
    """
    one_of(only, PUSH_SETS, "push set")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise ValidationError(f"--limit must be a whole number >= 1, got {limit!r}")
    started = time.monotonic()
    link = require_link(store, project)
    audit = store.latest_audit(project)
    audit_id = audit["id"] if audit else None
    ids = store.push_candidates(project, only, audit_id, limit)
    report = PushReport(dataset=link["dataset"])
    if not ids:
        report.notes.append(f"nothing to push: no {only} records")
        return report
    meta_props = mapping.meta_types(r.meta for r in store.iter_records(project.id))
    declared = {name: kind for name, (_key, kind) in meta_props.items()} | mapping.OWN_METADATA
    first_vectors = _vectors(store, project, store.get_records(ids[:BATCH])) if vectors else None
    dim = None if first_vectors is None else int(first_vectors.shape[1])
    info = ensure_dataset(client, project, link["workspace"], link["dataset"], declared, dim)
    store.update_argilla_link(project, dataset_id=info.id)
    batches = _Batches(store, project, client, info, audit_id, model_agent(store, project), meta_props, only,
                       vectors, report)
    report_progress = jobs.throttled(progress) if progress else None
    for start in range(0, len(ids), BATCH):
        batch = ids[start:start + BATCH]
        batches.send(batch, first_vectors if start == 0 else None)
        if report_progress:
            report_progress((start + len(batch)) / len(ids), f"pushed {start + len(batch)}/{len(ids)} records")
    report.suggestions_removed = _remove_suggestions(store, project, client, batches.stale)
    store.update_argilla_link(project, last_push_at=now(), last_error=None)
    report.seconds = round(time.monotonic() - started, 3)
    return report


def _vectors(store, project, records):
    from services.embeddings import embed_records

    return embed_records(store, project, records)


@dataclass
class _Batches:
    """One push's upserts: builds each batch's JSON from the store and records what the server kept."""

    store: Any
    project: Any
    client: Any
    info: DatasetInfo
    audit_id: int | None
    agent: str | None
    meta_props: dict[str, tuple[str, str]]
    only: str
    vectors: bool
    report: PushReport
    #: records whose suggestion disappeared since their last push (deleted at the end)
    stale: list[int] = field(default_factory=list)

    def send(self, batch: list[int], batch_vectors=None) -> None:
        store, project = self.store, self.project
        records = store.get_records(batch)
        facts = store.push_facts(project, batch, self.audit_id)
        before = store.pushed_records(project, batch)
        open_issues = store.open_issue_ids(project, self.audit_id, batch)
        if self.vectors and self.info.vector_dim and batch_vectors is None:
            batch_vectors = _vectors(store, project, records)
        items, agents, issues = [], {}, {}
        for i, rec in enumerate(records):
            earlier = before.get(rec.id) or {}
            # an audit fix keeps the label under audit as its suggestion until the issue is decided
            issues[rec.id] = open_issues.get(rec.id) if (self.only == "flagged" or earlier.get("audit_issue_id")) else None
            suggestion, agents[rec.id] = mapping.suggestion_of(project, facts[rec.id], self.info.question_id,
                                                               self.agent, issues[rec.id] is not None)
            item: dict[str, Any] = {"external_id": str(rec.id), "fields": {mapping.TEXT_FIELD: rec.text},
                                    "metadata": mapping.metadata_of(rec, facts[rec.id], self.meta_props, self.agent)}
            if earlier:
                item["id"] = earlier["argilla_id"]
            if suggestion is not None:
                item["suggestions"] = [suggestion]
            elif earlier.get("suggestion_agent"):
                self.stale.append(rec.id)
            if self.vectors and self.info.vector_dim:
                item["vectors"] = {mapping.VECTOR: [float(x) for x in batch_vectors[i]]}
            items.append(item)
        answer = self.client.request("PUT", f"/api/v1/datasets/{self.info.id}/records/bulk", json={"items": items})
        by_external = {it["external_id"]: it["id"] for it in answer["items"]}
        store.mark_pushed(project, [(r.id, by_external[str(r.id)], agents[r.id], issues[r.id]) for r in records])
        # the server's answer does not say which items it updated: the ones pushed before (sent with their id) were
        updated = sum(1 for rec in records if rec.id in before)
        self.report.pushed += len(records)
        self.report.updated += updated
        self.report.created += len(records) - updated


def _remove_suggestions(store, project, client, record_ids: list[int]) -> int:
    """Delete the old suggestions of records that no longer have one (a model reset, a closed audit issue)."""
    removed = 0
    pushed = store.pushed_records(project, record_ids)
    for rid in record_ids:
        argilla_id = pushed[rid]["argilla_id"]
        found = client.request("GET", f"/api/v1/records/{argilla_id}/suggestions")["items"]
        if found:
            client.request("DELETE", f"/api/v1/records/{argilla_id}/suggestions",
                           params={"ids": ",".join(s["id"] for s in found)}, ok=(200, 204))
            removed += len(found)
    store.mark_pushed(project, [(rid, pushed[rid]["argilla_id"], None, None) for rid in record_ids])
    return removed

"""Pull Argilla responses into the append-only annotation history, incrementally.

Every pull reads the responses of the linked dataset from the REST search (``include=responses``:
the SDK drops response ids and times) and compares each with what the previous pulls saw
(``argilla_responses``): a new or changed response becomes an annotation row (``source =
argilla``), an unchanged one adds nothing, and one that disappeared retracts the row it produced.
The watermark (the newest response ``updated_at`` seen) is shown in the status; record
``updated_at`` is not used, since a response does not change it.

| Argilla response | annotation row |
|---|---|
| submitted | ``label`` (``keep`` / ``relabel`` carrying the issue id when the record was pushed for an open audit issue) |
| discarded | ``skip`` |
| draft | nothing (a submitted response turned back into a draft retracts its row) |
| deleted | the row it produced is retracted |

A (record, person) conflict is settled by time: when the person made a newer decision on the record
in the workbench than the Argilla response's ``updated_at``, the pulled row is kept in the history
as stale and never becomes the current label.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from services.argilla import mapping
from services.argilla.datasets import describe, find_dataset
from services.argilla.push import require_link
from workbench import jobs
from workbench.errors import ArgillaError, ValidationError
from workbench.store.base import now
from workbench.types import SYSTEM_ANNOTATORS, ProgressFn, validate_value

PAGE = 1000
#: Argilla's limit on the values of one ``terms`` filter
IN_LIMIT = 250
RESPONDED = ("submitted", "discarded", "draft")


@dataclass
class PullReport:
    dataset: str
    labels: int = 0
    skips: int = 0
    changed: int = 0
    retracted: int = 0
    drafts: int = 0
    unchanged: int = 0
    stale: int = 0
    issues_closed: int = 0
    #: responses on records the workbench did not push (created in Argilla), ignored
    unknown_records: int = 0
    #: responses whose value the project refuses (e.g. a label removed since), one line each
    refused: list[str] = field(default_factory=list)
    watermark: str | None = None
    seconds: float = 0.0

    @property
    def added(self) -> int:
        """Annotation rows written that decide something (labels, skips, audit decisions)."""
        return self.labels + self.skips + self.issues_closed

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "added": self.added}


def _utc(stamp: str) -> datetime:
    parsed = datetime.fromisoformat(stamp)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def annotator_name(username: str) -> str:
    """The workbench annotator of an Argilla user: the same name (an account of that name is that person);
    names the workbench keeps for itself get an ``argilla:`` prefix."""
    return f"argilla:{username}" if username in SYSTEM_ANNOTATORS else username


def linked_dataset(store, project, client) -> dict[str, Any]:
    link = require_link(store, project)
    dataset = find_dataset(client, link["workspace"], link["dataset"])
    if dataset is None:
        raise ArgillaError(f"Argilla dataset {link['dataset']!r} is not in workspace {link['workspace']!r} on "
                           f"{client.url}; push the project first")
    return dataset


def pull(store, project, client, *, records: list[str] | None = None,
         progress: ProgressFn | None = None) -> PullReport:
    """Turn the linked dataset's new, changed and deleted responses into annotation rows.

    ``records`` (Argilla record ids, e.g. from webhook events) reads only those records' responses: a
    response of theirs seen before and gone now was deleted. Without it every response is read.
    """
    started = time.monotonic()
    dataset = linked_dataset(store, project, client)
    describe(client, dataset, project)  # the schema must still fit before anything is written
    users = {u["id"]: u["username"] for u in client.request("GET", "/api/v1/users")["items"]}
    report = PullReport(dataset=dataset["name"])
    puller = _Puller(store, store.get_project(project.id), users, store.pulled_responses(project), report)
    report_progress = jobs.throttled(progress) if progress else None
    if records is None:
        _read(store, client, dataset["id"], _query({"type": "terms", "values": list(RESPONDED),
                                                    "scope": {"entity": "response", "property": "status"}}),
              puller, report_progress)
    else:
        unique = list(dict.fromkeys(records))
        for start in range(0, len(unique), IN_LIMIT):
            chunk = unique[start:start + IN_LIMIT]
            _read(store, client, dataset["id"], _query({"type": "terms", "values": chunk,
                                                        "scope": {"entity": "record", "property": "id"}}),
                  puller, None)
    with store.atomic():
        puller.retract_missing(None if records is None else set(store.record_ids_by_argilla_id(project, records).values()))
        store.update_argilla_link(project, dataset_id=dataset["id"], last_pull_at=now(), last_error=None,
                                  **({"watermark": report.watermark} if report.watermark else {}))
    report.seconds = round(time.monotonic() - started, 3)
    return report


def apply_events(store, project, events: list[dict[str, Any]]) -> PullReport:
    """Apply the responses that signed webhook events carry (``response.created`` / ``updated`` /
    ``deleted``), in order, without reading them back from the server: the same rules as :func:`pull`."""
    started = time.monotonic()
    report = PullReport(dataset="(webhook events)")
    users: dict[str, str] = {}
    puller = _Puller(store, store.get_project(project.id), users, store.pulled_responses(project), report)
    with store.atomic():
        puller.resolve([e["data"]["record"]["id"] for e in events])
        for event in events:
            data = event["data"]
            users[data["user"]["id"]] = data["user"]["username"]
            if event["type"] == "response.deleted":
                puller.deleted(data["id"])
                continue
            puller.record({"id": data["record"]["id"], "responses": [
                {"id": data["id"], "values": data.get("values") or {}, "status": data["status"],
                 "user_id": data["user"]["id"], "updated_at": data["updated_at"]}]})
        if report.watermark:
            store.update_argilla_link(project, last_pull_at=now(), watermark=report.watermark)
    report.seconds = round(time.monotonic() - started, 3)
    return report


def _query(condition: dict[str, Any]) -> dict[str, Any]:
    return {"filters": {"and": [condition]},
            "sort": [{"scope": {"entity": "record", "property": "inserted_at"}, "order": "asc"}]}


def _read(store, client, dataset_id: str, query: dict[str, Any], puller, report_progress) -> None:
    """Page through a records search with responses, feeding each record to ``puller``."""
    offset = 0
    while True:
        page = client.request("POST", f"/api/v1/datasets/{dataset_id}/records/search", json=query,
                              params={"include": ["responses"], "limit": PAGE, "offset": offset})
        items = page["items"]
        with store.atomic():
            puller.resolve([item["record"]["id"] for item in items])
            for item in items:
                puller.record(item["record"])
        offset += len(items)
        if report_progress and page["total"]:
            report_progress(min(offset / page["total"], 1.0), f"read {offset}/{page['total']} records with responses")
        if not items or offset >= page["total"]:
            return


class _Puller:
    """One pull's pass over the responses (written inside the caller's transaction)."""

    def __init__(self, store, project, users: dict[str, str], known: dict[str, dict], report: PullReport):
        self.store, self.project, self.users, self.known, self.report = store, project, users, known, report
        self.seen: set[str] = set()
        #: Argilla record id -> workbench record id, for the records about to be read (:meth:`resolve`)
        self.ids: dict[str, int] = {}

    def resolve(self, argilla_ids: list[str]) -> None:
        """Look up a page's workbench record ids in one query (not one per record)."""
        self.ids = self.store.record_ids_by_argilla_id(self.project, argilla_ids)

    def record(self, rec: dict[str, Any]) -> None:
        record_id = self.ids.get(rec["id"])
        for resp in rec.get("responses") or []:
            self.seen.add(resp["id"])
            if record_id is None:
                self.report.unknown_records += 1
                continue
            stamp = resp["updated_at"]
            if self.report.watermark is None or _utc(stamp) > _utc(self.report.watermark):
                self.report.watermark = stamp
            prev = self.known.get(resp["id"])
            if (prev and not prev["deleted"] and prev["status"] == resp["status"]
                    and _utc(prev["updated_at"]) == _utc(stamp)):
                self.report.unchanged += 1
                continue
            if prev and prev["annotation_id"] and not prev["deleted"]:
                self._retract(prev)
                self.report.changed += 1
            annotation_id = self._apply(record_id, resp)
            username = self.users.get(resp["user_id"], resp["user_id"])
            self.store.save_response(self.project, resp["id"], record_id, username, resp["status"], stamp,
                                     annotation_id)
            self.known[resp["id"]] = {"record_id": record_id, "argilla_user": username, "status": resp["status"],
                                      "updated_at": stamp, "annotation_id": annotation_id, "deleted": 0}

    def deleted(self, response_id: str) -> None:
        """A response reported deleted (a webhook event): retract what it produced."""
        prev = self.known.get(response_id)
        if prev is None or prev["deleted"]:
            return
        if prev["annotation_id"]:
            self._retract(prev)
        self.report.retracted += 1
        self.store.save_response(self.project, response_id, prev["record_id"], prev["argilla_user"], prev["status"],
                                 prev["updated_at"], None, deleted=True)
        self.known[response_id] = {**prev, "annotation_id": None, "deleted": 1}

    def _apply(self, record_id: int, resp: dict[str, Any]) -> int | None:
        status = resp["status"]
        if status == "draft":
            self.report.drafts += 1
            return None
        annotator = annotator_name(self.users.get(resp["user_id"], resp["user_id"]))
        local = self.store.latest_live_label_time(record_id, annotator)
        stale = bool(local) and _utc(local) > _utc(resp["updated_at"])
        self.report.stale += int(stale)
        if status == "discarded":
            self.report.skips += 1
            return self.store.annotate(self.project, record_id, annotator, "skip", source="argilla", stale=stale)
        answer = (resp.get("values") or {}).get(mapping.QUESTION)
        if not answer or answer.get("value") is None:
            self.report.refused.append(f"response {resp['id']} on record {record_id}: no value for question "
                                       f"{mapping.QUESTION!r}")
            return None
        value = mapping.from_argilla_value(self.project.task, answer["value"])
        kind, issue_id = self._kind(record_id, value)
        try:
            with self.store.atomic():
                row = self.store.annotate(self.project, record_id, annotator, kind, value, audit_issue_id=issue_id,
                                          stale=stale and kind == "label", source="argilla")
        except ValidationError as exc:
            self.report.refused.append(f"response {resp['id']} by {annotator} on record {record_id}: {exc}")
            return None
        if issue_id is not None:
            self.report.issues_closed += 1
        else:
            self.report.labels += 1
        return row

    def _kind(self, record_id: int, value: Any) -> tuple[str, int | None]:
        """``label``, or ``keep``/``relabel`` with the issue id for a record pushed for an open audit issue."""
        pushed = self.store.pushed_records(self.project, [record_id]).get(record_id) or {}
        issue_id = pushed.get("audit_issue_id")
        if issue_id is None:
            return "label", None
        issue = self.store.audit_issue(issue_id)
        if issue is None or self.store.open_issue_ids(self.project, issue["audit_id"], [record_id]).get(record_id) != issue_id:
            return "label", None
        text = self.store.get_record(record_id).text
        try:
            same = (validate_value(self.project.task, self.project.labels, value, text)
                    == validate_value(self.project.task, self.project.labels, issue["given"], text))
        except ValidationError:
            same = False
        return ("keep" if same else "relabel"), issue_id

    def _retract(self, prev: dict[str, Any]) -> None:
        self.store.annotate(self.project, prev["record_id"], annotator_name(prev["argilla_user"]), "retract",
                            target_id=prev["annotation_id"], source="argilla")

    def retract_missing(self, record_ids: set[int] | None = None) -> None:
        """Responses seen before and gone now were deleted in Argilla: retract what they produced.

        ``record_ids``: only responses of these records were read, so only theirs can be missing.
        """
        for rid, prev in list(self.known.items()):
            if rid in self.seen or prev["deleted"] or (record_ids is not None and prev["record_id"] not in record_ids):
                continue
            self.deleted(rid)

"""Records and reference labels."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from workbench.errors import NotFoundError
from workbench.store.base import dumps, loads, now


@dataclass
class Record:
    """One text to label. ``id`` is the row id; ``uid`` the per-project content hash."""

    id: int
    project_id: int
    uid: str
    external_id: str | None
    text: str
    meta: dict[str, Any]
    split: str | None
    status: str
    label: Any
    excluded: bool

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Record:
        return cls(
            id=row["id"], project_id=row["project_id"], uid=row["uid"], external_id=row["external_id"],
            text=row["text"], meta=loads(row["meta"]) or {}, split=row["split"], status=row["status"],
            label=loads(row["label"]), excluded=bool(row["excluded"]),
        )


@dataclass(frozen=True)
class NewRecord:
    """A record ready to insert: ``uid`` is a content hash unique within the project."""

    uid: str
    text: str
    external_id: str | None = None
    meta: dict[str, Any] | None = None
    split: str | None = None


RECORD_COLUMNS = "id, project_id, uid, external_id, text, meta, split, status, label, excluded"


class RecordsMixin:
    def insert_records(self, project_id: int, records: Sequence[NewRecord]) -> list[int | None]:
        """Insert a batch; return the new row id of each, or None where the uid exists.

        Call inside :meth:`atomic` to make a multi-batch import all-or-nothing.
        """
        ids: list[int | None] = []
        stamp = now()
        with self.atomic():
            for rec in records:
                cur = self.execute(
                    "INSERT INTO records (project_id, uid, external_id, text, meta, split, created_at)"
                    " VALUES (?,?,?,?,?,?,?) ON CONFLICT (project_id, uid) DO NOTHING",
                    (project_id, rec.uid, rec.external_id, rec.text, dumps(rec.meta or {}), rec.split, stamp),
                )
                ids.append(cur.lastrowid if cur.rowcount else None)
        return ids

    def existing_uids(self, project_id: int, uids: Iterable[str]) -> set[str]:
        return {r[0] for r in self.select_in(
            "SELECT uid FROM records WHERE project_id = ? AND uid IN ({marks})", list(uids), (project_id,))}

    def get_record(self, record_id: int) -> Record:
        row = self.one(f"SELECT {RECORD_COLUMNS} FROM records WHERE id = ?", (record_id,))
        if row is None:
            raise NotFoundError(f"no record with id {record_id}")
        return Record.from_row(row)

    def get_records(self, record_ids: Sequence[int]) -> list[Record]:
        """Records in the order of ``record_ids`` (missing ids are skipped)."""
        ids = list(record_ids)
        out = {row["id"]: Record.from_row(row) for row in self.select_in(
            f"SELECT {RECORD_COLUMNS} FROM records WHERE id IN ({{marks}})", ids)}
        return [out[i] for i in ids if i in out]

    def iter_records(self, project_id: int, *, batch: int = 2000, where: str = "", params: Sequence[Any] = ()):
        """Yield every record of a project in import order, ``batch`` rows at a time (constant memory)."""
        last = 0
        extra = f" AND ({where})" if where else ""
        while True:
            rows = self.query(
                f"SELECT {RECORD_COLUMNS} FROM records WHERE project_id = ? AND id > ?{extra} ORDER BY id LIMIT ?",
                (project_id, last, *params, batch),
            )
            if not rows:
                return
            for row in rows:
                yield Record.from_row(row)
            last = rows[-1]["id"]

    def count_records(self, project_id: int) -> int:
        return self.scalar("SELECT COUNT(*) FROM records WHERE project_id = ?", (project_id,))

    # -- reference labels -------------------------------------------------
    def set_reference_labels(self, project_id: int, items: Iterable[tuple[int, Any]], source: str = "import") -> int:
        """Store (record id, value) reference labels, replacing earlier ones; return the count."""
        stamp, n = now(), 0
        with self.atomic():
            for record_id, value in items:
                self.execute(
                    "INSERT INTO reference_labels (record_id, project_id, value, source, created_at) VALUES (?,?,?,?,?)"
                    " ON CONFLICT (record_id) DO UPDATE SET value = excluded.value, source = excluded.source,"
                    " created_at = excluded.created_at",
                    (record_id, project_id, dumps(value), source, stamp),
                )
                n += 1
        return n

    def reference_labels(self, project_id: int, record_ids: Sequence[int] | None = None) -> dict[int, Any]:
        """Reference label value per record id (all records of the project if ``record_ids`` is None)."""
        if record_ids is None:
            rows = self.conn.execute("SELECT record_id, value FROM reference_labels WHERE project_id = ?", (project_id,))
            return {r[0]: loads(r[1]) for r in rows}
        sql = "SELECT record_id, value FROM reference_labels WHERE record_id IN ({marks})"
        return {r[0]: loads(r[1]) for r in self.select_in(sql, list(record_ids))}

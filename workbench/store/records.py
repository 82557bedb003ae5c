"""Records and reference labels."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
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
    #: people with a live label on it (overlap: done at ``annotators_per_record``)
    n_labellers: int = 0
    #: a reviewer's final label decides it
    reviewed: bool = False

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Record:
        keys = row.keys()  # a dict or an sqlite3.Row; older column lists lack the overlap columns
        return cls(
            id=row["id"], project_id=row["project_id"], uid=row["uid"], external_id=row["external_id"],
            text=row["text"], meta=loads(row["meta"]) or {}, split=row["split"], status=row["status"],
            label=loads(row["label"]), excluded=bool(row["excluded"]), n_labellers=row["n_labellers"] if "n_labellers" in keys else 0,
            reviewed=bool(row["reviewed"]) if "reviewed" in keys else False,
        )


@dataclass(frozen=True)
class NewRecord:
    """A record ready to insert: ``uid`` is a content hash unique within the project."""

    uid: str
    text: str
    external_id: str | None = None
    meta: dict[str, Any] | None = None
    split: str | None = None


RECORD_COLUMNS = "id, project_id, uid, external_id, text, meta, split, status, label, excluded, n_labellers, reviewed"


class RecordsMixin:
    def insert_records(self, project_id: int, records: Sequence[NewRecord]) -> list[int | None]:
        """Insert a batch (one ``executemany``); return the new row id of each, or None where the uid exists.

        Call inside :meth:`atomic` to make a multi-batch import all-or-nothing.
        """
        records = list(records)
        stamp = now()
        with self.atomic():
            present = self.existing_uids(project_id, [r.uid for r in records])
            self.conn.executemany(
                "INSERT INTO records (project_id, uid, external_id, text, meta, split, created_at)"
                " VALUES (?,?,?,?,?,?,?) ON CONFLICT (project_id, uid) DO NOTHING",
                [(project_id, r.uid, r.external_id, r.text, dumps(r.meta or {}), r.split, stamp) for r in records])
            ids = self.ids_by_uid(project_id, [r.uid for r in records if r.uid not in present])
        out: list[int | None] = []
        for r in records:
            out.append(ids.pop(r.uid, None))  # a uid repeated inside the batch is new only once
        return out

    def ids_by_uid(self, project_id: int, uids: Sequence[str]) -> dict[str, int]:
        """Row id of each existing uid of the project."""
        sql = "SELECT uid, id FROM records WHERE project_id = ? AND uid IN ({marks})"
        return {r[0]: r[1] for r in self.select_in(sql, list(uids), (project_id,))}

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

    def labelled_records(self, project, limit: int = 2000) -> list[Record]:
        """The project's ``limit`` most recently labelled records (current label set), newest first."""
        rows = self.query(f"SELECT {RECORD_COLUMNS} FROM records WHERE project_id = ? AND status = 'labelled'"
                          " AND label IS NOT NULL ORDER BY updated_at DESC, id DESC LIMIT ?", (project.id, int(limit)))
        return [Record.from_row(r) for r in rows]

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

    def referenced_records(self, project, split: str | None = None) -> list[tuple[int, str]]:
        """(id, uid) of the project's records that have a reference label (only ``split`` ones if given)."""
        sql = ("SELECT r.id, r.uid FROM records r JOIN reference_labels l ON l.record_id = r.id"
               " WHERE r.project_id = ?")
        rows = self.query(sql + " AND r.split = ?", (project.id, split)) if split else self.query(sql, (project.id,))
        return [(r["id"], r["uid"]) for r in rows]

    def pool_records(self, project) -> list[tuple[int, str]]:
        """(id, text) of records a model may suggest for: not labelled, not excluded; import order."""
        return [(r["id"], r["text"]) for r in self.query(
            "SELECT id, text FROM records WHERE project_id = ? AND status != 'labelled' AND excluded = 0 ORDER BY id",
            (project.id,))]

    def count_records(self, project_id: int) -> int:
        return self.scalar("SELECT COUNT(*) FROM records WHERE project_id = ?", (project_id,))

    # -- reference labels -------------------------------------------------
    def set_reference_labels(self, project_id: int, items: Iterable[tuple[int, Any]], source: str = "import") -> int:
        """Store (record id, value) reference labels, replacing earlier ones (one ``executemany``); return the count."""
        stamp = now()
        rows = [(record_id, project_id, dumps(value), source, stamp) for record_id, value in items]
        with self.atomic():
            self.conn.executemany(
                "INSERT INTO reference_labels (record_id, project_id, value, source, created_at) VALUES (?,?,?,?,?)"
                " ON CONFLICT (record_id) DO UPDATE SET value = excluded.value, source = excluded.source,"
                " created_at = excluded.created_at", rows)
        return len(rows)

    def reference_rows(self, record_ids: Sequence[int]) -> dict[int, tuple[Any, str]]:
        """(reference value, time set) per record id that has a reference label."""
        sql = "SELECT record_id, value, created_at FROM reference_labels WHERE record_id IN ({marks})"
        return {rid: (loads(value), at) for rid, value, at in self.select_in(sql, list(record_ids))}

    def reference_labels(self, project_id: int, record_ids: Sequence[int] | None = None) -> dict[int, Any]:
        """Reference label value per record id (all records of the project if ``record_ids`` is None)."""
        if record_ids is None:
            rows = self.conn.execute("SELECT record_id, value FROM reference_labels WHERE project_id = ?", (project_id,))
            return {r[0]: loads(r[1]) for r in rows}
        sql = "SELECT record_id, value FROM reference_labels WHERE record_id IN ({marks})"
        return {r[0]: loads(r[1]) for r in self.select_in(sql, list(record_ids))}

    # -- repeated texts within one import (a TEMP table: flat memory however long the file) ----
    def start_seen_texts(self) -> None:
        self.execute("CREATE TEMP TABLE IF NOT EXISTS _import_seen"
                     " (h TEXT PRIMARY KEY, first_line INTEGER, n INTEGER) WITHOUT ROWID")
        self.execute("DELETE FROM temp._import_seen")

    def seen_texts(self, hashes: Sequence[str]) -> dict[str, list[int]]:
        """``text hash -> [first line, times seen]`` for the hashes already seen in this import."""
        return {r[0]: [r[1], r[2]] for r in self.select_in(
            "SELECT h, first_line, n FROM temp._import_seen WHERE h IN ({marks})", list(hashes))}

    def mark_seen_texts(self, seen: dict[str, list[int]]) -> None:
        self.conn.executemany("INSERT OR REPLACE INTO temp._import_seen (h, first_line, n) VALUES (?,?,?)",
                              [(h, v[0], v[1]) for h, v in seen.items()])

    def end_seen_texts(self) -> None:
        self.execute("DELETE FROM temp._import_seen")

    # -- label values that name a label (schema edits) --------------------
    def rewrite_stored_values(self, project, names: Sequence[str], convert: Callable[[Any], Any]) -> None:
        """Rewrite reference labels and suggestions that use one of ``names`` in place (they are not history)."""
        like, patterns = _like_any("value", names)
        with self.atomic():
            for table, key in (("reference_labels", "record_id"), ("suggestions", "id")):
                for row in self.query(f"SELECT {key} AS k, value FROM {table} WHERE project_id = ? AND ({like})",
                                      (project.id, *patterns)):
                    self.execute(f"UPDATE {table} SET value = ? WHERE {key} = ?",
                                 (dumps(convert(loads(row["value"]))), row["k"]))


def _like_any(column: str, names: Sequence[str]) -> tuple[str, list[str]]:
    """``column LIKE ? OR ...`` for JSON-quoted names: a cheap pre-filter; callers check the decoded value."""
    return " OR ".join(f"{column} LIKE ?" for _ in names), [f"%{dumps(name)}%" for name in names]

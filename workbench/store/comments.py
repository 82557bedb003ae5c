"""Comments on records and the "unsure" flags annotators raise (open until a reviewer resolves them)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from workbench.errors import ValidationError
from workbench.store.base import dumps, now

MAX_COMMENT_CHARS = 2000
#: SQL: a comment that is an open "unsure" flag
OPEN_FLAG = "c.unsure = 1 AND c.resolved_at IS NULL"


class CommentsMixin:
    def add_comment(self, project, record_id: int, author: str, body: str, *, unsure: bool = False) -> int:
        """Add a comment (and, with ``unsure``, an open flag) to a record of ``project``; return its id.

        Raises
        ------
        ValidationError
            Empty comment without a flag, a comment over :data:`MAX_COMMENT_CHARS`, or a record of another project.
        """
        body = (body or "").strip()
        if not body and not unsure:
            raise ValidationError("write a comment, or flag the record as unsure")
        if len(body) > MAX_COMMENT_CHARS:
            raise ValidationError(f"a comment holds at most {MAX_COMMENT_CHARS:,} characters; this one has {len(body):,}")
        if self.scalar("SELECT COUNT(*) FROM records WHERE id = ? AND project_id = ?", (record_id, project.id)) != 1:
            raise ValidationError(f"record {record_id} is not in project {project.name!r}")
        with self.atomic():
            cur = self.execute(
                "INSERT INTO record_comments (project_id, record_id, author, body, unsure, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)", (project.id, record_id, author, body, int(bool(unsure)), now()))
        return int(cur.lastrowid)

    def comments(self, record_id: int) -> list[dict[str, Any]]:
        """Every comment of a record, oldest first: ``id, author, body, unsure, created_at, resolved_at, resolved_by``."""
        return self._comments("record_id = ?", record_id)

    def project_comments(self, project) -> list[dict[str, Any]]:
        """Every comment of a project, by record then oldest first, with its ``record_id`` (one query)."""
        return self._comments("project_id = ?", project.id)

    def _comments(self, where: str, key: int) -> list[dict[str, Any]]:
        rows = self.query("SELECT id, record_id, author, body, unsure, created_at, resolved_at, resolved_by"
                          f" FROM record_comments WHERE {where} ORDER BY record_id, id", (key,))
        return [{**r, "unsure": bool(r["unsure"])} for r in rows]

    def open_flags(self, project, record_ids: Sequence[int] | None = None) -> dict[int, str]:
        """``record id -> "unsure (n)"`` for records with open flags (only ``record_ids`` if given)."""
        sql = (f"SELECT c.record_id, COUNT(*) AS n FROM record_comments c WHERE c.project_id = ? AND {OPEN_FLAG}")
        params: list[Any] = [project.id]
        if record_ids is not None:
            if not record_ids:
                return {}
            sql += " AND c.record_id IN (SELECT value FROM json_each(?))"
            params.append(dumps([int(i) for i in record_ids]))
        rows = self.query(sql + " GROUP BY c.record_id", params)
        return {r["record_id"]: "unsure" + (f" ({r['n']})" if r["n"] > 1 else "") for r in rows}

    def resolve_flags(self, record_id: int, by: str) -> int:
        """Close a record's open flags (a reviewer looked at it); return how many were open."""
        with self.atomic():
            cur = self.execute("UPDATE record_comments SET resolved_at = ?, resolved_by = ?"
                               " WHERE record_id = ? AND unsure = 1 AND resolved_at IS NULL", (now(), by, record_id))
        return cur.rowcount

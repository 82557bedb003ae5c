"""Connection handling, transactions and migrations for :class:`Store`."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from workbench.errors import WorkbenchError
from workbench.store.migrations import MIGRATIONS

IN_CHUNK = 500  # values per IN (...) list: well under SQLite's bound-parameter limit


def now() -> str:
    """Current UTC time as an ISO-8601 string with microseconds."""
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def sql_list(values: Sequence[str]) -> str:
    """A literal SQL list of code constants (kind, status names): ``('label','relabel')``; never user input."""
    return "(" + ",".join(f"'{v}'" for v in values) + ")"


class StoreBase:
    """Owns one SQLite connection (WAL, foreign keys) and the migration state.

    Open one per unit of work (a Streamlit rerun, a CLI command, a job thread):
    it is cheap, and SQLite connections must not be shared across threads
    without a lock. Writes go through :meth:`atomic`.
    """

    def __init__(self, path: str | Path, *, migrate: bool = True):
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            # isolation_level=None: we issue BEGIN/COMMIT ourselves so that
            # nested atomic() blocks become savepoints of one transaction.
            conn = sqlite3.connect(str(path), isolation_level=None, timeout=30, check_same_thread=False)
        except sqlite3.Error as exc:
            raise WorkbenchError(f"cannot open database {path}: {exc}; check the path and its permissions") from exc
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA busy_timeout = 30000")
        if str(path) != ":memory:":
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
        self.conn = conn
        self._depth = 0
        self._lock = threading.RLock()
        if migrate:
            self.migrate()

    # -- lifecycle -----------------------------------------------------
    def close(self) -> None:
        self.conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- transactions --------------------------------------------------
    @contextmanager
    def atomic(self) -> Iterator[None]:
        """One transaction (or a savepoint inside an outer one): all or nothing."""
        with self._lock:
            depth = self._depth
            self._depth += 1
            if depth == 0:
                self.conn.execute("BEGIN IMMEDIATE")
            else:
                self.conn.execute(f"SAVEPOINT sp{depth}")
            try:
                yield
            except BaseException:
                if depth == 0:
                    self.conn.execute("ROLLBACK")
                else:
                    self.conn.execute(f"ROLLBACK TO sp{depth}")
                    self.conn.execute(f"RELEASE sp{depth}")
                raise
            else:
                if depth == 0:
                    self.conn.execute("COMMIT")
                else:
                    self.conn.execute(f"RELEASE sp{depth}")
            finally:
                self._depth = depth

    # -- queries -------------------------------------------------------
    def query(self, sql: str, params: Any = ()) -> list[dict[str, Any]]:
        """Run a SELECT and return rows as dicts."""
        return [dict(r) for r in self.conn.execute(sql, params).fetchall()]

    def one(self, sql: str, params: Any = ()) -> dict[str, Any] | None:
        row = self.conn.execute(sql, params).fetchone()
        return None if row is None else dict(row)

    def scalar(self, sql: str, params: Any = ()) -> Any:
        row = self.conn.execute(sql, params).fetchone()
        return None if row is None else row[0]

    def execute(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, params)

    def select_in(self, sql: str, values: Sequence[Any], params: Sequence[Any] = ()) -> Iterator[sqlite3.Row]:
        """Rows of ``sql`` for a long ``IN (...)`` list, run in chunks.

        ``sql`` holds ``{marks}`` where the placeholders go; ``params`` bind
        before each chunk. Chunking keeps under SQLite's bound-parameter limit.
        """
        values = list(values)
        for i in range(0, len(values), IN_CHUNK):
            chunk = values[i:i + IN_CHUNK]
            yield from self.conn.execute(sql.format(marks=",".join("?" * len(chunk))), (*params, *chunk))

    # -- migrations ----------------------------------------------------
    def migrate(self) -> list[str]:
        """Apply pending migrations in order; return the names applied."""
        self.conn.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
        applied = {r[0] for r in self.conn.execute("SELECT name FROM _migrations")}
        done = []
        for name, fn in MIGRATIONS:
            if name in applied:
                continue
            with self.atomic():
                # Re-check inside the write lock: another process may have won.
                if self.scalar("SELECT 1 FROM _migrations WHERE name = ?", (name,)):
                    continue
                fn(self.conn)
                self.conn.execute("INSERT INTO _migrations VALUES (?, ?)", (name, now()))
            done.append(name)
        return done

    def applied_migrations(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT name FROM _migrations ORDER BY rowid")]

"""Accounts, project membership, login sessions and login attempts (the SQL behind :mod:`workbench.accounts`).

Passwords arrive here already hashed; session tokens arrive as their SHA-256 digest, so a copy of the
database gives neither.
"""

from __future__ import annotations

from typing import Any

from workbench.errors import ConflictError, NotFoundError
from workbench.store.base import now

_USER_COLUMNS = "id, username, display_name, role, password_hash, created_at, disabled_at"


class AccountsMixin:
    # -- users ------------------------------------------------------------------------
    def has_accounts(self) -> bool:
        """True once any account exists (disabled ones too): the instance is in login mode."""
        return bool(self.scalar("SELECT EXISTS (SELECT 1 FROM users)"))

    def insert_user(self, username: str, display_name: str, role: str, password_hash: str) -> int:
        with self.atomic():
            if self.scalar("SELECT 1 FROM users WHERE username = ?", (username,)):
                raise ConflictError(f"a user named {username!r} already exists; pick another name or use 'user passwd'")
            cur = self.execute("INSERT INTO users (username, display_name, role, password_hash, created_at)"
                               " VALUES (?,?,?,?,?)", (username, display_name, role, password_hash, now()))
        return cur.lastrowid

    def user_row(self, username: str) -> dict[str, Any] | None:
        return self.one(f"SELECT {_USER_COLUMNS} FROM users WHERE username = ?", (username,))

    def user_rows(self, username: str | None = None) -> list[dict[str, Any]]:
        """Every account (or the one named ``username``) with its projects' names, comma-joined."""
        where = " WHERE username = ?" if username is not None else ""
        return self.query(
            f"SELECT {_USER_COLUMNS}, (SELECT group_concat(p.name, ',') FROM memberships m JOIN projects p"
            f" ON p.id = m.project_id WHERE m.user_id = users.id) AS projects FROM users{where} ORDER BY username",
            () if username is None else (username,))

    def _user_id(self, username: str) -> int:
        user_id = self.scalar("SELECT id FROM users WHERE username = ?", (username,))
        if user_id is None:
            raise NotFoundError(f"no user named {username!r}; 'python -m workbench user list' shows them")
        return user_id

    def update_user(self, username: str, *, password_hash: str | None = None, role: str | None = None,
                    disabled: bool | None = None) -> None:
        """Change one account; a new password or disabling it also ends its sessions."""
        with self.atomic():
            user_id = self._user_id(username)
            if password_hash is not None:
                self.execute("UPDATE users SET password_hash = ? WHERE id = ?", (password_hash, user_id))
            if role is not None:
                self.execute("UPDATE users SET role = ? WHERE id = ?", (role, user_id))
            if disabled is not None:
                self.execute("UPDATE users SET disabled_at = ? WHERE id = ?", (now() if disabled else None, user_id))
            if password_hash is not None or disabled:
                self.execute("DELETE FROM sessions WHERE user_id = ?", (user_id,))

    def active_admins(self) -> int:
        return self.scalar("SELECT COUNT(*) FROM users WHERE role = 'admin' AND disabled_at IS NULL")

    # -- membership ---------------------------------------------------------------------
    def set_membership(self, project, username: str, member: bool) -> bool:
        """Add (``member``) or remove a user from a project; False when nothing changed."""
        with self.atomic():
            user_id = self._user_id(username)
            if member:
                cur = self.execute("INSERT OR IGNORE INTO memberships (project_id, user_id) VALUES (?, ?)",
                                   (project.id, user_id))
            else:
                cur = self.execute("DELETE FROM memberships WHERE project_id = ? AND user_id = ?",
                                   (project.id, user_id))
        return cur.rowcount > 0

    def member_project_ids(self, username: str) -> set[int]:
        return {r["project_id"] for r in self.query(
            "SELECT m.project_id FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.username = ?",
            (username,))}

    def project_members(self, project) -> list[str]:
        return [r["username"] for r in self.query(
            "SELECT u.username FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.project_id = ?"
            " ORDER BY u.username", (project.id,))]

    # -- sessions -----------------------------------------------------------------------------
    def insert_session(self, token_hash: str, username: str, created_at: float, expires_at: float) -> None:
        with self.atomic():
            self.execute("DELETE FROM sessions WHERE expires_at < ?", (created_at,))  # keep the table small
            self.execute("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?,?,?,?)",
                         (token_hash, self._user_id(username), created_at, expires_at))

    def session_user_row(self, token_hash: str, at: float) -> dict[str, Any] | None:
        """The account of a live session (not expired), or None."""
        return self.one(
            f"SELECT {', '.join('u.' + c.strip() for c in _USER_COLUMNS.split(','))} FROM sessions s"
            " JOIN users u ON u.id = s.user_id WHERE s.token_hash = ? AND s.expires_at > ?", (token_hash, at))

    def delete_session(self, token_hash: str) -> None:
        with self.atomic():
            self.execute("DELETE FROM sessions WHERE token_hash = ?", (token_hash,))

    # -- login attempts ---------------------------------------------------------------------------
    def record_login_attempt(self, username: str, client: str, at: float, ok: bool) -> None:
        with self.atomic():
            self.execute("INSERT INTO login_attempts (username, client, at, ok) VALUES (?,?,?,?)",
                         (username, client, at, int(ok)))

    def recent_failures(self, *, username: str, client: str, since: float) -> tuple[int, int]:
        """(failed attempts for ``username``, failed attempts from ``client``) at or after ``since``."""
        # names arrive lower-cased (sign-in stores them so): a plain comparison walks login_attempts_user
        by_user = self.scalar("SELECT COUNT(*) FROM login_attempts WHERE username = ? AND at >= ? AND ok = 0",
                              (username, since))
        by_client = self.scalar("SELECT COUNT(*) FROM login_attempts WHERE client = ? AND at >= ? AND ok = 0",
                                (client, since))
        return by_user, by_client

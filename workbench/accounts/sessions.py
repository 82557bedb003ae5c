"""Sign-in, sessions and sign-out.

A session token is 256 random bits, handed to the browser once (a cookie) and stored only as its
SHA-256 digest, with an expiry (``$WORKBENCH_SESSION_HOURS``, default 12). Every page run looks the
token up again, so signing out, a new password or a disabled account end a session at once.

Failed sign-ins are rate-limited per user name and per client address (:data:`MAX_FAILURES` within
:data:`WINDOW_S` seconds) and logged to the ``workbench.auth`` logger.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import time

from workbench.accounts import passwords
from workbench.accounts.roles import User
from workbench.accounts.users import user_from_row
from workbench.errors import AuthError, ValidationError

MAX_FAILURES = 5
WINDOW_S = 60.0
SESSION_HOURS_ENV = "WORKBENCH_SESSION_HOURS"
DEFAULT_SESSION_HOURS = 12.0
log = logging.getLogger("workbench.auth")


def session_hours() -> float:
    raw = os.environ.get(SESSION_HOURS_ENV, "")
    if not raw:
        return DEFAULT_SESSION_HOURS
    try:
        hours = float(raw)
    except ValueError:
        hours = -1.0
    if not 0 < hours <= 24 * 90:
        raise ValidationError(f"{SESSION_HOURS_ENV}={raw!r} must be a number of hours between 0 and 2160")
    return hours


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def login(store, username: str, password: str, client: str = "unknown", *, at: float | None = None
          ) -> tuple[User, str]:
    """Check a user name and password; return the user and a new session token.

    Raises
    ------
    AuthError
        Wrong user name or password (one message for both), a disabled account, or more than
        :data:`MAX_FAILURES` failures in :data:`WINDOW_S` s for this user name or from this client.
    """
    at = time.time() if at is None else at
    name = (username or "").strip().lower()[:64]
    client = (client or "unknown")[:100]
    by_user, by_client = store.recent_failures(username=name, client=client, since=at - WINDOW_S)
    if by_user >= MAX_FAILURES or by_client >= MAX_FAILURES:
        log.warning("sign-in refused (rate limit): user=%r client=%r", name, client)
        raise AuthError(f"too many failed sign-ins for this user or from this address; wait {WINDOW_S:.0f} s and"
                        " try again")
    row = store.user_row(name) if name else None
    ok = passwords.verify_password(row["password_hash"] if row else passwords.dummy_hash(), password or "")
    ok = ok and row is not None and row["disabled_at"] is None
    store.record_login_attempt(name, client, at, ok)
    if not ok:
        log.warning("failed sign-in: user=%r client=%r", name, client)
        raise AuthError("wrong user name or password (or the account is disabled)")
    token = secrets.token_urlsafe(32)
    store.insert_session(_digest(token), row["username"], at, at + session_hours() * 3600)
    log.info("signed in: user=%r client=%r", row["username"], client)
    return user_from_row(row), token


def user_for_token(store, token: str | None, *, at: float | None = None) -> User | None:
    """The user of a live session token; None when missing, unknown, expired or the account is disabled."""
    if not token or not isinstance(token, str) or len(token) > 200:
        return None
    row = store.session_user_row(_digest(token), time.time() if at is None else at)
    if row is None or row["disabled_at"] is not None:
        return None
    return user_from_row(row)


def logout(store, token: str | None) -> None:
    """End a session (its token stops working everywhere)."""
    if token:
        store.delete_session(_digest(token))

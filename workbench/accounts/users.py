"""Accounts and project membership: create, change, disable; who may act where (:func:`require`)."""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Iterable
from typing import Any

from workbench.accounts import passwords
from workbench.accounts.roles import ACTION_WORDS, ADMIN, ROLES, User
from workbench.errors import NotFoundError, PermissionDeniedError, ValidationError
from workbench.registry import one_of
from workbench.types import SYSTEM_ANNOTATORS, check_annotator

USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
#: the local admin's name in single-user mode (what its annotation rows carry)
LOCAL_USER_ENV = "WORKBENCH_LOCAL_USER"
CREATE_FIRST = "python -m workbench user add NAME --role admin"


def check_username(username: str) -> str:
    name = (username or "").strip()
    if not USERNAME.fullmatch(name):
        raise ValidationError(f"user name {name!r} is not valid: use 1-64 letters, digits, '.', '_' or '-',"
                              " starting with a letter or digit")
    if name.lower() in SYSTEM_ANNOTATORS or name.lower() == local_user().username.lower():
        raise ValidationError(f"user name {name!r} is reserved; pick another")
    return name


def check_password(password: str) -> str:
    if not isinstance(password, str) or not passwords.MIN_LENGTH <= len(password) <= passwords.MAX_LENGTH:
        raise ValidationError(f"the password must be {passwords.MIN_LENGTH} to {passwords.MAX_LENGTH} characters long")
    if not password.strip():
        raise ValidationError("the password must not be only spaces")
    return password


def local_user() -> User:
    """The local admin of single-user mode (``$WORKBENCH_LOCAL_USER``, default ``local``)."""
    name = (os.environ.get(LOCAL_USER_ENV) or "local").strip() or "local"
    return User(name, "Local admin", ADMIN, local=True)


def user_from_row(row: dict[str, Any]) -> User:
    return User(row["username"], row["display_name"], row["role"])


def add_user(store, username: str, password: str, role: str, *, display_name: str | None = None,
             projects: Iterable[str] = ()) -> User:
    """Create an account (and its memberships) in one transaction. The first account turns on login mode."""
    username = check_username(username)
    one_of(role, ROLES, "role")
    check_password(password)
    display = (display_name or "").strip() or username
    if len(display) > 100:
        raise ValidationError("the display name must be at most 100 characters")
    with store.atomic():
        project_rows = [store.get_project(p.strip()) for p in projects if p.strip()]
        store.insert_user(username, display, role, passwords.hash_password(password))
        for project in project_rows:
            store.set_membership(project, username, True)
    return User(username, display, role)


def get_user(store, username: str) -> User:
    """The account named ``username`` (disabled ones too); :class:`NotFoundError` naming the fix otherwise."""
    row = store.user_row((username or "").strip())
    if row is None:
        raise NotFoundError(f"no user named {username!r}; 'python -m workbench user list' shows them")
    return user_from_row(row)


def get_user_row(store, username: str) -> dict[str, Any]:
    """One row of :func:`list_users` (no hash); :class:`NotFoundError` when there is no such account."""
    rows = list_users(store, (username or "").strip())
    if not rows:
        raise NotFoundError(f"no user named {username!r}; 'python -m workbench user list' shows them")
    return rows[0]


def set_password(store, username: str, password: str) -> None:
    """Give an account a new password; its open sessions end."""
    store.update_user(username, password_hash=passwords.hash_password(check_password(password)))


def disable_user(store, username: str, *, disabled: bool = True) -> None:
    """Disable (or re-enable) an account: it cannot sign in and its sessions end; its labels stay."""
    row = store.user_row(username)
    if row is not None and disabled and row["role"] == ADMIN and row["disabled_at"] is None \
            and store.active_admins() == 1:
        raise ValidationError(f"{username!r} is the last active admin; add another admin before disabling it")
    store.update_user(username, disabled=disabled)


def list_users(store, username: str | None = None) -> list[dict[str, Any]]:
    """Every account (or only ``username``): username, display_name, role, created_at, disabled (bool),
    projects (names). No hashes."""
    return [{"username": r["username"], "display_name": r["display_name"], "role": r["role"],
             "created_at": r["created_at"], "disabled": r["disabled_at"] is not None,
             "projects": [p for p in (r["projects"] or "").split(",") if p]} for r in store.user_rows(username)]


def add_member(store, project_name: str, username: str) -> bool:
    return store.set_membership(store.get_project(project_name), username, True)


def remove_member(store, project_name: str, username: str) -> bool:
    return store.set_membership(store.get_project(project_name), username, False)


def can_open(store, user: User, project) -> bool:
    """The membership rule: admins (and the local admin) open every project, others their memberships."""
    return user.role == ADMIN or project.id in store.member_project_ids(user.username)


def visible_projects(store, user: User, *, archived: bool = False) -> list:
    """The projects ``user`` may open (:func:`can_open`, with one membership query for all of them); archived
    ones only with ``archived`` (the Projects page lists them; the sidebar and queues never offer them)."""
    projects = [p for p in store.list_projects() if archived or p.archived_at is None]
    if user.role == ADMIN:
        return projects
    member_of = store.member_project_ids(user.username)
    return [p for p in projects if p.id in member_of]


def require(store, user: User, action: str, project=None) -> None:
    """Raise :class:`PermissionDeniedError` unless ``user`` may do ``action`` (on ``project``).

    Called by the pages, the API facade and the CLI before every action: hiding a button is not the check.
    """
    if not user.can(action):
        raise PermissionDeniedError(f"{user.username} ({user.role}) may not {ACTION_WORDS[action]}; ask an admin")
    if project is not None and not can_open(store, user, project):
        raise PermissionDeniedError(f"{user.username} is not a member of project {project.name!r}; ask an admin"
                                    f" to run 'python -m workbench member add {project.name} {user.username}'")


def resolve_annotator(store, name: str, project=None) -> User:
    """The :class:`User` an annotator name given to the Python API or CLI acts as.

    In login mode it must be an enabled account (a member of ``project``, unless admin); in
    single-user mode any name acts as a local admin.
    """
    name = check_annotator(name)
    if not store.has_accounts():
        return User(name, name, ADMIN, local=True)
    row = store.user_row(name)
    if row is None or row["disabled_at"] is not None:
        raise PermissionDeniedError(f"{name!r} is not an enabled account; 'python -m workbench user list' shows them")
    user = user_from_row(row)
    require(store, user, "annotate", project)
    return user


def is_loopback(address: str) -> bool:
    """True for ``localhost`` and loopback IPs; False for anything else, ``""`` (all interfaces) included."""
    if address == "localhost":
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def check_serving(store, address: str) -> None:
    """Refuse to serve on a non-loopback ``address`` while no account exists (anyone could act as admin)."""
    if not is_loopback(address) and not store.has_accounts():
        raise PermissionDeniedError(
            f"refusing to serve on {address!r} without accounts: anyone who can reach it would be admin. Create"
            f" the first account with '{CREATE_FIRST}', or serve on 127.0.0.1")

"""Accounts, roles and sign-in: who may do what, on which projects.

- :mod:`.roles`: the three roles, what each may do (:data:`PERMISSIONS`) and :class:`User`;
- :mod:`.users`: create, change and disable accounts, project membership, :func:`require`;
- :mod:`.sessions`: sign-in with rate limiting, session tokens, sign-out.

With no account in the database the instance runs in *local single-user mode*: everyone is the
local admin (:func:`local_user`), which is only allowed while the app listens on loopback.
"""

from workbench.accounts.roles import PERMISSIONS, ROLES, User
from workbench.accounts.sessions import login, logout, user_for_token
from workbench.accounts.users import (
    add_member,
    add_user,
    disable_user,
    list_users,
    local_user,
    remove_member,
    require,
    resolve_annotator,
    set_password,
    visible_projects,
)

__all__ = [
    "PERMISSIONS", "ROLES", "User", "add_member", "add_user", "disable_user", "list_users", "local_user", "login",
    "logout", "remove_member", "require", "resolve_annotator", "set_password", "user_for_token",
    "visible_projects",
]

"""The three roles and what each may do; the one place a permission is decided."""

from __future__ import annotations

from dataclasses import dataclass

ADMIN, REVIEWER, ANNOTATOR = "admin", "reviewer", "annotator"
ROLES: tuple[str, ...] = (ADMIN, REVIEWER, ANNOTATOR)
_STAFF = (ADMIN, REVIEWER)

#: action -> roles that may do it. Membership is checked on top (admins see every project).
PERMISSIONS: dict[str, tuple[str, ...]] = {
    "annotate": ROLES,            # label, skip, undo one's own decisions
    "review": _STAFF,             # the Review page: final labels over the annotators' ones
    "audit": _STAFF,              # run audits, decide on flagged labels
    "export": _STAFF,
    "team": _STAFF,               # see other people's labels, progress and agreement
    "import": (ADMIN,),
    "schema": (ADMIN,),           # labels, guidelines, rename, merge, delete
    "projects": (ADMIN,),         # create projects
    "settings": (ADMIN,),         # retrain, adapter, strategy, overlap...
    "train": (ADMIN,),
    "users": (ADMIN,),            # accounts and memberships
}

#: what a denied action is called in messages
ACTION_WORDS: dict[str, str] = {
    "annotate": "annotate", "review": "review labels", "audit": "run or decide audits", "export": "export data",
    "team": "see other people's labels", "import": "import data", "schema": "change the label schema",
    "projects": "create projects", "settings": "change project settings", "train": "train models",
    "users": "manage accounts",
}


@dataclass(frozen=True)
class User:
    """Who is acting: a signed-in account, or the local admin of single-user mode (``local``).

    ``username`` is what annotation rows carry as their annotator.
    """

    username: str
    display_name: str
    role: str
    local: bool = False

    def can(self, action: str) -> bool:
        """True when this user's role allows ``action`` (a key of :data:`PERMISSIONS`)."""
        return self.role in PERMISSIONS[action]

    @property
    def label(self) -> str:
        """"Alice Smith (reviewer)" for sidebars and messages."""
        return f"{self.display_name} ({self.role})"

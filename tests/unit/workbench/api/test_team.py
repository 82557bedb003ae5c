"""The Python API in login mode: identity checks, own-decisions-only, re-checks only for reviewers."""

from __future__ import annotations

import pytest

from tests.conftest import add_texts
from workbench import accounts, api
from workbench.errors import PermissionDeniedError
from workbench.store import Store

PASSWORD = "team-pass-1"


@pytest.fixture
def wb(tmp_path):
    db = tmp_path / "team.db"
    with Store(db) as s:
        project = s.create_project("p", "classification", ["a", "b"])
        add_texts(s, project, ["one", "two", "three"])
        s.create_project("secret", "classification", ["a", "b"])
        accounts.add_user(s, "alice", PASSWORD, "annotator", projects=["p"])
        accounts.add_user(s, "bob", PASSWORD, "annotator", projects=["p"])
        accounts.add_user(s, "rita", PASSWORD, "reviewer", projects=["p"])
    return api.connect(db)


def test_bob_cannot_undo_or_edit_alices_label(wb):
    item = wb.next("p", "alice")
    wb.label("p", item.id, "alice", "a")
    assert wb.undo("p", "bob") is None  # undo is always one's own
    with pytest.raises(PermissionDeniedError, match="only their own labels"):
        wb.label("p", item.id, "bob", "b")
    with wb.store() as s:
        assert s.get_record(item.id).label == "a"
    wb.label("p", item.id, "rita", "b")  # a reviewer may: a new row by her, alice's kept
    with wb.store() as s:
        rows = [(a.annotator, a.value) for a in s.history(item.id)]
    assert rows == [("alice", "a"), ("rita", "b")]
    assert wb.undo("p", "alice") is not None


def test_unknown_disabled_and_non_member_names_are_refused(wb):
    with pytest.raises(PermissionDeniedError, match="not an enabled account"):
        wb.next("p", "mallory")
    with pytest.raises(PermissionDeniedError, match="not a member"):
        wb.next("secret", "alice")
    with wb.store() as s:
        accounts.disable_user(s, "bob")
    with pytest.raises(PermissionDeniedError):
        wb.next("p", "bob")

"""Comments and "unsure" flags on records."""

from __future__ import annotations

import pytest

from workbench.browse import BrowseFilter, browse
from workbench.errors import ValidationError


def test_flags_open_filter_and_resolve(store, clf_project):
    project, ids = clf_project
    store.add_comment(project, ids[0], "ann", "sarcasm?", unsure=True)
    store.add_comment(project, ids[0], "bob", "", unsure=True)
    store.add_comment(project, ids[1], "ann", "just a note")
    assert store.open_flags(project) == {ids[0]: "unsure (2)"}
    assert store.open_flags(project, [ids[1]]) == {} and store.open_flags(project, []) == {}
    page = browse(store, project, BrowseFilter(flagged=True))
    assert [r["id"] for r in page.rows] == [ids[0]]
    assert [c["author"] for c in store.comments(ids[0])] == ["ann", "bob"]
    assert store.resolve_flags(ids[0], "rita") == 2
    assert store.open_flags(project) == {} and store.comments(ids[0])[0]["resolved_by"] == "rita"


@pytest.mark.parametrize("body,unsure,match", [("", False, "write a comment"), ("x" * 2001, False, "at most"),
                                               ("ok", False, "not in project")])
def test_bad_comments_are_refused(store, clf_project, ner_project, body, unsure, match):
    project, ids = clf_project
    other, other_ids = ner_project
    target = other_ids[0] if match == "not in project" else ids[0]
    with pytest.raises(ValidationError, match=match):
        store.add_comment(project, target, "ann", body, unsure=unsure)
    assert store.comments(target) == []

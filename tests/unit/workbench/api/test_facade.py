"""The public Python API on a real database: serve, label, skip, undo, train, audit, with the project's errors."""

from __future__ import annotations

import pytest

from services.training import eval_ids
from workbench import api, jobs
from workbench.errors import NotFoundError, ValidationError

TEXTS = [f"a wonderful, moving film number {i}" for i in range(6)] + [f"a dull, tedious mess number {i}" for i in range(6)]
REFS = ["pos"] * 6 + ["neg"] * 6


@pytest.fixture
def wb(tmp_path):
    wb = api.connect(tmp_path / "api.db")
    wb.create_project("films", "classification", ["pos", "neg"])
    path = tmp_path / "films.csv"
    path.write_text("text,label\n" + "".join(f"\"{t}\",{r}\n" for t, r in zip(TEXTS, REFS)), encoding="utf-8")
    wb.import_file("films", path)
    return wb


def test_next_label_skip_undo(wb):
    first = wb.next("films", "alice")
    assert first.text == TEXTS[0] and first.kind == "new"
    assert wb.next("films", "alice").id == first.id  # a reload gets the leased record again
    assert wb.next("films", "bob").id != first.id     # never the same unlabelled record to two people
    wb.label("films", first.id, "alice", "pos")
    second = wb.next("films", "alice")
    assert second.id not in (first.id,)
    wb.skip("films", second.id, "alice")
    assert wb.undo("films", "alice") is not None      # the skip
    assert wb.undo("films", "alice") is not None      # the label
    assert wb.undo("films", "alice") is None
    assert wb.status("films")["annotated"] == 0


def test_errors_are_the_projects_own(wb):
    with pytest.raises(NotFoundError, match="no project named 'nope'"):
        wb.next("nope", "alice")
    item = wb.next("films", "alice")
    with pytest.raises(ValidationError, match="not in the schema"):
        wb.label("films", item.id, "alice", "meh")
    with pytest.raises(ValidationError, match="annotator name must not be empty"):
        wb.next("films", "  ")


@pytest.mark.slow
def test_train_and_audit(wb):
    gold = dict(zip(TEXTS, REFS))
    for _ in TEXTS:
        item = wb.next("films", "alice")
        wb.label("films", item.id, "alice", gold[item.text])
    with wb.store() as s:  # the 10th label started a background retrain (retrain_every = 10), as in the UI
        background = s.latest_job(s.get_project("films"), "train")
        assert background is not None
        assert jobs.wait_for(s, background["id"])["status"] == "done"
    result = wb.train("films", wait=True)
    with wb.store() as s:
        held_out = eval_ids(s, s.get_project("films"))  # reference-labelled 20% that never trains
    assert result["adapter"] == "hybrid" and result["n_labels"] == len(TEXTS) - len(held_out)
    assert "accuracy" in result["metrics"]
    report = wb.audit("films", source="reference", folds=3)
    assert len(report["scores"]) == len(TEXTS)


def test_project_management_and_comments_through_the_api(tmp_path):
    from workbench import api

    wb = api.connect(tmp_path / "api.db")
    wb.create_project("p", "classification", ["a", "b"])
    assert wb.rename_project("p", "q").name == "q"
    assert wb.duplicate_project("q", "r").labels == ["a", "b"]
    assert wb.archive_project("q").archived_at is not None
    with wb.store() as s:
        from tests.conftest import add_texts

        (rid,) = add_texts(s, s.get_project("q"), ["text"])
    wb.comment("q", rid, "ann", "unclear", unsure=True)
    path = wb.delete_project("q", confirm="q")
    with wb.store() as s:
        assert path.exists() and [p.name for p in s.list_projects()] == ["r"]

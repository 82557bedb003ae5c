"""AppTest of the Projects page: counts, create, import (errors shown), schema edits keep annotations."""

from __future__ import annotations

import html

from tests.conftest import add_texts
from tests.ui.conftest import start
from workbench.store import Store


def _annotations(db):
    with Store(db) as s:
        return s.query("SELECT id, record_id, annotator, kind, value FROM annotations ORDER BY id")


def test_create_project_and_list_counts(db):
    at = start("pages/projects.py")
    at.text_input(key="projects.new.name").input("Emails")
    at.selectbox(key="projects.new.task").select("multilabel")
    at.text_input(key="projects.new.labels").input("spam, phishing")
    at.text_area(key="projects.new.guidelines").input("# Rules")
    at.button(key="FormSubmitter:projects.create-Create project").click().run()
    assert not at.exception and not at.error
    with Store(db) as s:
        project = s.get_project("Emails")
    assert (project.task, project.labels, project.guidelines) == ("multilabel", ["spam", "phishing"], "# Rules")
    assert at.selectbox(key="sidebar.project").value == "Emails"  # the sidebar follows
    table = at.dataframe[0].value
    assert list(table["name"]) == ["Emails"] and list(table["records"]) == [0]


def test_create_errors_are_shown(db):
    at = start("pages/projects.py")
    at.text_input(key="projects.new.name").input("x")
    at.text_input(key="projects.new.labels").input("a,a")
    at.button(key="FormSubmitter:projects.create-Create project").click().run()
    assert not at.exception
    assert "duplicate label" in at.error[0].value


def test_import_from_path_with_preview_and_mapping(db, tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_IMPORT_DIRS", str(tmp_path))  # the server's configured import folder
    data = tmp_path / "reviews.csv"
    data.write_text("id,body,verdict,source\n1,great film,pos,web\n2,awful plot,neg,web\n", encoding="utf-8")
    at = start("pages/projects.py")
    at.radio(key="projects.import.source").set_value("Path on the server").run()
    at.text_input(key="projects.import.path").input(str(data)).run()
    assert list(at.dataframe[-1].value.columns) == ["id", "body", "verdict", "source"]  # the preview
    at.selectbox(key="projects.import.text").select("body")
    at.selectbox(key="projects.import.label").select("verdict")
    at.text_input(key="projects.import.name").input("Reviews")
    at.text_input(key="projects.import.labels").input("pos,neg")
    at.button(key="projects.import.go").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "imported 2 rows" in at.success[0].value
    with Store(db) as s:
        project = s.get_project("Reviews")
        assert s.count_records(project.id) == 2 and len(s.reference_labels(project.id)) == 2
        assert next(s.iter_records(project.id)).meta == {"source": "web"}


def test_import_errors_are_shown_not_raised(db, tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_IMPORT_DIRS", str(tmp_path))
    with Store(db) as s:
        s.create_project("reviews", "classification", ["pos", "neg"])
    bad = tmp_path / "bad.csv"
    bad.write_text("text,label\ngood,pos\nfine,maybe\n", encoding="utf-8")
    at = start("pages/projects.py")
    at.radio(key="projects.import.source").set_value("Path on the server").run()
    at.text_input(key="projects.import.path").input(str(bad)).run()
    at.button(key="projects.import.go").click().run()
    assert not at.exception
    assert "maybe" in at.error[0].value and "bad.csv" in at.error[0].value
    with Store(db) as s:
        assert s.count_records(s.get_project("reviews").id) == 0  # all or nothing
    # an unreadable path is reported at preview time
    at.text_input(key="projects.import.path").input(str(tmp_path / "missing.csv")).run()
    assert not at.exception and "no such file" in at.error[0].value


def test_schema_rename_and_merge_keep_every_annotation(db):
    with Store(db) as s:
        project = s.create_project("reviews", "classification", ["pos", "neg", "meh"])
        ids = add_texts(s, project, ["great", "awful", "so so", "fine"], ["pos", "neg", "meh", "meh"])
        for rid, value in zip(ids, ["pos", "neg", "meh", "pos"]):
            s.annotate(project, rid, "alice", "label", value)
        s.annotate(project, ids[3], "bob", "label", "meh")
    before = _annotations(db)
    at = start("pages/projects.py")
    at.selectbox(key="projects.rename.old").select("pos")
    at.text_input(key="projects.rename.new").input("positive")
    at.button(key="FormSubmitter:projects.rename.form-Rename").click().run()
    assert not at.exception and not at.error
    at.selectbox(key="projects.merge.source").select("meh")
    at.selectbox(key="projects.merge.target").select("neg")
    at.button(key="FormSubmitter:projects.merge.form-Merge").click().run()
    assert not at.exception and not at.error
    after = _annotations(db)
    assert after[:len(before)] == before  # every annotation kept unchanged
    added = after[len(before):]
    assert {r["annotator"] for r in added} == {"schema"} and {r["kind"] for r in added} == {"relabel"}
    with Store(db) as s:
        project = s.get_project("reviews")
        assert project.labels == ["positive", "neg"]
        assert [s.get_record(i).label for i in ids] == ["positive", "neg", "neg", "neg"]
        assert list(s.reference_labels(project.id).values()) == ["positive", "neg", "neg", "neg"]
    # reorder and guidelines
    at.text_input(key=f"projects.order.{project.id}").input("neg,positive")
    at.button(key="FormSubmitter:projects.order.form-Save order").click().run()
    at.text_area(key=f"projects.guidelines.{project.id}").input("Be consistent.")
    at.button(key="FormSubmitter:projects.guidelines.form-Save guidelines").click().run()
    with Store(db) as s:
        project = s.get_project("reviews")
    assert (project.labels, project.guidelines) == (["neg", "positive"], "Be consistent.")


def test_upload_preview_import_and_upload_errors(db):
    with Store(db) as s:
        s.create_project("reviews", "classification", ["pos", "neg"])
    at = start("pages/projects.py")
    at.get("file_uploader")[0].upload("bad.csv", b"text,label\ngood,pos\nfine,maybe\n", "text/csv")
    at.run()
    assert len(at.dataframe[-1].value) == 2  # preview of the upload
    at.button(key="projects.import.go").click().run()
    assert not at.exception
    error = at.error[0].value
    assert "bad.csv" in error and "maybe" in error and "workbench-uploads" not in error  # the user's file name
    at.get("file_uploader")[0].upload("good.jsonl", b'{"text": "nice", "label": "pos"}\n', "application/json")
    at.run()
    at.button(key="projects.import.go").click().run()
    assert not at.error and "imported 1 rows" in at.success[0].value
    with Store(db) as s:
        assert s.count_records(s.get_project("reviews").id) == 1


def test_server_paths_outside_the_import_folders_are_refused_alike(db, tmp_path, monkeypatch):
    allowed, outside = tmp_path / "imports", tmp_path / "private"
    allowed.mkdir(), outside.mkdir()
    (outside / "secret.csv").write_text("text,label\nthe secret,pos\n", encoding="utf-8")
    (allowed / "link.csv").symlink_to(outside / "secret.csv")
    monkeypatch.setenv("WORKBENCH_IMPORT_DIRS", str(allowed))
    at = start("pages/projects.py")
    at.radio(key="projects.import.source").set_value("Path on the server").run()
    messages = set()
    for typed in (str(outside / "secret.csv"), str(outside / "missing.csv"), f"{allowed}/../private/secret.csv",
                  str(allowed / "link.csv"), "/etc/passwd", "../../etc/passwd"):
        at.text_input(key="projects.import.path").input(typed).run()
        assert not at.exception and not at.dataframe, typed  # no preview of anything outside
        messages.add(at.error[0].value)
    assert len(messages) == 1 and "inside the import folders" in messages.pop()  # never says what exists


def test_one_click_imports_what_was_just_typed_and_errors_speak_ui(db, tmp_path, monkeypatch):
    """The labels box typed last and Import clicked at once (one rerun): the click sees the typed values."""
    monkeypatch.setenv("WORKBENCH_IMPORT_DIRS", str(tmp_path))
    data = tmp_path / "reviews.csv"
    data.write_text("text,label\ngreat film,pos\nawful plot,neg\n", encoding="utf-8")
    at = start("pages/projects.py")
    at.radio(key="projects.import.source").set_value("Path on the server").run()
    at.text_input(key="projects.import.path").input(str(data)).run()
    at.button(key="projects.import.go").click().run()  # nothing typed yet: a UI hint, no CLI flag
    assert "fill in a project name and the labels" in at.error[0].value and "--" not in at.error[0].value
    at.text_input(key="projects.import.name").input("Reviews")
    at.text_input(key="projects.import.labels").input("pos,neg")
    at.button(key="projects.import.go").click().run()  # the same run carries the typing and the click
    assert not at.error, [e.value for e in at.error]
    assert "imported 2 rows" in at.success[0].value
    with Store(db) as s:
        assert s.count_records(s.get_project("Reviews").id) == 2


def test_import_error_names_the_form_field_not_a_cli_flag(db, tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_IMPORT_DIRS", str(tmp_path))
    data = tmp_path / "rows.jsonl"
    data.write_text('{"text": "a", "label": "pos"}\n{"body": "b", "label": "pos"}\n', encoding="utf-8")
    with Store(db) as s:
        s.create_project("reviews", "classification", ["pos", "neg"])
    at = start("pages/projects.py")
    at.radio(key="projects.import.source").set_value("Path on the server").run()
    at.text_input(key="projects.import.path").input(str(data)).run()
    at.selectbox(key="projects.import.project").select("reviews").run()
    at.button(key="projects.import.go").click().run()
    error = html.unescape(at.error[0].value)
    assert "line 2" in error and "under 'Text column'" in error and "--text-col" not in error


def test_annotation_settings_remap_keys_and_refuse_taken_ones(db):
    with Store(db) as s:
        project = s.create_project("reviews", "classification", ["pos", "neg"])
        add_texts(s, project, ["great"])
    at = start("pages/projects.py")
    at.text_area(key="projects.label_keys").input("neg=s")
    at.button(key="FormSubmitter:projects.overlap.form-Save").click().run()
    assert "skip" in html.unescape(at.error[0].value)  # s is the skip key
    at.text_area(key="projects.label_keys").input("neg=p")
    at.checkbox(key="projects.show_reference").check()
    at.button(key="FormSubmitter:projects.overlap.form-Save").click().run()
    assert not at.error, [e.value for e in at.error]
    with Store(db) as s:
        settings = s.get_project("reviews").settings
    assert settings.label_keys == {"neg": "p"} and settings.show_reference
    at.switch_page("pages/annotate.py").run()
    assert [b.label for b in at.button if b.key and b.key.startswith("annotate.label.")] == [
        "pos (1)", "neg (p)"]


def test_rename_duplicate_archive_and_delete_with_a_backup(db):
    import io
    import json
    import zipfile

    with Store(db) as s:
        project = s.create_project("reviews", "classification", ["pos", "neg"], "Be kind.")
        ids = add_texts(s, project, ["great", "awful"], ["pos", "neg"])
        s.annotate(project, ids[0], "alice", "label", "neg")
    at = start("pages/projects.py")
    at.text_input(key="manage.rename").input("films")
    at.button(key="FormSubmitter:manage.rename.form-Rename").click().run()
    assert "Renamed 'reviews' to 'films'" in html.unescape(at.success[0].value)
    at.text_input(key="manage.duplicate").input("films 2")
    at.button(key="FormSubmitter:manage.duplicate.form-Create with the same labels, guidelines and settings").click()
    at.run()
    with Store(db) as s:
        copy = s.get_project("films 2")
        assert (copy.labels, copy.guidelines, s.count_records(copy.id)) == (["pos", "neg"], "Be kind.", 0)
    at.selectbox(key="manage.project").select("films").run()
    at.button(key="manage.archive").click().run()
    assert "Archived 'films'" in html.unescape(at.success[0].value)
    assert "films" not in at.selectbox(key="sidebar.project").options  # gone from the sidebar, kept whole
    at.text_input(key="manage.delete.confirm").input("film")  # a typo refuses
    at.button(key="FormSubmitter:manage.delete.form-Delete after the backup").click().run()
    assert "type its name exactly" in html.unescape(at.error[0].value)
    at.text_input(key="manage.delete.confirm").input("films")
    at.button(key="FormSubmitter:manage.delete.form-Delete after the backup").click().run()
    assert "Deleted 'films'" in html.unescape(at.success[0].value)
    with Store(db) as s:
        assert s.find_project("films") is None and s.scalar("SELECT COUNT(*) FROM records") == 0
    (backup,) = (db.parent / (db.name + ".backups")).glob("*.zip")
    with zipfile.ZipFile(io.BytesIO(backup.read_bytes())) as zf:
        records = [json.loads(line) for line in zf.read("records.jsonl").decode().splitlines()]
        history = [json.loads(line) for line in zf.read("annotations.jsonl").decode().splitlines()]
    assert [(r["text"], r["label"], r["human_label"]) for r in records] == [("great", "pos", "neg"), ("awful", "neg", None)]
    assert [(h["annotator"], h["value"]) for h in history] == [("alice", "neg")]

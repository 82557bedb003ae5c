"""``python -m workbench project rename|duplicate|archive|delete`` from a shell; bad input exits 2 with one line."""

from __future__ import annotations

from tests.conftest import add_texts
from tests.integration.test_cli_users import _cli
from workbench.store import Store


def test_project_management_from_the_shell(tmp_path):
    db = tmp_path / "cli.db"
    with Store(db) as s:
        project = s.create_project("p", "classification", ["a", "b"])
        add_texts(s, project, ["x", "y"], ["a", "b"])
    assert _cli(db, "project", "rename", "p", "films").stdout.strip() == "renamed 'p' to 'films'"
    assert "created 'films 2'" in _cli(db, "project", "duplicate", "films", "films 2").stdout
    assert _cli(db, "project", "archive", "films").stdout.strip() == "archived 'films'"
    assert "\tarchived" in _cli(db, "project", "list").stdout
    refused = _cli(db, "project", "delete", "films", "--confirm", "film")
    assert refused.returncode == 2 and "type its name exactly" in refused.stderr and "Traceback" not in refused.stderr
    taken = _cli(db, "project", "rename", "films", "films 2")
    assert taken.returncode == 2 and "already exists" in taken.stderr
    done = _cli(db, "project", "delete", "films", "--confirm", "films")
    assert done.returncode == 0 and "backup:" in done.stdout
    backup = done.stdout.split("backup: ")[1].strip()
    assert backup.endswith(".zip") and __import__("pathlib").Path(backup).stat().st_size > 0
    with Store(db) as s:
        assert [p.name for p in s.list_projects()] == ["films 2"]


def test_project_settings_from_the_shell(tmp_path):
    db = tmp_path / "cli.db"
    with Store(db) as s:
        s.create_project("tweets", "ner", ["PER"])
    shown = _cli(db, "project", "settings", "tweets", "--json")
    assert shown.returncode == 0 and __import__("json").loads(shown.stdout)["adapter"] == "ner"
    saved = _cli(db, "project", "settings", "tweets", "retrain_every=25", "label_keys={\"PER\": \"p\"}")
    assert saved.returncode == 0 and "saved retrain_every, label_keys for 'tweets'" in saved.stdout
    assert "  retrain_every: 25" in saved.stdout
    refused = _cli(db, "project", "settings", "tweets", "adapter=logreg")
    assert refused.returncode == 2 and "cannot train a ner project; choose one of: ner" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert _cli(db, "project", "settings", "tweets", "retrain_every").returncode == 2
    with Store(db) as s:
        settings = s.get_project("tweets").settings
    assert (settings.adapter, settings.retrain_every, settings.label_keys) == ("ner", 25, {"PER": "p"})

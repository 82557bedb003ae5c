"""``python -m workbench import|export``: same functions as the API, one-line errors with exit code 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from workbench.api.cli import main
from workbench.store import Store

ROOT = Path(__file__).resolve().parents[2]


def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_import_creates_project_then_export_round_trips(capsys, tmp_path):
    db = str(tmp_path / "w.db")
    data = tmp_path / "d.csv"
    data.write_text("key,text,label,src\nk1,good,pos,a\nk2,bad,neg,b\nk3,good,pos,c\n", encoding="utf-8")
    code, out, err = run(capsys, "--db", db, "import", "movies", str(data), "--id-col", "key", "--meta-cols", "src",
                         "--task", "classification", "--labels", "pos,neg")
    assert code == 0 and err == ""
    assert "imported 3 rows into 'movies': 3 new" in out
    assert "duplicate: line 4 repeats line 2: 'good'" in out
    code, out, _ = run(capsys, "--db", db, "export", "movies", str(tmp_path / "hf"), "--format", "hf",
                       "--source", "reference", "--split", "0.34", "--seed", "1")
    assert code == 0 and "exported 3 rows (reference) as hf" in out and "per label: pos=2, neg=1" in out
    assert (tmp_path / "hf" / "README.md").exists() and (tmp_path / "hf" / "dataset_dict.json").exists()
    code, out, _ = run(capsys, "--db", db, "export", "movies", str(tmp_path / "o.jsonl"), "--format", "jsonl",
                       "--source", "reference")
    rows = [json.loads(x) for x in (tmp_path / "o.jsonl").read_text().splitlines()]
    assert [(r["id"], r["text"], r["label"], r["src"]) for r in rows] == [
        ("k1", "good", "pos", "a"), ("k2", "bad", "neg", "b"), ("k3", "good", "pos", "c")]
    with Store(db) as store:
        assert store.project_stats(store.get_project("movies"))["reference"] == 3


def test_errors_are_one_line_with_exit_code_2(capsys, tmp_path):
    db = str(tmp_path / "w.db")
    bad = tmp_path / "bad.csv"
    bad.write_text("text,label\nok,pos\n,neg\n", encoding="utf-8")
    cases = [
        (["import", "p", str(bad), "--task", "classification", "--labels", "pos,neg"], f"{bad}, line 3: text is empty"),
        (["import", "p", str(bad)], "no project named 'p'"),
        (["import", "p", str(bad), "--task", "classification"], "--task and --labels go together"),
        (["export", "p", str(tmp_path / "o"), "--format", "jsonl"], "no project named 'p'"),
        (["export", "p", str(tmp_path / "o"), "--format", "xml"], "invalid choice: 'xml'"),
        (["export", "p", str(tmp_path / "o"), "--format", "csv", "--split", "2"], "between 0 and 1"),
    ]
    for argv, message in cases:
        try:
            code, out, err = run(capsys, "--db", db, *argv)
        except SystemExit as exc:  # argparse usage errors exit from inside parse_args
            code, err = exc.code, capsys.readouterr().err
        assert code == 2, argv
        assert err.startswith("error: ") and err.count("\n") == 1 and message in err, (argv, err)
    with Store(db) as store:
        assert store.list_projects() == []


def test_module_entry_point_has_no_traceback(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "workbench", "--db", str(tmp_path / "w.db"), "import", "p", str(tmp_path / "nope.csv"),
         "--task", "ner", "--labels", "person"],
        cwd=ROOT, capture_output=True, text=True, env={"HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr == f"error: {tmp_path / 'nope.csv'}: no such file; check the path\n"

"""Hostile and odd input files: each gets one line naming the file and line (CLI exit 2), nothing is written;
metadata of any Arrow type is stored, converted to JSON-safe values."""

from __future__ import annotations

import datetime as dt
import decimal
import json

import pytest

from workbench.api.cli import main
from workbench.store import Store


def _jsonl(tmp_path, *objects_or_lines) -> str:
    path = tmp_path / "in.jsonl"
    lines = [o if isinstance(o, str) else json.dumps(o) for o in objects_or_lines]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


CASES = {
    "deep JSON": lambda: '{"text": "x", "meta": ' + "[" * 3000 + "]" * 3000 + "}",
    "deep metadata": lambda: {"text": "x", "meta": json.loads("[" * 100 + "]" * 100)},
    "dict label": lambda: {"text": "x", "label": {"a": 1}},
    "list of dicts as labels": lambda: {"text": "x", "label": [{"a": 1}]},
    "dict span label": lambda: {"text": "Ann", "spans": [{"start": 0, "end": 3, "label": {"x": 1}}]},
    "Infinity offset": lambda: '{"text": "Ann", "spans": [{"start": 0, "end": Infinity, "label": "per"}]}',
    "half offset": lambda: {"text": "Ann", "spans": [{"start": 0.5, "end": 3, "label": "per"}]},
    "true offset": lambda: {"text": "Ann", "spans": [{"start": True, "end": 3, "label": "per"}]},
    "400-digit label": lambda: '{"text": "x", "label": ' + "9" * 400 + "}",
    "5000-digit integer": lambda: '{"text": "x", "n": ' + "9" * 5000 + "}",
    "lone surrogate in text": lambda: '{"text": "bad \\ud800 text"}',
    "lone surrogate in metadata": lambda: '{"text": "ok", "note": "\\udfff"}',
    "lone surrogate in an id": lambda: '{"text": "ok", "id": "\\ud800"}',
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_rows_get_one_line_and_nothing_is_written(case, tmp_path, capsys):
    db = tmp_path / "w.db"
    task, labels = ("ner", "per") if "span" in case or "offset" in case else ("classification", "pos,neg")
    path = _jsonl(tmp_path, {"text": "a good first row"} if task == "classification" else {"text": "Bo"},
                  CASES[case]())
    code = main(["--db", str(db), "import", "p", path, "--task", task, "--labels", labels])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and err.startswith(f"error: {path}, line 2: "), err
    assert "Traceback" not in err
    with Store(db) as store:
        assert store.find_project("p") is None or store.count_records(store.get_project("p").id) == 0


def test_project_names_must_be_one_line_of_visible_text(tmp_path, capsys):
    for name in ("two\nlines", "tab\there", "bell\x07", "zero\u200bwidth"):
        assert main(["--db", str(tmp_path / "w.db"), "project", "create", name, "--task", "classification",
                     "--labels", "a,b"]) == 2
        assert "one line of visible text" in capsys.readouterr().err


def test_parquet_metadata_of_every_arrow_type_is_stored_as_json(tmp_path, store):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from workbench.io import import_file

    table = pa.table({
        "text": ["one", "two"],
        "when": pa.array([dt.datetime(2024, 5, 1, 12, 30), None], pa.timestamp("us")),
        "day": pa.array([dt.date(2024, 5, 1), dt.date(2024, 5, 2)]),
        "clock": pa.array([dt.time(12, 30), dt.time(1, 2, 3)]),
        "took": pa.array([dt.timedelta(seconds=90), dt.timedelta(0)], pa.duration("s")),
        "price": pa.array([decimal.Decimal("1.10"), decimal.Decimal("2.00")], pa.decimal128(5, 2)),
        "blob": pa.array([b"\x00\xff", b""]),
    })
    pq.write_table(table, tmp_path / "typed.parquet")
    report = import_file(store, "typed", tmp_path / "typed.parquet", task="classification", labels=["a"])
    first, second = list(store.iter_records(report.project.id))
    assert first.meta == {"when": "2024-05-01T12:30:00", "day": "2024-05-01", "clock": "12:30:00", "took": 90.0,
                          "price": "1.10", "blob": "AP8="}
    assert second.meta["when"] is None and second.meta["blob"] == ""

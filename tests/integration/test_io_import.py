"""import_file against a real SQLite store: formats, mapping, duplicates, and every bad-input case."""

from __future__ import annotations

import json
import os
import time

import pytest

from workbench.errors import DataFileError, NotFoundError, OfflineError, ValidationError
from workbench.io import IMPORT_FORMATS, import_file, preview_file
from workbench.types import text_hash

LABELS = ["pos", "neg", "neutral"]


def snapshot(store):
    """Everything an import could touch, to prove a failed import wrote nothing."""
    return tuple(
        tuple(map(tuple, store.conn.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()))
        for table in ("projects", "records", "reference_labels", "annotations")
    )


def write(path, text: str | bytes):
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def new_project(**kw):
    return {"task": "classification", "labels": LABELS, **kw}


# -- happy paths -----------------------------------------------------------
def test_csv_import_maps_columns_and_stores_reference_labels_not_annotations(store, tmp_path):
    path = write(tmp_path / "d.csv", "doc,text,label,source\nA1,great film,pos,web\nA2,awful plot,neg,print\n"
                                    "A3,\"multi\nline, with comma\",,web\n")
    report = import_file(store, "p", path, id_col="doc", **new_project())
    assert (report.rows, report.inserted, report.already_present, report.reference_labels) == (3, 3, 0, 2)
    assert report.format == "csv" and report.project.labels == LABELS
    recs = list(store.iter_records(report.project.id))
    assert [r.text for r in recs] == ["great film", "awful plot", "multi\nline, with comma"]
    assert [r.external_id for r in recs] == ["A1", "A2", "A3"]
    assert recs[0].meta == {"source": "web"} and recs[0].uid == text_hash("great film")
    assert store.reference_labels(report.project.id) == {recs[0].id: "pos", recs[1].id: "neg"}
    assert store.scalar("SELECT COUNT(*) FROM annotations") == 0
    assert all(r.status == "unlabelled" for r in recs)
    assert "imported 3 rows into 'p': 3 new" in report.summary()


def test_explicit_meta_cols_and_label_col(store, tmp_path):
    path = write(tmp_path / "d.tsv", "body\tgold\tsource\tjunk\nnice\tpos\tweb\tx\n")
    report = import_file(store, "p", path, text_col="body", label_col="gold", meta_cols=["source"], **new_project())
    rec = next(store.iter_records(report.project.id))
    assert rec.text == "nice" and rec.meta == {"source": "web"}
    assert store.reference_labels(report.project.id) == {rec.id: "pos"}


def test_duplicates_are_reported_kept_and_reimport_is_idempotent(store, tmp_path):
    path = write(tmp_path / "d.csv", "text,label\nsame,pos\nother,neg\nsame,neg\nsame,pos\n")
    first = import_file(store, "p", path, **new_project())
    assert first.inserted == 4 and first.n_duplicates == 2
    assert first.duplicates == [{"line": 4, "first_line": 2, "text": "same"},
                                {"line": 5, "first_line": 2, "text": "same"}]
    uids = [r.uid for r in store.iter_records(first.project.id)]
    assert uids[0] == text_hash("same") and uids[2] == text_hash("same\x001") and uids[3] == text_hash("same\x002")
    again = import_file(store, "p", path)
    assert (again.rows, again.inserted, again.already_present) == (4, 0, 4)
    assert store.count_records(first.project.id) == 4
    assert "2 duplicate texts" in again.summary()


def test_conll_import_builds_text_spans_and_keeps_tokens(store, tmp_path):
    path = write(tmp_path / "d.conll", "-DOCSTART- O\n\nAlice\tB-person\nflew to\tO\nNew B-location\n"
                                      "York I-location\n\nhi\tO\n")
    report = import_file(store, "t", path, task="ner", labels=["person", "location"])
    recs = list(store.iter_records(report.project.id))
    # With a TAB on the line, the token is everything before it (it may hold a space).
    assert recs[0].text == "Alice flew to New York"
    assert recs[0].meta == {"tokens": ["Alice", "flew to", "New", "York"]}
    refs = store.reference_labels(report.project.id)
    assert refs[recs[0].id] == [{"start": 0, "end": 5, "label": "person"}, {"start": 14, "end": 22, "label": "location"}]
    assert refs[recs[1].id] == []


def test_span_jsonl_and_multilabel_jsonl(store, tmp_path):
    spans = write(tmp_path / "s.jsonl", json.dumps({"text": "Bob in Rome", "spans": [
        {"start": 7, "end": 11, "label": "location"}, {"start": 0, "end": 3, "label": "person"}]}) + "\n\n")
    rep = import_file(store, "ner", spans, format="spans", task="ner", labels=["person", "location"])
    assert list(store.reference_labels(rep.project.id).values()) == [
        [{"start": 0, "end": 3, "label": "person"}, {"start": 7, "end": 11, "label": "location"}]]
    ml = write(tmp_path / "m.jsonl", '{"text": "a", "labels": ["b", "a"], "n": 3}\n{"text": "b", "labels": []}\n')
    rep = import_file(store, "ml", ml, task="multilabel", labels=["a", "b"])
    assert list(store.reference_labels(rep.project.id).values()) == [["a", "b"], []]
    assert next(store.iter_records(rep.project.id)).meta == {"n": 3}
    # Explicit metadata columns: a JSON line without an optional key is fine.
    rep = import_file(store, "ml2", ml, meta_cols=["n"], task="multilabel", labels=["a", "b"])
    assert [r.meta for r in store.iter_records(rep.project.id)] == [{"n": 3}, {}]


@pytest.mark.parametrize("cell,expected", [('"[""a"", ""b""]"', ["a", "b"]), ("b|a", ["a", "b"]), ("a", ["a"])])
def test_multilabel_csv_cells_are_json_lists_or_pipe_separated(store, tmp_path, cell, expected):
    path = write(tmp_path / "m.csv", f"text,labels\nhello,{cell}\n")
    rep = import_file(store, "ml", path, task="multilabel", labels=["a", "b"])
    assert list(store.reference_labels(rep.project.id).values()) == [expected]


def test_parquet_import_streams_rows(store, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"text": ["one", "two"], "label": ["pos", None], "score": [1.5, 2.0]}),
                   tmp_path / "d.parquet")
    rep = import_file(store, "p", tmp_path / "d.parquet", **new_project())
    assert rep.rows == 2 and rep.reference_labels == 1
    assert next(store.iter_records(rep.project.id)).meta == {"score": 1.5}


def test_parquet_bad_row_is_named_by_row_number(store, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"text": ["one", ""], "label": ["pos", "neg"]}), tmp_path / "d.parquet")
    with pytest.raises(DataFileError, match=r"d\.parquet: row 2: text is empty"):
        import_file(store, "p", tmp_path / "d.parquet", **new_project())
    assert store.list_projects() == []


def test_hf_directory_with_classlabel_and_token_tags(store, tmp_path):
    import datasets

    cls = datasets.Dataset.from_dict(
        {"text": ["good", "bad"], "label": [0, 1]},
        features=datasets.Features({"text": datasets.Value("string"), "label": datasets.ClassLabel(names=["pos", "neg"])}))
    datasets.DatasetDict({"train": cls, "test": cls.select([1])}).save_to_disk(str(tmp_path / "cls"))
    rep = import_file(store, "c", tmp_path / "cls", **new_project())
    recs = list(store.iter_records(rep.project.id))
    assert [(r.text, r.split) for r in recs] == [("good", "train"), ("bad", "train"), ("bad", "test")]
    assert list(store.reference_labels(rep.project.id).values()) == ["pos", "neg", "neg"]
    assert rep.n_duplicates == 1

    tags = datasets.ClassLabel(names=["O", "B-person", "I-person"])
    ner = datasets.Dataset.from_dict(
        {"tokens": [["Ada", "Lovelace", "wrote"]], "ner_tags": [[1, 2, 0]]},
        features=datasets.Features({"tokens": datasets.List(datasets.Value("string")), "ner_tags": datasets.List(tags)}))
    ner.save_to_disk(str(tmp_path / "ner"))
    rep = import_file(store, "n", tmp_path / "ner", task="ner", labels=["person"])
    rec = next(store.iter_records(rep.project.id))
    assert rec.text == "Ada Lovelace wrote" and rec.meta == {"tokens": ["Ada", "Lovelace", "wrote"]}
    assert store.reference_labels(rep.project.id)[rec.id] == [{"start": 0, "end": 12, "label": "person"}]


def test_hub_id_offline_fails_fast_with_clear_message(store, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    started = time.perf_counter()
    with pytest.raises(OfflineError, match="no network"):
        import_file(store, "p", "imdb/imdb-reviews", **new_project())
    assert time.perf_counter() - started < 5
    assert store.list_projects() == []


def test_hub_probe_without_offline_flag_is_bounded(store, monkeypatch):
    from workbench.io import hf_reader

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(hf_reader, "HUB_PROBE", ("127.0.0.1", 9))  # discard port: refused at once, no network needed
    with pytest.raises(OfflineError, match="Hugging Face hub"):
        import_file(store, "p", "x", hub_id="someone/data", **new_project())


def test_preview_file_reads_only_the_first_rows(tmp_path):
    path = write(tmp_path / "d.jsonl", "".join(json.dumps({"text": f"t{i}", "extra": i}) + "\n" for i in range(50)))
    out = preview_file(path, n=3)
    assert out["format"] == "jsonl" and out["columns"] == ["text", "extra"] and len(out["rows"]) == 3
    assert preview_file(write(tmp_path / "d.csv", "a,b\n1,2\n"))["rows"] == [{"a": "1", "b": "2"}]


def test_large_text_and_formula_like_content_are_kept_verbatim(store, tmp_path):
    big = "word " * 210_000  # ~1 MB, beyond csv's default field limit
    formula = "=HYPERLINK(\"http://x\",\"click\")"
    path = write(tmp_path / "d.csv", f"text\n\"{big}\"\n\"{formula.replace(chr(34), chr(34) * 2)}\"\n+1 call\n"
                                    "'quoted'\n")
    rep = import_file(store, "p", path, **new_project())
    texts = [r.text for r in store.iter_records(rep.project.id)]
    assert texts == [big, formula, "+1 call", "'quoted'"] and len(texts[0]) > 1_000_000


def test_unknown_project_without_task_is_not_found(store, tmp_path):
    with pytest.raises(NotFoundError, match="pass task and labels"):
        import_file(store, "nope", write(tmp_path / "d.csv", "text\nx\n"))


def test_unknown_format_lists_the_valid_ones(store, tmp_path):
    with pytest.raises(DataFileError, match="unknown import format .*; valid: " + ", ".join(IMPORT_FORMATS)):
        import_file(store, "p", write(tmp_path / "d.csv", "text\nx\n"), format="xlsx", **new_project())
    with pytest.raises(DataFileError, match="cannot tell the format"):
        import_file(store, "p", write(tmp_path / "d.dat", "text\nx\n"), **new_project())


def test_existing_project_with_other_task_is_refused(store, clf_project, tmp_path):
    with pytest.raises(ValidationError, match="exists with task 'classification'"):
        import_file(store, "reviews", write(tmp_path / "d.csv", "text\nx\n"), task="ner", labels=["x"])


# -- all-or-nothing: each bad input names file, line and fix; DB unchanged ---------------
BAD_INPUTS = [
    ("empty_text.csv", "text,label\nfine,pos\n   ,neg\n", 3, "text is empty"),
    ("bad_utf8.csv", b"text,label\nfine,pos\ncaf\xe9,neg\n", 3, "invalid UTF-8"),
    ("bad_label.csv", "text,label\nfine,pos\nodd,angry\n", 3, "label 'angry' is not in the schema (pos, neg, neutral)"),
    ("missing_col.csv", "body,label\nfine,pos\n", 1, "missing text column 'text'; columns present: body, label"),
    ("ragged.csv", "text,label\nfine,pos,extra\n", 2, "row has 3 fields but the header has 2"),
    ("empty.csv", "", None, "the file is empty"),
    ("header_only.csv", "text,label\n", None, "no data rows"),
    ("bad_json.jsonl", '{"text": "ok"}\n{"text": "broken",\n', 2, "invalid JSON"),
    ("not_object.jsonl", '{"text": "ok"}\n["x"]\n', 2, "expected a JSON object"),
    ("missing_key.jsonl", '{"text": "ok"}\n{"body": "x"}\n', 2, "missing text column 'text'; keys present: body"),
    ("empty.jsonl", "\n\n", None, "the file is empty"),
    ("array.json", '[{"text": "a"}]\n', 1, "the file is a JSON array"),
]


@pytest.mark.parametrize("name,content,line,message", BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_names_line_and_problem_and_writes_nothing(store, clf_project, tmp_path, name, content, line, message):
    before = snapshot(store)
    path = write(tmp_path / name, content)
    # Into an existing project and into a new one: both must leave the DB untouched.
    for target, kw in (("reviews", {}), ("fresh", new_project())):
        with pytest.raises(DataFileError) as err:
            import_file(store, target, path, **kw)
        assert err.value.line == line and message in str(err.value)
        assert str(err.value).startswith(f"{path}, line {line}:" if line else f"{path}:")
        assert snapshot(store) == before


NER_BAD = [
    ({"text": "Bob", "spans": [{"start": 0, "end": 9, "label": "person"}]}, "out of bounds for a text of 3 characters"),
    ({"text": "Bob Rome", "spans": [{"start": 0, "end": 5, "label": "person"},
                                     {"start": 4, "end": 8, "label": "location"}]}, "overlap"),
    ({"text": "Bob", "spans": [{"start": 0, "end": 3, "label": "alien"}]}, "span label 'alien' is not in the schema"),
    ({"text": "Bob", "spans": "not a list"}, "is not valid JSON"),
]


@pytest.mark.parametrize("row,message", NER_BAD, ids=["bounds", "overlap", "label", "json"])
def test_bad_spans_fail_on_their_line_after_good_rows(store, tmp_path, row, message):
    good = {"text": "Alice", "spans": [{"start": 0, "end": 5, "label": "person"}]}
    path = write(tmp_path / "s.jsonl", "".join(json.dumps(r) + "\n" for r in (good, good | {"text": "Alice!"}, row)))
    before = snapshot(store)
    with pytest.raises(DataFileError, match=f"line 3: .*{message}"):
        import_file(store, "n", path, task="ner", labels=["person", "location"])
    assert snapshot(store) == before


def test_failure_after_many_chunks_rolls_everything_back(store, tmp_path):
    rows = "".join(f"text {i},pos\n" for i in range(2500)) + "last,unknown\n"
    path = write(tmp_path / "d.csv", "text,label\n" + rows)
    with pytest.raises(DataFileError, match="line 2502"):
        import_file(store, "p", path, **new_project())
    assert store.list_projects() == [] and store.scalar("SELECT COUNT(*) FROM records") == 0
    assert store.scalar("SELECT COUNT(*) FROM records_fts") == 0


def test_bad_bio_tag_and_missing_tag(store, tmp_path):
    with pytest.raises(DataFileError, match=r"line 2: tag 'X-person' is not BIO"):
        import_file(store, "n", write(tmp_path / "a.conll", "Bob\tB-person\nAda\tX-person\n"),
                    task="ner", labels=["person"])
    with pytest.raises(DataFileError, match=r"line 1: expected 'token<TAB>tag'"):
        import_file(store, "n", write(tmp_path / "b.conll", "Bob\n"), task="ner", labels=["person"])
    assert store.list_projects() == []


def test_gzip_input_is_read(store, tmp_path):
    import gzip

    with gzip.open(tmp_path / "d.csv.gz", "wt", encoding="utf-8") as fh:
        fh.write("text,label\nzipped,neg\n")
    rep = import_file(store, "p", tmp_path / "d.csv.gz", **new_project())
    assert rep.format == "csv" and rep.reference_labels == 1


@pytest.mark.skipif(os.name != "posix", reason="memory figure is Linux-specific")
def test_benchmark_command_runs_and_reports(capsys):
    from benchmarks.import_speed import main

    assert main(["--rows", "3000"]) == 0
    out = capsys.readouterr().out
    assert "imported 3,000 rows" in out and "rows/s" in out and "peak RSS" in out


def test_import_memory_stays_flat_while_the_file_grows(store, tmp_path):
    import tracemalloc

    from benchmarks.import_speed import LABELS as BENCH_LABELS
    from benchmarks.import_speed import write_csv

    path = tmp_path / "big.csv"
    write_csv(path, 10_000)
    assert path.stat().st_size > 1_500_000
    tracemalloc.start()
    try:
        report = import_file(store, "big", path, task="classification", labels=BENCH_LABELS)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert report.rows == 10_000
    # Holding every row would need several MB of Python objects; chunks of 1000 need about one.
    assert peak < 4_000_000, f"peak Python allocation {peak / 1e6:.1f} MB"


def test_a_20000_column_header_previews_and_imports_in_linear_time(store, tmp_path):
    # quadratic header handling took 14.8 s to preview this file (issue 9, finding 8)
    cols = ["text"] + [f"c{i}" for i in range(20_000)]
    path = write(tmp_path / "wide.csv", ",".join(cols) + "\n" + ",".join(["hello"] + ["1"] * 20_000) + "\n")
    start = time.perf_counter()
    out = preview_file(path)
    assert time.perf_counter() - start < 1.0
    assert len(out["columns"]) == 20_001 and out["hidden_columns"] == 20_001 - 50 and len(out["rows"][0]) == 50
    start = time.perf_counter()
    report = import_file(store, "wide", path, **new_project())
    assert report.rows == 1 and time.perf_counter() - start < 5.0

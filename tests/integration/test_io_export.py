"""export_project: round trips through every format, label sources, splits, provenance, card, CSV safety."""

from __future__ import annotations

import csv
import json

import pytest

from workbench.errors import ValidationError
from workbench.io import EXPORT_FORMATS, export_project, import_file
from workbench.io.csv_safety import MARKER_COLUMN
from workbench.store import NewRecord
from workbench.types import text_hash

TEXTS = {
    "classification": ["great film, truly", 'said "meh"\nand left', "naïve café ☕", "loved it", "so-so"],
    "multilabel": ["sport and politics", "just sport", "nothing here", "politics, again", "all of it"],
    "ner": ["Alice flew to Paris", "nothing here", "Bob met Alice Smith in New York", "Paris", "see you in Rome"],
}
LABELS = {"classification": ["pos", "neg", "meh"], "multilabel": ["sport", "politics", "tech"],
          "ner": ["person", "location"]}
VALUES = {
    "classification": ["pos", "meh", "pos", "pos", "neg"],
    "multilabel": [["sport", "politics"], ["sport"], [], ["politics"], ["sport", "politics", "tech"]],
    "ner": [
        [{"start": 0, "end": 5, "label": "person"}, {"start": 14, "end": 19, "label": "location"}],
        [],
        [{"start": 0, "end": 3, "label": "person"}, {"start": 8, "end": 19, "label": "person"},
         {"start": 23, "end": 31, "label": "location"}],
        [{"start": 0, "end": 5, "label": "location"}],
        [{"start": 11, "end": 15, "label": "location"}],
    ],
}
FORMATS = {"classification": ["jsonl", "csv", "tsv", "parquet", "hf"],
           "multilabel": ["jsonl", "csv", "tsv", "parquet", "hf"],
           "ner": ["jsonl", "csv", "tsv", "parquet", "hf", "conll"]}
SUFFIX = {"jsonl": ".jsonl", "csv": ".csv", "tsv": ".tsv", "parquet": ".parquet", "hf": "", "conll": ".conll"}


def labelled_project(store, task, name="src", annotator="ann"):
    project = store.create_project(name, task, LABELS[task])
    ids = store.insert_records(project.id, [
        NewRecord(uid=text_hash(t), text=t, external_id=f"e{i}", meta={"source": "web", "n": i})
        for i, t in enumerate(TEXTS[task])])
    for rid, value in zip(ids, VALUES[task]):
        store.annotate(project, rid, annotator, "label", value)
    return project, ids


@pytest.mark.parametrize("task,fmt", [(t, f) for t, fmts in FORMATS.items() for f in fmts])
def test_round_trip_keeps_texts_labels_and_spans(store, tmp_path, task, fmt):
    if fmt == "conll":  # CoNLL tokenises on whitespace: texts must be single-spaced, one line
        assert all(" ".join(t.split()) == t for t in TEXTS[task])
    project, _ = labelled_project(store, task)
    out = tmp_path / f"out{SUFFIX[fmt]}"
    report = export_project(store, project.name, out, format=fmt)
    assert report.rows == 5 and report.per_annotator == {"ann": 5}
    back = import_file(store, "back", out, task=task, labels=LABELS[task])
    recs = list(store.iter_records(back.project.id))
    refs = store.reference_labels(back.project.id)
    assert [r.text for r in recs] == TEXTS[task]
    assert [refs[r.id] for r in recs] == VALUES[task]
    if fmt != "conll":
        assert [r.external_id for r in recs] == [f"e{i}" for i in range(5)]
    if fmt in ("jsonl", "parquet", "hf"):  # typed formats keep metadata types
        assert recs[1].meta["source"] == "web" and recs[1].meta["n"] == 1


def test_hf_export_uses_classlabel_features_and_bio_tags(store, tmp_path):
    import datasets

    for task in ("classification", "multilabel", "ner"):
        project, _ = labelled_project(store, task, name=task)
        export_project(store, task, tmp_path / task, format="hf", split=0.4, seed=1)
        dd = datasets.load_from_disk(str(tmp_path / task))
        assert set(dd) == {"train", "test"} and dd["train"].num_rows + dd["test"].num_rows == 5
        features = dd["train"].features
        if task == "classification":
            assert features["label"] == datasets.ClassLabel(names=LABELS[task])
        elif task == "multilabel":
            assert features["labels"].feature == datasets.ClassLabel(names=LABELS[task])
        else:
            assert features["ner_tags"].feature.names == ["O", "B-person", "I-person", "B-location", "I-location"]
            row = next(r for r in dd["train"].to_list() + dd["test"].to_list() if r["text"] == TEXTS["ner"][2])
            tag_names = [features["ner_tags"].feature.int2str(t) for t in row["ner_tags"]]
            assert list(zip(row["tokens"], tag_names)) == [
                ("Bob", "B-person"), ("met", "O"), ("Alice", "B-person"), ("Smith", "I-person"), ("in", "O"),
                ("New", "B-location"), ("York", "I-location")]
        card = (tmp_path / task / "README.md").read_text()
        assert "## Counts per label" in card and "| ann | 5 |" in card


def test_label_sources_and_provenance(store, tmp_path):
    project = store.create_project("p", "classification", ["pos", "neg"])
    ids = store.insert_records(project.id, [NewRecord(uid=text_hash(t), text=t) for t in "abcd"])
    store.set_reference_labels(project.id, [(ids[0], "neg"), (ids[1], "neg"), (ids[2], "pos")])
    store.annotate(project, ids[0], "ann", "label", "pos")
    store.annotate(project, ids[3], "bob", "label", "neg")
    store.annotate(project, ids[1], "ann", "label", "pos")
    store.undo_last(project, "ann")  # retracted: record b has no human label any more
    store.annotate(project, ids[2], "auditor", "exclude")

    def rows(source):
        report = export_project(store, project, tmp_path / f"{source}.jsonl", format="jsonl", source=source)
        return report, [json.loads(line) for line in (tmp_path / f"{source}.jsonl").read_text().splitlines()]

    report, got = rows("annotations")
    assert [(r["text"], r["label"], r["annotator"], r["label_source"]) for r in got] == [
        ("a", "pos", "ann", "annotation"), ("d", "neg", "bob", "annotation")]
    assert all(r["annotated_at"] for r in got)
    assert report.per_annotator == {"ann": 1, "bob": 1} and report.per_label == {"pos": 1, "neg": 1}
    _, got = rows("reference")
    assert [(r["text"], r["label"], r["annotator"]) for r in got] == [("a", "neg", None), ("b", "neg", None),
                                                                       ("c", "pos", None)]
    report, got = rows("curated")  # human label wins, reference fills in, excluded c is dropped
    assert [(r["text"], r["label"], r["label_source"]) for r in got] == [
        ("a", "pos", "annotation"), ("b", "neg", "reference"), ("d", "neg", "annotation")]
    assert report.per_annotator == {"ann": 1, "bob": 1, "(reference)": 1}


def test_stratified_split_is_seeded_and_writes_a_card(store, tmp_path):
    project = store.create_project("p", "classification", ["pos", "neg"])
    ids = store.insert_records(project.id, [NewRecord(uid=text_hash(f"t{i}"), text=f"t{i}") for i in range(20)])
    store.set_reference_labels(project.id, [(rid, "pos" if i < 15 else "neg") for i, rid in enumerate(ids)])
    report = export_project(store, "p", tmp_path / "a", format="csv", source="reference", split=0.2, seed=3)
    assert report.per_split == {"train": 16, "test": 4} or report.per_split == {"test": 4, "train": 16}
    with open(tmp_path / "a" / "test.csv", newline="") as fh:
        test = list(csv.DictReader(fh))
    assert sorted(r["label"] for r in test) == ["neg", "pos", "pos", "pos"]  # 3:1 like the whole set
    assert {r["split"] for r in test} == {"test"}
    again = export_project(store, "p", tmp_path / "b", format="csv", source="reference", split=0.2, seed=3)
    assert (tmp_path / "b" / "test.csv").read_text() == (tmp_path / "a" / "test.csv").read_text()
    assert again.notes == []
    card = (tmp_path / "a" / "README.md").read_text()
    assert "| pos | 15 |" in card and "| neg | 5 |" in card and "| test | 4 |" in card
    assert {p.name for p in report.files} == {"train.csv", "test.csv", "README.md"}


def test_split_falls_back_to_random_with_a_note_for_a_singleton_class(store, tmp_path):
    project = store.create_project("p", "classification", ["pos", "neg"])
    ids = store.insert_records(project.id, [NewRecord(uid=text_hash(f"t{i}"), text=f"t{i}") for i in range(6)])
    store.set_reference_labels(project.id, [(rid, "neg" if i == 0 else "pos") for i, rid in enumerate(ids)])
    report = export_project(store, "p", tmp_path / "s", format="jsonl", source="reference", split=0.5)
    assert report.notes == ["split is not stratified: class 'neg' has fewer than 2 rows"]
    assert sum(report.per_split.values()) == 6
    assert "split is not stratified" in (tmp_path / "s" / "README.md").read_text()


def test_csv_export_neutralises_formula_cells_but_jsonl_keeps_them(store, tmp_path):
    project = store.create_project("p", "classification", ["pos"])
    texts = ["=1+2", "+SUM(A1)", "-3", "@cmd", "\tx", "plain = fine", "'@quoted tweet"]
    ids = store.insert_records(project.id, [NewRecord(uid=text_hash(t), text=t) for t in texts])
    store.set_reference_labels(project.id, [(rid, "pos") for rid in ids])
    export_project(store, "p", tmp_path / "o.csv", format="csv", source="reference")
    with open(tmp_path / "o.csv", newline="") as fh:
        cells = [r["text"] for r in csv.DictReader(fh)]
    assert cells == ["'=1+2", "'+SUM(A1)", "'-3", "'@cmd", "'\tx", "plain = fine", "''@quoted tweet"]
    export_project(store, "p", tmp_path / "o.jsonl", format="jsonl", source="reference")
    assert [json.loads(x)["text"] for x in (tmp_path / "o.jsonl").read_text().splitlines()] == texts
    back = import_file(store, "back", tmp_path / "o.csv", task="classification", labels=["pos"])  # drops that quote
    assert [r.text for r in store.iter_records(back.project.id)] == texts


def test_ner_csv_round_trip_keeps_span_offsets_of_texts_starting_with_at(store, tmp_path):
    project = store.create_project("n", "ner", ["person"])
    (rid,) = store.insert_records(project.id, [NewRecord(uid="u", text="@bob meets Ann", external_id="-1")])
    spans = [{"start": 11, "end": 14, "label": "person"}]
    store.annotate(project, rid, "ann", "label", spans)
    export_project(store, "n", tmp_path / "o.csv", format="csv")
    assert "'@bob meets Ann" in (tmp_path / "o.csv").read_text()
    back = import_file(store, "back", tmp_path / "o.csv", task="ner", labels=["person"])
    rec = next(store.iter_records(back.project.id))
    assert (rec.text, rec.external_id, store.reference_labels(back.project.id)[rec.id]) == (
        "@bob meets Ann", "-1", spans)


def test_conll_notes_spans_that_cut_through_tokens(store, tmp_path):
    project = store.create_project("n", "ner", ["person"])
    (rid,) = store.insert_records(project.id, [NewRecord(uid="u", text="Mr.Smithson came")])
    # "Smith" ends inside the token "Smithson" (tokens: Mr . Smithson came)
    store.annotate(project, rid, "ann", "label", [{"start": 3, "end": 8, "label": "person"}])
    report = export_project(store, "n", tmp_path / "o.conll", format="conll")
    assert (tmp_path / "o.conll").read_text() == ('# text_json = "Mr.Smithson came"\n'
                                                  "Mr\tO\n.\tO\nSmithson\tB-person\ncame\tO\n\n")
    assert report.notes and "token boundaries" in report.notes[0]


def test_existing_directory_gets_data_file_and_card(store, clf_project, tmp_path):
    (tmp_path / "d").mkdir()
    report = export_project(store, "reviews", tmp_path / "d", format="parquet", source="reference")
    assert {p.name for p in report.files} == {"data.parquet", "README.md"}
    assert report.rows == 4 and report.per_label == {"pos": 2, "neg": 1, "neutral": 1}


@pytest.mark.parametrize("kwargs,message", [
    ({"format": "xml"}, "unknown export format 'xml'; valid: " + ", ".join(EXPORT_FORMATS)),
    ({"format": "jsonl", "source": "gold"}, "unknown label source .*; valid: annotations, reference, curated"),
    ({"format": "jsonl", "split": 1.5}, "between 0 and 1"),
    ({"format": "conll"}, "CoNLL export holds NER tags"),
    ({"format": "jsonl"}, "nothing to export"),  # annotations source: nobody labelled anything yet
])
def test_bad_export_requests_are_explained(store, clf_project, tmp_path, kwargs, message):
    with pytest.raises(ValidationError, match=message):
        export_project(store, "reviews", tmp_path / "x", **kwargs)
    assert not (tmp_path / "x").exists()


def test_csv_headers_are_neutralised_and_every_tricky_cell_round_trips(store, tmp_path):
    project = store.create_project("p", "classification", ["pos"])
    texts = ["\nnew line first", " =1", "\u00a0=1", "\ufeff=1", "\u200b=1", "\uff1d1+1", "\uff20cmd", "\ufe661",
             "|cmd", ";x", "'=already"]
    ids = store.insert_records(project.id, [NewRecord(uid=text_hash(t), text=t, meta={"=1+1": "@x"}) for t in texts])
    store.set_reference_labels(project.id, [(rid, "pos") for rid in ids])
    export_project(store, "p", tmp_path / "o.csv", format="csv", source="reference")
    with open(tmp_path / "o.csv", newline="", encoding="utf-8") as fh:
        header, *rows = list(csv.reader(fh))
    assert "'=1+1" in header and "=1+1" not in header and header[-1] == MARKER_COLUMN
    assert all(row[header.index("text")].startswith("'") for row in rows)
    back = import_file(store, "back", tmp_path / "o.csv", task="classification", labels=["pos"])
    records = list(store.iter_records(back.project.id))
    assert [r.text for r in records] == texts and {r.meta["=1+1"] for r in records} == {"@x"}
    assert all(MARKER_COLUMN not in r.meta for r in records)


def test_a_third_party_csv_keeps_its_leading_quotes(store, tmp_path):
    path = tmp_path / "theirs.csv"
    path.write_text("text,note\n'=SUM(A1),'@x\n", encoding="utf-8")  # no marker column: not ours
    report = import_file(store, "theirs", path, task="classification", labels=["pos"])
    rec = next(store.iter_records(report.project.id))
    assert (rec.text, rec.meta) == ("'=SUM(A1)", {"note": "'@x"})


def test_conll_round_trip_keeps_whitespace_and_offsets(store, tmp_path):
    project = store.create_project("ws", "ner", ["per", "loc"])
    texts = ["Ann  met Bo", "  leading space", "tab\there Paris", "two\nlines, Ann", "Paris, France!"]
    ids = store.insert_records(project.id, [NewRecord(uid=text_hash(t), text=t) for t in texts])
    spans = {texts[0]: [{"start": 0, "end": 3, "label": "per"}], texts[2]: [{"start": 9, "end": 14, "label": "loc"}],
             texts[3]: [{"start": 11, "end": 14, "label": "per"}], texts[4]: [{"start": 0, "end": 5, "label": "loc"}]}
    for rid, text in zip(ids, texts):
        store.annotate(project, rid, "ann", "label", spans.get(text, []))
    export_project(store, "ws", tmp_path / "o.conll", format="conll")
    assert '# text_json = "Ann  met Bo"' in (tmp_path / "o.conll").read_text()
    back = import_file(store, "back", tmp_path / "o.conll", task="ner", labels=["per", "loc"])
    refs = store.reference_labels(back.project.id)
    got = {r.text: refs.get(r.id, []) for r in store.iter_records(back.project.id)}
    assert got == {t: spans.get(t, []) for t in texts}

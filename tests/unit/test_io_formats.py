"""Pure helpers of workbench.io: BIO <-> spans, tokenisation, format inference, CSV neutralisation."""

from __future__ import annotations

import subprocess
import sys

import pytest

from workbench.errors import DataFileError
from workbench.io import EXPORT_FORMATS, IMPORT_FORMATS
from workbench.io.readers import _unneutralise, bio_to_spans, infer_format
from workbench.io.writers import neutralise, spans_to_bio, tokens_with_offsets


def test_registries_name_every_documented_format():
    assert set(IMPORT_FORMATS) == {"csv", "tsv", "jsonl", "parquet", "hf", "conll", "spans"}
    assert {"jsonl", "csv", "parquet", "hf", "conll"} <= set(EXPORT_FORMATS)


@pytest.mark.parametrize("tags,expected", [
    (["B-per", "I-per", "O", "B-loc"], [(0, 9, "per"), (13, 17, "loc")]),
    (["I-per", "I-per", "O", "O"], [(0, 9, "per")]),               # IOB1: I- may open an entity
    (["B-per", "B-per", "O", "O"], [(0, 3, "per"), (4, 9, "per")]),  # B- always opens a new one
    (["B-per", "I-loc", "O", "O"], [(0, 3, "per"), (4, 9, "loc")]),  # type change opens a new one
    (["O", "O", "O", "O"], []),
])
def test_bio_to_spans(tags, expected):
    text, spans = bio_to_spans(["Ann", "Smith", "in", "Rome"], tags)
    assert text == "Ann Smith in Rome"
    assert [(s["start"], s["end"], s["label"]) for s in spans] == expected


def test_spans_to_bio_inverts_bio_to_spans():
    tokens = ["Ann", "Smith", "met", "Bo", "in", "New", "York"]
    tags = ["B-per", "I-per", "O", "B-per", "O", "B-loc", "I-loc"]
    text, spans = bio_to_spans(tokens, tags)
    assert spans_to_bio(tokens_with_offsets(text), spans) == (tags, 0)


def test_tokens_with_offsets_prefers_stored_tokens_that_rebuild_the_text():
    assert tokens_with_offsets("New York", ["New York"]) == [("New York", 0, 8)]
    assert tokens_with_offsets("a  b", ["a", "b"]) == [("a", 0, 1), ("b", 3, 4)]  # stored tokens do not fit
    assert tokens_with_offsets(" x\ty ") == [("x", 1, 2), ("y", 3, 4)]


@pytest.mark.parametrize("cell,expected", [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@A", "'@A"), ("\tA", "'\tA"), ("\rA", "'\rA"),
    ("a=b", "a=b"), ("", ""), ("'@already", "''@already"), ("'plain", "'plain"),
])
def test_neutralise_is_undone_exactly_by_the_csv_reader(cell, expected):
    assert neutralise(cell) == expected
    assert _unneutralise(neutralise(cell)) == cell


def test_infer_format(tmp_path):
    for name, fmt in [("a.csv", "csv"), ("a.TSV", "tsv"), ("a.jsonl", "jsonl"), ("a.csv.gz", "csv"),
                      ("a.parquet", "parquet"), ("a.conll", "conll"), ("a.bio", "conll"), ("a.json", "jsonl")]:
        (tmp_path / name).write_text("")
        assert infer_format(tmp_path / name) == fmt
    (tmp_path / "ner.txt").write_text("Bob B-per\nran O\n\nhi\tO\n")
    assert infer_format(tmp_path / "ner.txt") == "conll"
    (tmp_path / "notes.txt").write_text("just some notes\n")
    with pytest.raises(DataFileError, match="cannot tell the format"):
        infer_format(tmp_path / "notes.txt")
    (tmp_path / "ds").mkdir()
    (tmp_path / "ds" / "dataset_dict.json").write_text("{}")
    assert infer_format(tmp_path / "ds") == "hf"
    assert infer_format("someone/some-dataset") == "hf"
    assert infer_format(tmp_path / "a.csv", "spans") == "spans"
    with pytest.raises(DataFileError, match="no such file"):
        infer_format(tmp_path / "missing.csv")
    (tmp_path / "plain").mkdir()
    with pytest.raises(DataFileError, match="not a Hugging Face"):
        infer_format(tmp_path / "plain")


def test_importing_io_leaves_datasets_and_sklearn_unloaded():
    # datasets and sklearn take seconds to import: only exports/HF imports that need them pay for it.
    code = ("import sys, workbench.io, workbench.cli.commands_io\n"
            "print(','.join(m for m in ('datasets', 'sklearn') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""

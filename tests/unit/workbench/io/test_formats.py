"""Pure helpers of workbench.io: BIO <-> spans, tokenisation, format inference, CSV neutralisation."""

from __future__ import annotations

import subprocess
import sys

import pytest

from workbench.errors import DataFileError
from workbench.io import EXPORT_FORMATS, IMPORT_FORMATS
from workbench.io.csv_safety import neutralise, unneutralise
from workbench.io.readers import infer_format
from workbench.text import bio_to_spans, join_words, spans_to_bio, tokens_for


def test_registries_name_every_documented_format():
    assert set(IMPORT_FORMATS) == {"csv", "tsv", "jsonl", "parquet", "hf", "conll", "spans"}
    assert {"jsonl", "csv", "parquet", "hf", "conll"} <= set(EXPORT_FORMATS)


def test_conll_words_round_trip_through_the_tokenizer():
    text, tokens = join_words(["Ann", "Smith", "met", "Bo", "in", "New", "York"])
    tags = ["B-per", "I-per", "O", "B-per", "O", "B-loc", "I-loc"]
    assert spans_to_bio(tokens_for(text), bio_to_spans(tokens, tags)) == (tags, 0)


@pytest.mark.parametrize("cell,expected", [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@A", "'@A"), ("\tA", "'\tA"), ("\rA", "'\rA"),
    ("\nA", "'\nA"), (" =1", "' =1"), ("\u00a0=1", "'\u00a0=1"), ("\ufeff=1", "'\ufeff=1"),
    ("\u200b=1", "'\u200b=1"), ("\uff1d1+1", "'\uff1d1+1"), ("\uff0b1", "'\uff0b1"), ("\uff0d1", "'\uff0d1"),
    ("\uff20A", "'\uff20A"), ("\ufe661", "'\ufe661"), ("|cmd", "'|cmd"), (";x", "';x"),
    ("a=b", "a=b"), ("", ""), ("'@already", "''@already"), ("'plain", "'plain"), ("'", "'"),
])
def test_neutralise_is_undone_exactly_by_the_csv_reader(cell, expected):
    assert neutralise(cell) == expected
    assert unneutralise(neutralise(cell)) == cell


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
    code = ("import sys, workbench.io, workbench.api.cli.commands_io\n"
            "print(','.join(m for m in ('datasets', 'sklearn') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""

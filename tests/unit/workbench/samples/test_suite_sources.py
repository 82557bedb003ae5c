"""The benchmark suite's data sources: Debian packages read without dpkg, the three converters,
and the plain ``samples fetch`` leaving the suite's data alone."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from dataclasses import replace

import pytest

from workbench import samples
from workbench.errors import DataFileError
from workbench.samples import suite_parsers
from workbench.samples.deb import ar_members, deb_files

DATA_NOUN = (
    "  1 This software and database is being provided to you, the LICENSEE, by  \n"
    "00001740 05 n 01 dog 0 000 | a domesticated carnivore; \"the dog barked\"\n"
    "00001741 05 n 01 cat 0 000 | a small feline\n"
    "00001742 13 n 01 bread 0 000 | food made from dough\n"
    "00001743 13 n 01 loaf 0 000 | food made from dough\n"  # same gloss, same class: kept once
    "00001744 13 n 01 cake 0 000 | a sweet baked food\n"
    "00001745 09 n 01 idea 0 000 | a thought (cognition: not a suite class)\n"
)


def _deb(path, files: dict[str, bytes]):
    """A minimal Debian package: ar archive with debian-binary, control.tar.gz and data.tar.xz."""
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w:xz") as tf:
        for name, blob in files.items():
            info = tarfile.TarInfo(f"./{name}")
            info.size = len(blob)
            tf.addfile(info, io.BytesIO(blob))
        link = tarfile.TarInfo("./usr/share/games/fortunes/food.u8")
        link.type, link.linkname = tarfile.SYMTYPE, "food"
        tf.addfile(link)
    members = [("debian-binary", b"2.0\n"), ("control.tar.gz", gzip.compress(b"")), ("data.tar.xz", data.getvalue())]
    out = bytearray(b"!<arch>\n")
    for name, blob in members:
        out += f"{name + '/':<16}{0:<12}{0:<6}{0:<6}{'100644':<8}{len(blob):<10}`\n".encode()
        out += blob + (b"\n" if len(blob) % 2 else b"")
    path.write_bytes(bytes(out))
    return path


def test_a_deb_is_read_in_memory_regular_files_only(tmp_path):
    deb = _deb(tmp_path / "fortunes_1.0_all.deb", {"usr/share/games/fortunes/food": b"Eat.\n%\nDrink.\n",
                                                    "usr/share/doc/fortunes/copyright": b"BSD"})
    files = deb_files(deb, "usr/share/games/fortunes/")
    assert files == {"food": b"Eat.\n%\nDrink.\n"}  # the symlink and files outside the prefix are skipped
    assert set(ar_members(deb.read_bytes())) == {"debian-binary", "control.tar.gz", "data.tar.xz"}
    with pytest.raises(DataFileError, match="not a Debian package"):
        ar_members(b"PK\x03\x04 a zip")


def test_fortunes_topics_drop_overstrike_and_ambiguous_texts():
    files = {t: b"" for t in suite_parsers.FORTUNE_TOPICS}
    files["food"] = b"An _\x08a_\x08p_\x08p_\x08l_\x08e a day.\n%\nShared joke.\n%\nBread.\n%\nBread.\n"
    files["law"] = b"Shared joke.\n%\nObjection!\n\t\t-- a lawyer\n"
    rows = suite_parsers.parse_fortunes(files)
    assert [(r["label"], r["text"]) for r in rows] == [
        ("food", "An apple a day."), ("food", "Bread."), ("law", "Objection!\n\t\t-- a lawyer")]
    assert rows[0]["id"] == "food/1"
    with pytest.raises(DataFileError, match="'art' is missing"):
        suite_parsers.parse_fortunes({"food": b"x"})


def test_wordnet_nouns_sample_per_class_with_a_fixed_seed(monkeypatch):
    monkeypatch.setattr(suite_parsers, "WORDNET_NOUN_FILES", {5: "animal", 13: "food"})
    rows = suite_parsers.parse_wordnet_nouns(DATA_NOUN.encode(), per_class=2)
    assert sorted(r["label"] for r in rows) == ["animal", "animal", "food", "food"]
    assert {r["id"] for r in rows if r["label"] == "animal"} == {"wn-00001740", "wn-00001741"}
    assert rows == suite_parsers.parse_wordnet_nouns(DATA_NOUN.encode(), per_class=2)  # same draw every time
    with pytest.raises(DataFileError, match="only 2 animal glosses"):
        suite_parsers.parse_wordnet_nouns(DATA_NOUN.encode(), per_class=3)
    with pytest.raises(DataFileError, match="line 2"):
        suite_parsers.parse_wordnet_nouns(b"  header\nnot a synset line\n", per_class=1)


def test_debates_label_the_side_and_name_a_bad_row():
    csv_text = ("speaker,statement,debate,party,speaker and debate\n"
                "HOLT,Good evening.,1st,Moderator,HOLT 1st\n"
                "TRUMP,We will win.,1st,Republican,TRUMP 1st\n"
                "CLINTON,,1st,Democratic,CLINTON 1st\n")
    rows = suite_parsers.parse_debates(gzip.compress(csv_text.encode()))
    assert [(r["label"], r["speaker"]) for r in rows] == [("moderator", "HOLT"), ("republican", "TRUMP")]
    bad = csv_text.replace("Republican", "Green")
    with pytest.raises(DataFileError, match=r"line 3.*'Green'|'Green'"):
        suite_parsers.parse_debates(gzip.compress(bad.encode()))


def test_tweet_sentiment_draws_a_fixed_sample_of_unambiguous_tweets_and_names_a_bad_row():
    csv_bytes = ("sentiment,confidence,text\n"
                 "negative,0.75,I do not trust it\n"
                 "positive,1,Love it \xd1 really\n"   # a byte that is not UTF-8, as in the corpus
                 "neutral,,Same text\n"
                 "positive,0.6,Same text\n"            # under two labels: ambiguous, dropped
                 "neutral,0.5,   \n"
                 "neutral,0.9,News at six\n").encode("latin-1")
    rows = suite_parsers.parse_tweet_sentiment(csv_bytes, size=2)
    assert rows == suite_parsers.parse_tweet_sentiment(csv_bytes, size=2)  # the same draw every time
    every = suite_parsers.parse_tweet_sentiment(csv_bytes, size=3)
    assert [(r["id"], r["label"]) for r in every] == [("tweet-00001", "negative"), ("tweet-00002", "positive"),
                                                      ("tweet-00006", "neutral")]
    assert every[1]["text"] == "Love it \ufffd really" and every[0]["confidence"] == "0.75"
    with pytest.raises(DataFileError, match="only 3 unambiguous tweets"):
        suite_parsers.parse_tweet_sentiment(csv_bytes, size=4)
    with pytest.raises(DataFileError, match="line 2.*'angry'"):
        suite_parsers.parse_tweet_sentiment(b"sentiment,confidence,text\nangry,1,grr\n", size=1)


def test_a_debian_source_installs_from_its_package_and_stays_out_of_the_plain_fetch(tmp_path):
    files = {f"usr/share/games/fortunes/{t}": f"A {t} fortune.\n%\nMore {t}.\n".encode()
             for t in suite_parsers.FORTUNE_TOPICS}
    deb = _deb(tmp_path / "fortunes_1.99_all.deb", files)
    source = samples.get_source("fortunes")
    raw = samples.read_raw(source, deb)
    data, count = source.build(raw)
    tiny = replace(source, raw_sha256=samples.raw_sha256(raw), sha256=samples.sha256_bytes(data), count=count)
    result = samples.install_from_archive(tiny, deb, tmp_path / "out")
    rows = [json.loads(line) for line in result.path.read_text(encoding="utf-8").splitlines()]
    assert count == 20 and {r["label"] for r in rows} == set(suite_parsers.FORTUNE_TOPICS)
    assert tiny.spec == "fortunes=1:1.99.1-7.3"
    plain = {s.name for s in samples.status(tmp_path)}
    suite = {s.name for s in samples.status(tmp_path, suite=True)}
    assert plain == {"rotten_tomatoes", "wnut16", "spam_assassin"}
    assert suite - plain == {"fortunes", "wordnet_nouns", "debates", "tweet_sentiment"}

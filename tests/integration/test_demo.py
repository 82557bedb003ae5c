"""Demo projects: built from the real sample data and from a tiny fake samples dir."""

from __future__ import annotations

import pytest

from workbench import config, samples
from workbench.api.cli import main
from workbench.demo import MOVIE_REVIEWS, TWEETS_NER, ensure_demo
from workbench.errors import DataFileError, WorkbenchError
from workbench.store import Store
from workbench.text import write_conll

WNUT_TYPES = ["company", "facility", "geo-loc", "movie", "musicartist", "other", "person", "product",
              "sportsteam", "tvshow"]


def _annotations(store) -> int:
    return store.scalar("SELECT COUNT(*) FROM annotations")


def _span_count(store, project) -> int:
    return sum(len(v) for v in store.reference_labels(project.id).values())


@pytest.fixture
def tiny_samples(tmp_path):
    """A samples dir with three reviews and three tweets, written by the real converters."""
    d = tmp_path / "samples"
    d.mkdir()
    reviews = [
        {"text": "A joy from start to finish.", "label": "fresh", "movie_name": "film_a", "id": "rt-00001"},
        {"text": "Dull and far too long.", "label": "rotten", "movie_name": "film_b", "id": "rt-00002"},
        {"text": "A farmer finds a dragon egg.", "label": "plot", "movie_name": "film_c", "id": "rt-00003"},
        {"text": "A joy from start to finish.", "label": "fresh", "movie_name": "film_d", "id": "rt-00004"},
    ]
    (d / "rotten_tomatoes.csv").write_bytes(samples.write_rotten_tomatoes(reviews))
    tweets = [(["Alice", "visits", "New", "York"], ["B-person", "O", "B-geo-loc", "I-geo-loc"]),
              (["nothing", "here"], ["O", "O"]),
              (["loving", "my", "iPhone"], ["O", "O", "B-product"])]
    (d / "wnut16.conll").write_text(write_conll(tweets), encoding="utf-8")
    return d


def test_demo_from_tiny_samples(store, tiny_samples):
    assert ensure_demo(store, tiny_samples) == [MOVIE_REVIEWS, TWEETS_NER]
    movies, tweets = store.get_project(MOVIE_REVIEWS), store.get_project(TWEETS_NER)
    assert (movies.task, movies.labels) == ("classification", ["fresh", "rotten", "plot"])
    assert (tweets.task, tweets.labels) == ("ner", ["geo-loc", "person", "product"])  # read from the data
    assert "fresh" in movies.guidelines and "geo-loc" in tweets.guidelines
    stats = store.project_stats(movies)
    assert stats["records"] == 4  # the repeated review is kept (the importer reports it)
    assert stats["reference_per_label"] == {"fresh": 2, "rotten": 1, "plot": 1}
    record = next(store.iter_records(movies.id))
    assert (record.external_id, record.meta) == ("rt-00001", {"movie_name": "film_a"})
    refs = store.reference_labels(tweets.id)
    assert sorted(map(len, refs.values())) == [0, 1, 2]  # a tweet without entities has an empty gold list
    first = store.get_record(min(refs))
    assert [first.text[s["start"]:s["end"]] for s in refs[first.id]] == ["Alice", "New York"]
    assert _annotations(store) == 0
    assert all(store.project_stats(p)["annotated"] == 0 for p in (movies, tweets))


def test_demo_is_idempotent_and_leaves_existing_projects_alone(store, tiny_samples, tmp_path):
    ensure_demo(store, tiny_samples)
    before = store.count_records(store.get_project(MOVIE_REVIEWS).id)
    assert ensure_demo(store, tiny_samples) == []
    assert store.count_records(store.get_project(MOVIE_REVIEWS).id) == before
    other = Store(tmp_path / "other.db")
    try:
        other.create_project("mine", "classification", ["a", "b"])
        # Any existing project means "not an empty DB": no import, not even a samples check.
        assert ensure_demo(other, tmp_path / "no-such-dir") == []
        assert [p.name for p in other.list_projects()] == ["mine"]
    finally:
        other.close()


def test_demo_without_samples_says_what_to_run(store, tmp_path):
    with pytest.raises(WorkbenchError, match="run `python -m workbench samples fetch` first"):
        ensure_demo(store, tmp_path)
    assert store.list_projects() == []


def test_demo_is_all_or_nothing(store, tiny_samples):
    (tiny_samples / "wnut16.conll").write_text("Alice\tB-person\nbroken line without tag\n")
    with pytest.raises(DataFileError):
        ensure_demo(store, tiny_samples)
    assert store.list_projects() == []  # "Movie reviews" was rolled back too


def test_cli_demo(tmp_path, tiny_samples, capsys):
    db = str(tmp_path / "cli.db")
    assert main(["--db", db, "demo", "--samples-dir", str(tiny_samples)]) == 0
    out = capsys.readouterr().out
    assert "created 'Movie reviews' (classification; 4 records, 4 with reference labels" in out
    assert "created 'Tweets NER' (ner; 3 records, 3 with reference labels" in out
    assert main(["--db", db, "demo", "--samples-dir", str(tiny_samples)]) == 0
    assert "already has projects ('Movie reviews', 'Tweets NER')" in capsys.readouterr().out
    assert main(["--db", str(tmp_path / "empty.db"), "demo", "--samples-dir", str(tmp_path / "none")]) == 2
    assert "samples fetch" in capsys.readouterr().err


def test_demo_from_real_samples(store):
    missing = [s.filename for s in samples.status() if s.state != "ok"]
    if missing:
        pytest.skip(f"{', '.join(missing)} not fetched in {config.SAMPLES_DIR}; run `make samples`")
    assert ensure_demo(store) == [MOVIE_REVIEWS, TWEETS_NER]
    movies, tweets = store.get_project(MOVIE_REVIEWS), store.get_project(TWEETS_NER)
    stats = store.project_stats(movies)
    assert (stats["records"], stats["reference"]) == (13_891, 13_891)
    assert stats["reference_per_label"] == {"fresh": 7_403, "rotten": 5_405, "plot": 1_083}
    assert tweets.labels == WNUT_TYPES
    stats = store.project_stats(tweets)
    assert (stats["records"], stats["reference"]) == (2_394, 2_394)
    assert _span_count(store, tweets) == 1_496  # one span per B- tag in the file
    assert _annotations(store) == 0 and stats["annotated"] == 0
    assert ensure_demo(store) == []
    assert store.count_records(movies.id) == 13_891

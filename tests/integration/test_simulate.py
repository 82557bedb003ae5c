"""End-to-end simulation through the real store, training job and queue."""

from __future__ import annotations

import csv
import json
import statistics

import numpy as np
import pytest

from services.simulate import curve_area, simulate
from tests.conftest import add_texts
from workbench.api.cli import main
from workbench.config import SAMPLES_DIR
from workbench.store import Store

N_RECORDS = 240
SEEDS = (0, 1, 2, 3, 4)  # one seed is noise on 240 records; five show the trend


def _movie_slice(n: int):
    """A class-balanced slice of the Movie reviews sample, or realistic synthetic reviews without it."""
    path = SAMPLES_DIR / "rotten_tomatoes.csv"
    if path.exists():
        with path.open(encoding="utf-8") as fh:
            rows = [r for r in csv.DictReader(fh) if 20 <= len(r["text"].strip()) <= 400]  # short: cheap to encode
        per = {label: [r for r in rows if r["label"] == label][: n // 3] for label in ("fresh", "rotten", "plot")}
        out = [r for trio in zip(*per.values()) for r in trio]
        return [r["text"] for r in out], [r["label"] for r in out]
    rng = np.random.default_rng(0)
    good = ["a gripping, beautifully acted drama", "funny and warm from start to end", "the best thriller in years",
            "a moving story with a superb cast", "smart, stylish and surprising"]
    bad = ["a tedious, lifeless bore", "clumsy writing sinks the cast", "a predictable and joyless sequel",
           "too long and never funny", "wooden acting and a muddled plot"]
    plot = ["a detective hunts a killer across Paris", "two sisters inherit a farm in Iowa",
            "a young wizard starts school", "a crew of thieves plans one last heist", "a soldier returns home"]
    texts, labels = [], []
    for i in range(n):
        label, pool = [("fresh", good), ("rotten", bad), ("plot", plot)][i % 3]
        texts.append(f"{pool[rng.integers(len(pool))]} ({i})")
        labels.append(label)
    return texts, labels


@pytest.fixture(scope="module")
def movie_data(tmp_path_factory):
    """The slice and its MiniLM vectors, encoded once for the module (encoding dominates the runtime)."""
    from services.embeddings import embed

    texts, labels = _movie_slice(N_RECORDS)
    cache = Store(tmp_path_factory.mktemp("vectors") / "cache.db")
    embed(texts + ["fresh", "rotten", "plot"], store=cache)
    cache.close()
    return texts, labels, cache.path


@pytest.fixture
def movie_project(store, movie_data):
    texts, labels, cache_path = movie_data
    store.execute("ATTACH DATABASE ? AS cache", (str(cache_path),))
    with store.atomic():
        store.execute("INSERT OR IGNORE INTO main.embeddings SELECT * FROM cache.embeddings")
    store.execute("DETACH DATABASE cache")
    project = store.create_project("movies", "classification", ["fresh", "rotten", "plot"])
    add_texts(store, project, texts, labels)
    return project


def test_each_strategy_drives_the_real_queue_reproducibly(store, movie_project):
    # Whether margin beats random is the benchmark suite's question, not this test's: on Movie reviews the
    # suite finds them tied (README), and on 240 records the winner flipped with float noise between machines.
    curves, areas = {"margin": [], "random": []}, {"margin": [], "random": []}
    for strategy in curves:
        for seed in SEEDS:
            result = simulate(store, "movies", strategy=strategy, seed_size=12, batch=12, budget=96, seed=seed,
                              full_pool=(seed == 0 and strategy == "margin"))
            assert [p["labels"] for p in result["curve"]] == list(range(12, 97, 12))
            assert all(0 <= p["accuracy"] <= 1 and p["train_seconds"] >= 0 for p in result["curve"])
            curves[strategy].append([p["accuracy"] for p in result["curve"]])
            areas[strategy].append(curve_area(result["curve"]))
            if result["full_pool"]:
                full = result["full_pool"]["accuracy"]
    for margin, random in zip(curves["margin"], curves["random"]):
        assert margin[0] == random[0]  # one seed, one seed set and its model, whatever the strategy
        assert margin[1:] != random[1:]  # then each strategy's own queue picks what gets labelled
    again = simulate(store, "movies", strategy="margin", seed_size=12, batch=12, budget=96, seed=0, run="again")
    assert [p["accuracy"] for p in again["curve"]] == curves["margin"][0]
    assert full >= max(statistics.mean(v) for v in areas.values()), (full, areas)
    # the user's project got the curves (one run per strategy and seed) and nothing else
    runs = {r["run"] for r in store.rounds(movie_project)}
    assert runs == {f"sim:{s}:logreg:seed{seed}" for s in curves for seed in SEEDS} | {"again"}
    assert store.scalar("SELECT COUNT(*) FROM annotations") == 0
    assert store.model_versions(movie_project) == []


def test_cli_simulate_prints_json_curve(store, movie_project, capsys):
    code = main(["--db", str(store.path), "simulate", "movies", "--strategy", "margin_diverse", "--seed-size", "10",
                 "--batch", "15", "--budget", "40", "--json"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert [p["labels"] for p in out["curve"]] == [10, 25, 40]
    assert set(out["curve"][0]) == {"labels", "accuracy", "macro_f1", "train_seconds"}
    assert 0 < out["full_pool"]["accuracy"] <= 1 and 0 < out["full_pool"]["macro_f1"] <= 1


def test_cli_rejects_unknown_strategy(store, movie_project, capsys):
    code = main(["--db", str(store.path), "simulate", "movies", "--strategy", "bald"])
    assert code == 2
    assert "unknown query strategy 'bald'; valid: random" in capsys.readouterr().err

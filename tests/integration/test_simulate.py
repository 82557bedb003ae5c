"""End-to-end simulation through the real store, training job and queue."""

from __future__ import annotations

import csv
import json
import statistics

import numpy as np
import pytest

from services import training
from services.simulate import curve_area, pipeline, simulate
from tests.conftest import add_texts
from workbench.api.cli import main
from workbench.config import SAMPLES_DIR
from workbench.errors import UnknownNameError
from workbench.queue import queue_preview
from workbench.store import NewRecord, Store
from workbench.types import text_hash

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


def _split_project(store, movie_data, name: str):
    """The slice with its last quarter as split 'test': simulation and live queue then share one pool."""
    texts, labels, cache_path = movie_data
    store.execute("ATTACH DATABASE ? AS cache", (str(cache_path),))
    with store.atomic():
        store.execute("INSERT OR IGNORE INTO main.embeddings SELECT * FROM cache.embeddings")
    store.execute("DETACH DATABASE cache")
    project = store.create_project(name, "classification", ["fresh", "rotten", "plot"])
    n_train = len(texts) * 3 // 4
    ids = store.insert_records(project.id, [NewRecord(uid=text_hash(t), text=t, external_id=str(i),
                                                      split="train" if i < n_train else "test")
                                            for i, t in enumerate(texts)])
    store.set_reference_labels(project.id, zip(ids, labels))
    return store.get_project(project.id)


def test_no_named_part_simulates_the_projects_own_pipeline_from_the_live_cold_start_queue(store, movie_data):
    project = _split_project(store, movie_data, "split")
    result = simulate(store, "split", seed_size=12, batch=12, budget=36, seed=0, full_pool=False)
    assert (result["seeding"], result["adapter"], result["strategy"]) == ("cold", "hybrid", "margin")
    assert result["run"] == "sim:margin:hybrid:seed0:cold" and result["model_encoder"] == "minilm"
    assert [p["labels"] for p in result["curve"]] == [12, 24, 36]  # the cold-start round is no point
    # the first labels are what the live queue serves a new project first: its cold-start round's picks
    live = _split_project(store, movie_data, "live")
    training.start_first_order(store, live, wait=True)
    served = [r.text for r in queue_preview(store, store.get_project(live.id), "ann", 12)]
    assert [r.text for r in store.get_records(result["first"])] == served
    assert store.model_versions(project) == []  # the user's project got the curve only


def test_a_named_part_runs_a_comparison_whose_other_parts_are_the_yardsticks(store, movie_project):
    assert pipeline(movie_project, strategy="random") == {"seeding": "random", "strategy": "random",
                                                          "adapter": "logreg"}
    assert pipeline(movie_project, adapter="hybrid") == {"seeding": "random", "strategy": "margin",
                                                         "adapter": "hybrid"}
    assert pipeline(movie_project, seeding="cold") == {"seeding": "cold", "strategy": "margin", "adapter": "logreg"}
    with pytest.raises(UnknownNameError, match="unknown seeding 'kmeans'; valid: cold, random"):
        pipeline(movie_project, seeding="kmeans")
    random_seeded = simulate(store, "movies", strategy="margin", seed_size=12, batch=12, budget=24, seed=1,
                             full_pool=False)
    cold_seeded = simulate(store, "movies", strategy="margin", seeding="cold", seed_size=12, batch=12, budget=24,
                           seed=1, full_pool=False)
    assert random_seeded["run"] == "sim:margin:logreg:seed1" and cold_seeded["run"] == "sim:margin:logreg:seed1:cold"
    assert set(random_seeded["first"]) != set(cold_seeded["first"])


def test_cli_simulate_without_options_names_what_it_ran(store, movie_project, capsys):
    store.close()
    assert main(["--db", str(store.path), "simulate", "movies", "--seed-size", "12", "--batch", "12",
                 "--budget", "24", "--no-full-pool", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["seeding"], out["adapter"], out["strategy"], out["model_encoder"]) == ("cold", "hybrid", "margin",
                                                                                      "minilm")
    assert main(["--db", str(store.path), "simulate", "movies", "--seeding", "best"]) == 2
    assert "unknown seeding 'best'; valid: cold, random" in capsys.readouterr().err


@pytest.mark.slow
def test_the_projects_pipeline_reads_the_stronger_encoder_when_it_is_fetched(store, movie_project, stronger_on):
    from services.embeddings import model_key

    result = simulate(store, "movies", seed_size=12, batch=12, budget=24, seed=0, full_pool=False)
    assert result["model_encoder"] == "mpnet"  # every vector was encoded first (cached in the user's store)
    texts = [r.text for r in store.get_records(sorted(store.reference_labels(movie_project.id)))]
    assert store.count_vectors(model_key("mpnet"), [text_hash(t) for t in texts]) == len(texts)
    yardstick = simulate(store, "movies", strategy="margin", seed_size=12, batch=12, budget=24, seed=0,
                         full_pool=False)
    assert yardstick["model_encoder"] == "minilm"  # logreg reads the project encoder, always

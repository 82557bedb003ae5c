"""Every benchmark runs end to end on tiny data (the real figures come from the full runs in the README).

Caches go to a temporary folder, never to ``data/cache``.
"""

from __future__ import annotations

import csv
import json

import pytest

from benchmarks import (
    active_learning,
    argilla_sync,
    audit,
    data,
    embeddings,
    explore,
    import_speed,
    label_latency,
    round_latency,
    training,
)
from services.onnx_encoder import INT8_FILE

WORDS_GOOD = ["wonderful", "moving", "clever", "funny", "gripping", "charming"]
WORDS_BAD = ["dull", "clumsy", "tedious", "lifeless", "boring", "messy"]


@pytest.fixture
def reviews_csv(tmp_path, monkeypatch):
    """120 fresh / rotten / plot rows in the sample's layout, and caches in tmp_path."""
    monkeypatch.setattr(data, "CACHE_DIR", tmp_path / "cache")
    monkeypatch.setattr(audit, "CACHE_DIR", tmp_path / "cache")
    path = tmp_path / "reviews.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["text", "label", "movie_name", "id"])
        for i in range(120):
            label = ("fresh", "rotten", "plot")[i % 3]
            words = WORDS_GOOD if label == "fresh" else WORDS_BAD if label == "rotten" else ["farmer", "dragon"]
            out.writerow([f"a {words[i % len(words)]} film, take {i}", label, f"m{i}", f"rt-{i}"])
    return path


def test_data_loader(reviews_csv):
    texts, y, names = data.movie_reviews("3class", reviews_csv)
    assert len(texts) == 120 and names == ["fresh", "rotten", "plot"] and set(y) == {0, 1, 2}
    texts, spans, labels = data.wnut_sentences(5)
    assert len(texts) == 5 and {sp["label"] for doc in spans for sp in doc} == set(labels)
    assert len(data.wnut_sentences()[2]) == 10


def test_import_speed(capsys):
    assert import_speed.main(["--rows", "300"]) == 0
    assert "rows/s" in capsys.readouterr().out


def test_label_latency(capsys):
    assert label_latency.main(["--records", "300", "--actions", "10", "--prelabelled", "20"]) == 0
    assert "p95" in capsys.readouterr().out


@pytest.mark.slow
def test_label_efficiency(reviews_csv, tmp_path, capsys):
    out = tmp_path / "eff.json"
    assert active_learning.main(["efficiency", "--task", "binary", "--seeds", "1", "--budget", "40", "--batch", "10",
                                 "--strategies", "random,margin", "--data", str(reviews_csv), "--json", str(out)]) == 0
    result = json.loads(out.read_text())[0]
    assert {"random", "margin", "smalltext_breaking_ties"} <= set(result["methods"])


@pytest.mark.slow
def test_round_latency(reviews_csv):
    result = round_latency.latency_benchmark(records=90, rounds=2, batch=5, path=reviews_csv)
    assert result["rounds"] == 2 and result["p50_s"] > 0


@pytest.mark.slow
def test_audit_benchmark(reviews_csv, capsys):
    assert audit.main(["classification", "--rates", "0.2", "--seeds", "0", "--methods", "naive", "plain",
                       "--data", str(reviews_csv)]) == 0
    assert "mean ± std over seeds" in capsys.readouterr().out


@pytest.mark.slow
def test_embedding_throughput(reviews_csv, tmp_path, monkeypatch, capsys):
    import workbench.config
    from services.embeddings import _load_encoder

    monkeypatch.setattr(workbench.config, "ENCODERS_DIR", tmp_path / "encoders")  # the int8 copy is built there
    _load_encoder.cache_clear()  # an encoder loaded by an earlier test would skip the build
    assert embeddings.main(["--n", "10", "--repeats", "1", "--csv", str(reviews_csv)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["minilm"]["texts_per_second"]["snippets"] > 0
    assert report["minilm-int8"]["texts_per_second"]["plot_summaries"] > 0
    assert 0.95 < report["cosine_int8_to_torch"]["snippets"]["mean"] <= 1.0001
    assert report["mean_chars"]["snippets"] > 0 and (tmp_path / "encoders" / INT8_FILE).is_file()


@pytest.mark.slow
def test_ner_curve(capsys):
    from benchmarks import ner_curve

    assert ner_curve.main(["--sizes", "8,16", "--configs", "1:1e-4", "--dev", "10", "--test", "10"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["sentences"] for r in rows] == [8, 16] and all(0 <= r["test_f1"] <= 1 for r in rows)


@pytest.mark.slow
def test_setfit_speed(capsys):
    from benchmarks import setfit_speed

    assert setfit_speed.main(["--data", "spam_assassin", "--n", "8", "--eval", "10", "--seeds", "2",
                              "--configs", "a=num_iterations:1;b=num_iterations:1,freeze_layers:5"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert len(report["rows"]) == 4 and set(report["summary"]) == {"a", "b"}
    assert report["summary"]["a"]["minus a"] == "+0.000 ± 0.000"


def test_setfit_speed_configs_parse():
    from benchmarks.setfit_speed import parse_configs

    assert parse_configs("x=num_iterations:2,lr:3e-5;y=freeze_layers:3;z=") == {
        "x": {"num_iterations": 2, "lr": 3e-5}, "y": {"freeze_layers": 3}, "z": {}}


@pytest.mark.slow
def test_training_benchmark(capsys):
    from services.embeddings import resolve_model

    folder = resolve_model("minilm")  # a base model given as a local folder, as a copy carried to a GPU would be
    assert training.main(["--device", "cpu", "--models", "transformer", "--sizes", "8", "--eval", "4",
                          "--no-warmup", "--base-model", folder, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    rows = report["rows"]
    assert rows[0]["model"] == "transformer" and rows[0]["n"] == 8 and 0 <= rows[0]["accuracy"] <= 1
    assert report["info"]["base_model"] == folder


def test_training_benchmark_refuses_a_missing_base_model_folder(tmp_path, capsys):
    missing = str(tmp_path / "no-such-model")
    assert training.main(["--device", "cpu", "--models", "transformer", "--sizes", "8", "--no-warmup",
                          "--base-model", missing]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "no-such-model" in err and "Traceback" not in err


def test_reliability(capsys):
    from benchmarks import reliability

    assert reliability.main(["--records", "500", "--annotators", "2", "--labels", "10", "--fuzz-per-format", "5",
                             "--skip", "kills", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["concurrency"][0]["served_twice"] == 0 and result["fuzz"]["unhandled_exceptions"] == 0


@pytest.mark.slow
@pytest.mark.argilla
def test_argilla_sync_benchmark(argilla_server, argilla_people, tmp_path):
    texts = [f"a {WORDS_GOOD[i % 6]} film number {i}" for i in range(40)]
    annotators = [argilla_people.add("bench-a"), argilla_people.add("bench-b")]
    out = argilla_sync.run_size(argilla_server, 40, tmp_path, annotators, texts=texts)
    assert out["repush_updated"] == 40 and out["pull_labels"] == 4 and out["pull_again_added"] == 0
    assert out["latency_api_median_s"] > 0 and out["latency_cli_max_s"] > 0 and out["latency_webhook_max_s"] > 0


@pytest.mark.slow
def test_explore_benchmark(capsys):
    assert explore.main(["--sizes", "400", "--page", "300"]) == 0
    out = capsys.readouterr().out
    assert "synthetic 400" in out and "| 400 |" in out and "Explore page run on 300 points" in out


def test_suite_runs_every_part_and_writes_its_readme_tables(reviews_csv, monkeypatch, tmp_path):
    from benchmarks import suite

    monkeypatch.setattr(suite, "suite_dataset", lambda name: data.movie_reviews("3class", reviews_csv))
    readme = tmp_path / "README.md"
    readme.write_text("# x\n<!-- suite-al:start -->\nold\n<!-- suite-al:end -->\n"
                      "<!-- suite-audit:start -->\n<!-- suite-audit:end -->\n"
                      "<!-- suite-zeroshot:start -->\n<!-- suite-zeroshot:end -->\n", encoding="utf-8")
    assert suite.main(["all", "--datasets", "movie_reviews", "--seeds", "2", "--al-methods", "random,margin,default",
                       "--audit-methods", "plain,default", "--rates", "0.2", "--budget", "40", "--batch", "10",
                       "--seed-size", "10", "--readme", str(readme), "--json", str(tmp_path / "out" / "suite.json")]) == 0
    text = readme.read_text(encoding="utf-8")
    assert "old" not in text and "| movie_reviews (120, 3) | auc@40 |" in text
    assert "margin (reference)" in text and "Δ" in text and "| movie_reviews (120, 3) | P@k 20% flips |" in text
    raw = json.loads((tmp_path / "out" / "suite.json").read_text())
    assert len(raw["al"]["movie_reviews"]["auc@40"]["default"]) == 2
    assert "| movie_reviews | " in text and 0 <= raw["zeroshot"]["movie_reviews"]["accuracy"] <= 1
    # a second process's run on another data set, other methods: merged into one table, "-" where not run
    other = {"seeds": raw["seeds"], "datasets": {"debates": {"n": 9, "classes": 3}}, "zeroshot": {}, "audit": {},
             "al": {"debates": {"auc@40": {"margin": [0.5, 0.6], "default@minilm": [0.7, 0.7]}}}}
    (tmp_path / "other.json").write_text(json.dumps(other))
    assert suite.main(["al", "--from-json", f"{tmp_path / 'out' / 'suite.json'},{tmp_path / 'other.json'}",
                       "--readme", str(readme)]) == 0
    merged = readme.read_text(encoding="utf-8").split("suite-al:start")[1].split("suite-al:end")[0]
    assert merged.index("| movie_reviews (120, 3)") < merged.index("| debates (9, 3) | auc@40 | - | 0.550 ± 0.050 | - |")
    assert "0.700 ± 0.000 (Δ +0.150 ± 0.050, 2/2)" in merged


def test_first_round_benchmark(reviews_csv, monkeypatch, capsys):
    import services.training.jobs as training_jobs
    from benchmarks import first_round

    monkeypatch.setattr(first_round, "MOVIE_CSV", reviews_csv)
    monkeypatch.setattr(training_jobs, "FIRST_ORDER_MIN_RECORDS", 100)
    assert first_round.main(["--records", "120", "--model-rounds", "2"]) == 0
    report = json.loads(capsys.readouterr().out)["sampled"]
    assert report["records"] == 120 and 0 < report["first_suggestions_s"] <= report["job_s"]
    assert report["next_round_s"] > 0
    # no stronger encoder in the tests (conftest): both rounds read MiniLM, 10 more labels each
    rounds = report["model_rounds"]
    assert [r["model_encoder"] for r in rounds] == ["minilm", "minilm"] and rounds[1]["labels"] == rounds[0]["labels"] + 10
    assert all(0 < r["suggestions_s"] <= r["seconds"] for r in rounds)


def test_suite_methods_join_encoders_and_ensemble_across_them(reviews_csv):
    import numpy as np

    from benchmarks.suite_methods import _audit_model, encoder_vectors, flip_any

    texts, y, names = data.movie_reviews("3class", reviews_csv)
    X = data.cached_embeddings(texts)
    assert encoder_vectors(texts, X, "minilm") is X
    joined = encoder_vectors(texts, X, "minilm+minilm")  # rows stay unit length, as each part's are
    assert joined.shape == (len(texts), 2 * X.shape[1])
    assert np.allclose(np.linalg.norm(joined, axis=1), 1.0, atol=1e-5)
    noisy, _ = flip_any(y, len(names), 0.1, 0)
    single = _audit_model("logreg")(texts, X, noisy, names)
    # the mean of two identical members is that member: the unweighted ensemble averages probabilities, nothing else
    assert np.allclose(_audit_model("logreg", encoder="minilm|minilm")(texts, X, noisy, names), single)


@pytest.mark.slow
def test_ner_al(capsys):
    from benchmarks import ner_al

    assert ner_al.main(["--seeds", "1", "--seed-size", "8", "--batch", "4", "--budget", "12", "--dev", "10",
                        "--test", "10", "--config", "1:1e-4", "--methods", "random,max,span_entropy"]) == 0
    out = capsys.readouterr()
    report = json.loads(out.out)
    runs = report["runs"][0]
    assert set(runs) == {"random", "max", "span_entropy"}
    assert [r["labels"] for r in runs["span_entropy"]] == [8, 12] and runs["max"][0] == runs["random"][0]
    assert "| span_entropy | " in out.err and "| max (reference) | " in out.err


def _saved_ner_al_run(seed: int, offset: float) -> dict:
    row = {"labels": 8, "dev_f1": 0.2 + offset, "test_f1": 0.1 + offset, "train_seconds": 1.0}
    return {"seeds": [seed], "runs": [{m: [row, {**row, "labels": 12, "test_f1": 0.3 + offset}]
                                       for m in ("random", "max")}]}


def test_ner_al_merges_saved_runs(tmp_path, capsys):
    from benchmarks import ner_al

    paths = []
    for seed, offset in ((0, 0.0), (1, 0.1)):
        paths.append(tmp_path / f"s{seed}.json")
        paths[-1].write_text(json.dumps(_saved_ner_al_run(seed, offset)))
    assert ner_al.main(["--merge", *map(str, paths)]) == 0
    out = capsys.readouterr()
    assert json.loads(out.out)["seeds"] == [0, 1]
    assert "| max (reference) | 0.250 ± 0.050 |" in out.err and "2 seeds (0, 1)" in out.err
    with pytest.raises(SystemExit, match="distinct seeds"):
        ner_al.main(["--merge", str(paths[0]), str(paths[0])])
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(SystemExit, match="bad.json: not a saved ner_al run"):
        ner_al.main(["--merge", str(tmp_path / "bad.json")])


def test_ner_al_refuses_unknown_methods():
    from benchmarks import ner_al

    with pytest.raises(SystemExit, match="methods are random or one of max, mean, span_entropy"):
        ner_al.main(["--methods", "max,bald"])


def test_suite_default_audit_follows_the_products_recommended_encoders(reviews_csv, monkeypatch, tmp_path):
    import numpy as np

    from benchmarks.suite_methods import AUDIT_METHODS, flip_any
    from services import audit
    from workbench import config

    texts, y, names = data.movie_reviews("3class", reviews_csv)
    X = data.cached_embeddings(texts)
    noisy, _ = flip_any(y, len(names), 0.1, 0)
    monkeypatch.setenv("WORKBENCH_STRONGER_ENCODER", "mpnet")
    fetched = bool(audit.recommended_also_encoders("minilm", "classification", "hybrid"))
    if fetched:  # the default is the MiniLM|mpnet ensemble, as in the product
        assert np.allclose(AUDIT_METHODS["default"](texts, X, noisy, names),
                           AUDIT_METHODS["default@minilm|mpnet"](texts, X, noisy, names))
    monkeypatch.setattr(config, "ENCODERS_DIR", tmp_path / "no-encoders")
    assert np.allclose(AUDIT_METHODS["default"](texts, X, noisy, names),
                       AUDIT_METHODS["default@minilm"](texts, X, noisy, names))

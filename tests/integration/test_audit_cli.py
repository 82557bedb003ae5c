"""`python -m workbench audit` end to end on a real store and real MiniLM embeddings."""

from __future__ import annotations

import json

import pytest

from services import audit
from tests.conftest import add_texts
from workbench import jobs
from workbench.api.cli import main
from workbench.errors import ValidationError

POS = ["a wonderful, moving film", "brilliant acting and a great story", "I loved every minute of it",
       "a delightful and charming movie", "superb direction, beautiful to watch", "funny, warm and touching",
       "an excellent film with a great cast", "one of the best movies this year", "a joy from start to finish",
       "gorgeous, clever and heartfelt", "truly great cinema", "a fantastic, uplifting story",
       "wonderful performances all round", "smart, sharp and very entertaining", "a lovely, beautiful film",
       "I enjoyed it enormously", "a masterpiece of storytelling", "great fun and well made"]
NEG = ["a boring, tedious mess", "terrible acting and an awful script", "I hated every minute of it",
       "a dull and lifeless movie", "poorly directed and painful to watch", "unfunny, cold and stupid",
       "a bad film with a wasted cast", "one of the worst movies this year", "a chore from start to finish",
       "ugly, dumb and heartless", "truly awful cinema", "a miserable, depressing failure",
       "dreadful performances all round", "clumsy, slow and very annoying", "a horrible, ugly film",
       "I regretted watching it", "a disaster of storytelling", "no fun and badly made"]
FLIPPED = {0, 22}  # indices whose reference label is wrong


@pytest.fixture
def noisy_project(store):
    project = store.create_project("films", "classification", ["pos", "neg"])
    texts = POS + NEG
    refs = ["pos"] * len(POS) + ["neg"] * len(NEG)
    for i in FLIPPED:
        refs[i] = "neg" if refs[i] == "pos" else "pos"
    ids = add_texts(store, project, texts, refs)
    return project, ids, texts


def test_run_audit_stores_issues_with_flipped_first(store, noisy_project):
    project, ids, texts = noisy_project
    audit_id = audit.run_audit(store, project, audit.AuditConfig(source="reference", model="logreg"))
    rows = audit.issues(store, audit_id, flagged_only=False, limit=100)
    assert len(rows) == len(texts)
    assert {r["record_id"] for r in rows[:2]} == {ids[i] for i in FLIPPED}
    top = rows[0]
    assert top["is_issue"] and top["suggested"] != top["given"]
    assert set(top["details"]["probs"]) == {"pos", "neg"}
    assert len(top["details"]["neighbours"]) == 3
    assert "(out-of-fold)" in top["details"]["reason"]
    meta = audit.get_audit(store, audit_id)
    assert meta["config"]["source"] == "reference" and "logreg" in meta["method"]
    assert meta["summary"]["n_audited"] == len(texts)


def test_cli_json_output(store, noisy_project, capsys):
    project, ids, texts = noisy_project
    store.close()
    code = main(["--db", str(store.path), "audit", "films", "--source", "reference", "--folds", "4", "--json"])
    assert code == 0
    captured = capsys.readouterr()
    assert captured.err == ""  # no progress bar under --json
    out = json.loads(captured.out)
    assert {"issues", "noise_rate", "duplicates", "scores"} <= set(out)
    assert len(out["scores"]) == len(texts)
    flagged_ext = [i["external_id"] for i in out["issues"]]
    assert set(flagged_ext[:2]) == {str(i) for i in FLIPPED}
    qualities = [i["quality"] for i in out["issues"]]
    assert qualities == sorted(qualities)
    assert set(out["issues"][0]) >= {"record_id", "external_id", "text", "given", "suggested", "quality", "reason"}


def test_cli_single_pass_and_even_mix_are_stored_with_the_audit(store, noisy_project, capsys):
    project, ids, texts = noisy_project
    store.close()
    assert main(["--db", str(store.path), "audit", "films", "--source", "reference", "--folds", "4",
                 "--single-pass", "--even-mix", "--json"]) == 0
    audit_id = json.loads(capsys.readouterr().out)["audit_id"]
    from workbench.store import Store

    with Store(store.path) as s:
        config = s.get_audit(audit_id)["config"]
    assert config["refit"] is False and config["weighted"] is False


def test_cli_model_logreg_is_plain_cleanlab_the_yardstick(store, noisy_project, capsys, monkeypatch):
    monkeypatch.setenv("WORKBENCH_STRONGER_ENCODER", "mpnet")  # even where mpnet is fetched
    store.close()
    assert main(["--db", str(store.path), "audit", "films", "--source", "reference", "--folds", "4",
                 "--model", "logreg", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    from workbench.store import Store

    with Store(store.path) as s:
        config = s.get_audit(out["audit_id"])["config"]
    assert config["refit"] is False and config["also_encoders"] == [] and config["model"] == "logreg"
    assert out["method"].startswith("logreg@minilm/4-fold")
    assert audit.AuditConfig().refit is True and audit.AuditConfig(model="logreg", refit=True).refit is True


def test_cli_text_output_follows_the_audit_on_a_progress_bar(store, noisy_project, capsys):
    store.close()
    assert main(["--db", str(store.path), "audit", "films", "--source", "reference", "--folds", "4",
                 "--model", "logreg", "--top", "2"]) == 0
    captured = capsys.readouterr()
    frames = captured.err.split("\r")[1:]
    assert len(frames) > 3 and all(f.startswith("[") for f in frames)
    assert "out-of-fold models" in captured.err
    assert frames[-1].split("]")[1].strip().startswith("100%") and captured.err.endswith("\n")
    assert captured.out.startswith("audit #") and "flagged" in captured.out.splitlines()[0]


def test_cli_errors_are_one_line(store, noisy_project, capsys):
    store.close()
    assert main(["--db", str(store.path), "audit", "films"]) == 2  # no human annotations yet
    err = capsys.readouterr().err
    assert err.startswith("error:") and "no annotations labels" in err and "\n" not in err.strip()
    assert main(["--db", str(store.path), "audit", "nope"]) == 2


def test_background_job_and_decisions(store, noisy_project):
    project, ids, texts = noisy_project
    job_id = audit.start_audit(store, project, audit.AuditConfig(source="reference", folds=3))
    job = jobs.wait_for(store, job_id, timeout=120)
    assert job["status"] == "done", job
    audit_id = job["result"]["audit_id"]
    first = audit.issues(store, audit_id, undecided_only=True)[0]
    ann = audit.decide(store, project, first["id"], "ann", "relabel", first["suggested"])
    row = store.one("SELECT kind, audit_issue_id FROM annotations WHERE id = ?", (ann,))
    assert row == {"kind": "relabel", "audit_issue_id": first["id"]}
    assert first["id"] not in [i["id"] for i in audit.issues(store, audit_id, undecided_only=True)]
    assert store.get_record(first["record_id"]).label == first["suggested"]


def test_cli_agreement_report(store, noisy_project, capsys):
    project, ids, texts = noisy_project
    for i, rid in enumerate(ids):
        store.annotate(project, rid, "ann", "label", "pos" if i < len(POS) else "neg")
        store.annotate(project, rid, "bob", "label", "pos" if i < len(POS) or i % 3 == 0 else "neg")
    store.close()
    assert main(["--db", str(store.path), "audit", "films", "--agreement", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["n_records"] == len(ids) and out["pairs"][0]["a"] == "ann"
    assert {a["annotator"] for a in out["crowdlab"]} == {"ann", "bob"}
    assert main(["--db", str(store.path), "audit", "films", "--agreement"]) == 0
    assert "Fleiss' kappa" in capsys.readouterr().out


def test_cli_encoder_that_is_not_fetched_is_one_clear_line_and_saves_nothing(store, noisy_project, capsys,
                                                                            monkeypatch, tmp_path):
    from workbench import config

    monkeypatch.setattr(config, "ENCODERS_DIR", tmp_path / "no-encoders")
    store.close()
    assert main(["--db", str(store.path), "audit", "films", "--source", "reference", "--encoder", "mpnet"]) == 2
    err = capsys.readouterr().err
    assert "python -m workbench models fetch mpnet" in err and "\n" not in err.strip()
    from workbench.store import Store

    with Store(store.path) as s:
        assert audit.latest_audit(s, s.get_project("films")) is None


def test_also_encoders_average_the_probabilities_and_are_named_in_the_method(store, noisy_project):
    project, ids, texts = noisy_project
    single = audit.run_audit(store, project, audit.AuditConfig(source="reference", model="logreg", also_encoders=[]))
    both = audit.run_audit(store, project, audit.AuditConfig(source="reference", model="logreg",
                                                             also_encoders=["minilm-int8"]))
    meta = audit.get_audit(store, both)
    assert meta["method"].startswith("logreg@minilm|minilm-int8/") and meta["config"]["also_encoders"] == ["minilm-int8"]
    a = {r["record_id"]: r["details"]["probs"] for r in audit.issues(store, single, flagged_only=False, limit=100)}
    b = {r["record_id"]: r["details"]["probs"] for r in audit.issues(store, both, flagged_only=False, limit=100)}
    # texts this short go through int8's float graph: the two encoders agree, and so do the audits
    assert max(abs(a[i]["pos"] - b[i]["pos"]) for i in a) < 0.01
    top = audit.issues(store, both, flagged_only=False, limit=2)
    assert {r["record_id"] for r in top} == {ids[i] for i in FLIPPED}


def test_the_ensemble_mixes_each_encoders_out_of_fold_probabilities(noisy_project):
    import numpy as np

    from services.audit.oof import AUDIT_MIX_STEP
    from services.audit.run import _oof
    from services.embeddings import embed
    from services.models.common import mixing_weights

    project, ids, texts = noisy_project
    y = np.array([0] * len(POS) + [1] * len(NEG))
    X = embed(texts)
    other = embed([t.upper() + " !!" for t in texts])  # different vectors of the same records
    plain = audit.AuditConfig(model="logreg", weighted=False)
    each = [_oof([V], y, 2, plain, texts) for V in (X, other)]
    assert not np.allclose(each[0], each[1])
    assert np.allclose(_oof([X, other], y, 2, plain, texts), np.mean(each, axis=0))
    # weighted (the default): the mix of the two whose out-of-fold log-loss on the given labels is lowest
    weights = mixing_weights(each, y, AUDIT_MIX_STEP)
    mixed = _oof([X, other], y, 2, audit.AuditConfig(model="logreg"), texts)
    assert np.allclose(mixed, weights[0] * each[0] + weights[1] * each[1])


@pytest.mark.parametrize("options, match", [
    ({"model": "logreg", "also_encoders": ["minilm"]}, "repeats an encoder"),
    ({"model": "logreg", "also_encoders": "mpnet"}, "must be a list"),
    ({"model": "transformer", "also_encoders": ["minilm-int8"]}, "drop it for the adapter 'transformer'"),
])
def test_also_encoders_bad_options_are_clear(store, noisy_project, options, match):
    project, ids, texts = noisy_project
    with pytest.raises(ValidationError, match=match):
        audit.run_audit(store, project, audit.AuditConfig(source="reference", **options))
    assert audit.latest_audit(store, project) is None


def test_recommended_ensemble_needs_mpnet_fetched_and_an_embedding_audit_on_minilm(monkeypatch, tmp_path):
    from workbench import config

    monkeypatch.setattr(config, "ENCODERS_DIR", tmp_path / "encoders")
    monkeypatch.setenv("WORKBENCH_STRONGER_ENCODER", "mpnet")
    assert audit.recommended_also_encoders("minilm", "classification", "hybrid") == []  # not fetched
    (tmp_path / "encoders" / "all-mpnet-base-v2").mkdir(parents=True)
    (tmp_path / "encoders" / "all-mpnet-base-v2" / "model.safetensors").write_bytes(b"")
    assert audit.recommended_also_encoders("minilm", "classification", "hybrid") == ["mpnet"]
    assert audit.recommended_also_encoders("minilm", "multilabel", "hybrid") == ["mpnet"]
    # only the default model gets it: logreg stays the plain yardstick, the others run as named
    assert audit.recommended_also_encoders("minilm", "multilabel", "logreg") == []
    assert audit.recommended_also_encoders("minilm", "classification", "knn") == []
    assert audit.recommended_also_encoders("minilm", "ner", "hybrid") == []
    assert audit.recommended_also_encoders("minilm", "classification", "setfit") == []
    assert audit.recommended_also_encoders("minilm-int8", "classification", "hybrid") == []
    monkeypatch.setenv("WORKBENCH_STRONGER_ENCODER", "none")  # a machine that keeps MiniLM alone
    assert audit.recommended_also_encoders("minilm", "classification", "hybrid") == []
    monkeypatch.setenv("WORKBENCH_STRONGER_ENCODER", "bert")
    with pytest.raises(ValidationError, match="WORKBENCH_STRONGER_ENCODER"):
        audit.recommended_also_encoders("minilm", "classification", "hybrid")
    assert audit.ensemble_applies("multilabel", "knn") and not audit.ensemble_applies("classification", "ner")


def test_a_default_audit_without_mpnet_runs_on_minilm_alone_and_stores_that(store, noisy_project, monkeypatch,
                                                                           tmp_path):
    from workbench import config

    monkeypatch.setattr(config, "ENCODERS_DIR", tmp_path / "no-encoders")
    project, ids, texts = noisy_project
    meta = audit.get_audit(store, audit.run_audit(store, project, audit.AuditConfig(source="reference")))
    assert meta["config"]["also_encoders"] == [] and meta["method"].startswith("hybrid@minilm/")


def test_a_default_audit_with_mpnet_fetched_is_the_minilm_mpnet_ensemble(store, noisy_project, capsys, stronger_on):
    project, ids, texts = noisy_project
    meta = audit.get_audit(store, audit.run_audit(store, project, audit.AuditConfig(source="reference")))
    assert meta["config"]["also_encoders"] == ["mpnet"] and meta["method"].startswith("hybrid@minilm|mpnet/")
    top = audit.issues(store, meta["id"], flagged_only=False, limit=2)
    assert {r["record_id"] for r in top} == {ids[i] for i in FLIPPED}
    # --one-encoder turns it off; contradicting options are refused before anything runs
    store.close()
    assert main(["--db", str(store.path), "audit", "films", "--source", "reference", "--one-encoder", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["method"].startswith("hybrid@minilm/")
    assert main(["--db", str(store.path), "audit", "films", "--one-encoder", "--also-encoder", "mpnet"]) == 2
    assert "contradict" in capsys.readouterr().err


def test_the_bar_is_split_by_the_encoding_and_model_work_left():
    from services.audit.run import BAR_MODELS_END, BAR_START, bar_plan

    ends = bar_plan([1.0, 6.0], 0.34)  # nothing cached: MiniLM, then mpnet at 6x its cost
    assert BAR_START < ends[0] < ends[1] < ends[2] == BAR_MODELS_END
    assert (ends[1] - ends[0]) == pytest.approx(6 * (ends[0] - BAR_START))
    assert bar_plan([0.0, 0.0], 0.34)[:2] == [BAR_START, BAR_START]  # all cached: the bar is the models'


def test_a_first_audit_reports_encoding_then_models_and_a_cached_one_skips_to_the_models(store, noisy_project):
    from services.audit.run import BAR_START

    project, _, _ = noisy_project
    config = audit.AuditConfig(source="reference", model="logreg", also_encoders=["minilm-int8"])

    def run() -> list[tuple[float, str]]:
        seen: list[tuple[float, str]] = []
        audit.run_audit(store, project, config, progress=lambda f, m: seen.append((f, m)))
        fractions = [f for f, _ in seen]
        assert fractions == sorted(fractions) and 0 <= fractions[0] and fractions[-1] <= 1
        return seen

    def first_model_step(seen) -> float:
        return min(f for f, m in seen if m.startswith("out-of-fold models"))

    first = run()
    encoding = [f for f, m in first if m.startswith("embedding texts")]
    assert len(encoding) == 2 and first_model_step(first) > 0.5  # nothing cached: encoding is most of the work
    again = run()  # every vector is cached now: no encoding, the bar is the models'
    assert not [m for _, m in again if m.startswith("embedding texts")]
    assert first_model_step(again) < BAR_START + 0.1

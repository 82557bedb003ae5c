"""Push, pull and audit round trips against the real Argilla server the test run starts."""

from __future__ import annotations

import sqlite3
import uuid

import pytest

from services import argilla
from services.argilla import mapping
from services.training import start_training
from tests.conftest import add_texts
from tests.integration.test_training_jobs import NEG, POS
from workbench.config import ProjectSettings
from workbench.errors import ArgillaError

pytestmark = [pytest.mark.argilla, pytest.mark.slow]


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def client(argilla_env, store):
    with argilla.connect(store.path) as c:
        yield c


def _rows(store, project):
    """Annotation rows as the tests compare them: (record id, annotator, kind, value JSON, source)."""
    conn = sqlite3.connect(store.path)
    try:
        return conn.execute("SELECT record_id, annotator, kind, value, source FROM annotations WHERE project_id = ?"
                            " ORDER BY id", (project.id,)).fetchall()
    finally:
        conn.close()


@pytest.fixture
def films(store):
    """A linked-to-be classification project with meta, 20 texts, reference labels and a guideline."""
    project = store.create_project(_name("films"), "classification", ["pos", "neg"],
                                   guidelines="Is the review positive?",
                                   settings=ProjectSettings(retrain_every=0, annotators_per_record=2))
    from workbench.store import NewRecord
    from workbench.types import text_hash

    texts = [t for pair in zip(POS, NEG) for t in pair]
    ids = store.insert_records(project.id, [
        NewRecord(uid=text_hash(t), text=t, external_id=f"f{i}", split="train" if i % 4 else "test",
                  meta={"year": 1990 + i, "Source Site": "imdb" if i % 2 else "rt", "rating": i / 2})
        for i, t in enumerate(texts)])
    return project, ids, ["pos", "neg"] * len(POS)


def _train(store, project, ids, refs, n=8):
    for rid, ref in list(zip(ids, refs))[:n]:
        store.annotate(project, rid, "alice", "label", ref)
    start_training(store, project, wait=True)
    return store.get_project(project.id)


def test_push_sends_settings_suggestions_metadata_and_vectors(store, films, client, argilla_people):
    project, ids, refs = films
    project = _train(store, project, ids, refs)
    argilla.link(store, project, client)
    report = argilla.push(store, project, client, only="unlabelled")
    assert report.pushed == len(ids) - 8 and report.created == report.pushed
    did = argilla_people.dataset_id(project.name)
    owner = argilla_people.owner
    dataset = owner.get(f"/api/v1/datasets/{did}").json()
    assert dataset["guidelines"] == "Is the review positive?"
    assert dataset["distribution"] == {"strategy": "overlap", "min_submitted": 2}
    question = owner.get(f"/api/v1/datasets/{did}/questions").json()["items"][0]
    assert question["name"] == "label" and question["settings"]["type"] == "label_selection"
    assert [o["value"] for o in question["settings"]["options"]] == ["pos", "neg"]
    meta = {m["name"]: m["settings"]["type"] for m in
            owner.get(f"/api/v1/me/datasets/{did}/metadata-properties").json()["items"]}
    assert meta["year"] == "integer" and meta["rating"] == "float" and meta["source_site"] == "terms"
    assert meta["al_score"] == "float" and meta["split"] == "terms"
    vectors = owner.get(f"/api/v1/datasets/{did}/vectors-settings").json()["items"]
    assert vectors[0]["name"] == "embedding" and vectors[0]["dimensions"] == 384
    records = argilla_people.records(project.name, include=("suggestions", "vectors:embedding"))
    assert set(records) == {str(i) for i in ids[8:]}
    rec = records[str(ids[9])]
    assert rec["fields"] == {"text": store.get_record(ids[9]).text}
    assert rec["metadata"]["year"] == 1999 and rec["metadata"]["source_site"] == "imdb"
    assert rec["metadata"]["split"] == "train" and rec["metadata"]["al_score"] >= 0
    version = project.active_model_version
    assert [(s["agent"], s["value"]) for s in rec["suggestions"]] == [
        (f"hybrid-v{version}", store.suggestion(project, ids[9])["value"])]  # the classification default
    assert len(rec["vectors"]["embedding"]) == 384
    again = argilla.push(store, project, client, only="unlabelled")
    assert again.updated == again.pushed and len(argilla_people.records(project.name)) == len(ids) - 8


def test_pull_turns_two_users_responses_into_exact_rows(store, films, client, argilla_people):
    project, ids, _refs = films
    argilla.link(store, project, client)
    argilla.push(store, project, client, limit=4, vectors=False)
    a, b, c, d = (str(i) for i in ids[:4])
    argilla_people.respond("ann1", project.name, a, "pos")
    argilla_people.respond("ann2", project.name, a, "neg")
    argilla_people.respond("ann1", project.name, b, None, status="discarded")
    argilla_people.respond("ann2", project.name, c, "pos", status="draft")
    report = argilla.pull(store, project, client)
    assert (report.labels, report.skips, report.drafts) == (2, 1, 1)
    assert _rows(store, project) == [
        (ids[0], "ann1", "label", '"pos"', "argilla"), (ids[0], "ann2", "label", '"neg"', "argilla"),
        (ids[1], "ann1", "skip", None, "argilla")]
    assert store.get_record(ids[0]).n_labellers == 2
    second = argilla.pull(store, project, client)
    assert (second.added, second.unchanged) == (0, 4) and len(_rows(store, project)) == 3
    counts = store.argilla_counts(project)
    assert (counts["pushed"], counts["responded"], counts["pending"]) == (4, 2, 2)
    assert d  # the fourth record stays pending


def test_changed_and_deleted_responses_replace_and_retract(store, films, client, argilla_people):
    project, ids, _refs = films
    argilla.link(store, project, client)
    argilla.push(store, project, client, limit=2, vectors=False)
    resp = argilla_people.respond("ann1", project.name, str(ids[0]), "pos")
    argilla.pull(store, project, client)
    owner = argilla_people.owner
    changed = argilla_people.add("ann1").put(f"/api/v1/responses/{resp['id']}",
                                            json={"values": {"label": {"value": "neg"}}, "status": "submitted"})
    assert changed.status_code == 200, changed.text
    report = argilla.pull(store, project, client)
    assert (report.changed, report.labels) == (1, 1)
    assert store.get_record(ids[0]).label == "neg"
    assert owner.delete(f"/api/v1/responses/{resp['id']}").status_code == 200
    report = argilla.pull(store, project, client)
    assert report.retracted == 1
    rec = store.get_record(ids[0])
    assert (rec.status, rec.label) == ("unlabelled", None)
    kinds = [r[2] for r in _rows(store, project)]
    assert kinds == ["label", "retract", "label", "retract"]
    assert argilla.pull(store, project, client).added == 0


def test_newer_workbench_edit_wins_and_both_stay_in_history(store, films, client, argilla_people):
    project, ids, _refs = films
    argilla.link(store, project, client)
    argilla.push(store, project, client, limit=1, vectors=False)
    argilla_people.add("carol")
    argilla_people.respond("carol", project.name, str(ids[0]), "pos")
    store.annotate(project, ids[0], "carol", "label", "neg")  # carol changes her mind in the workbench later
    report = argilla.pull(store, project, client)
    assert report.stale == 1
    assert store.get_record(ids[0]).label == "neg"
    assert [(r[2], r[3], r[4]) for r in _rows(store, project)] == [
        ("label", '"neg"', "workbench"), ("label", '"pos"', "argilla")]


def test_pulled_labels_trigger_the_retrain_and_it_refreshes_suggestions(store, films, client, argilla_people):
    project, ids, refs = films
    project = _train(store, project, ids, refs)
    store.update_project(project, settings=ProjectSettings(retrain_every=4, annotators_per_record=2))
    project = store.get_project(project.id)
    argilla.link(store, project, client)
    argilla.push(store, project, client, only="unlabelled", vectors=False)
    first = store.get_project(project.id).active_model_version
    for rid, ref in list(zip(ids, refs))[8:12]:
        argilla_people.respond("ann1", project.name, str(rid), ref)
    argilla.pull(store, project, client)
    job = argilla.retrain_if_due(store, store.get_project(project.id))
    assert job is not None
    from workbench import jobs

    trained = jobs.wait_for(store, job, timeout=300)
    assert trained["status"] == "done"
    refresh = jobs.wait_for(store, trained["result"]["argilla_refresh_job"], timeout=300)
    assert (refresh["status"], refresh["params"]["only"]) == ("done", "pushed"), refresh["error"]
    project = store.get_project(project.id)
    assert project.active_model_version != first
    records = argilla_people.records(project.name)
    responded = [records[str(rid)] for rid in ids[8:12]]
    assert all(len(r["responses"]) == 1 for r in responded)  # a re-push keeps responses
    # labelled records get no new suggestion (the model scores the pool), so theirs were removed
    assert all(r["suggestions"] == [] for r in responded)
    agents = {s["agent"] for r in records.values() for s in r["suggestions"]}
    assert agents == {f"hybrid-v{project.active_model_version}"}


def test_audit_push_suggests_the_given_label_and_pull_closes_issues(store, films, client, argilla_people):
    from services.audit import AuditConfig, run_audit

    project, ids, refs = films
    flipped = {ids[0], ids[1], ids[2]}
    for rid, ref in zip(ids, refs):
        store.annotate(project, rid, "alice", "label", ({"pos": "neg", "neg": "pos"}[ref] if rid in flipped else ref))
    audit_id = run_audit(store, project, AuditConfig(model="logreg", folds=3))
    flagged = [i["record_id"] for i in store.audit_issues(audit_id, limit=100)]
    assert flagged, "the audit flags at least one of the flipped labels"
    argilla.link(store, project, client)
    report = argilla.push(store, project, client, only="flagged", vectors=False)
    assert report.pushed == len(flagged)
    records = argilla_people.records(project.name)
    target = flagged[0]
    given = store.get_record(target).label
    sugg = records[str(target)]["suggestions"][0]
    assert (sugg["agent"], sugg["value"]) == (mapping.GIVEN_LABEL_AGENT, given)
    assert records[str(target)]["metadata"]["audit_flag"] == "flagged"
    fixed = {"pos": "neg", "neg": "pos"}[given]
    argilla_people.respond("ann1", project.name, str(target), fixed)
    pulled = argilla.pull(store, project, client)
    assert pulled.issues_closed == 1
    counts = store.audit_counts(audit_id)
    assert counts["decided"] == 1
    assert store.get_record(target).label == fixed
    assert _rows(store, project)[-1][1:] == ("ann1", "relabel", f'"{fixed}"', "argilla")


def test_multilabel_and_ner_round_trips_keep_values_and_emoji_offsets(store, client, argilla_people):
    tags = store.create_project(_name("tags"), "multilabel", ["sports", "politics", "tech"])
    tag_ids = add_texts(store, tags, ["the match and the vote", "a new phone"])
    version = store.add_model_version(tags, "logreg", tags.labels)
    store.write_suggestions(tags, version, [(tag_ids[0], ["sports", "politics"], 0.8, 0.3, None)])
    store.activate_model_version(tags, version)
    tags = store.get_project(tags.id)
    argilla.link(store, tags, client)
    argilla.push(store, tags, client, vectors=False)
    rec = argilla_people.records(tags.name)[str(tag_ids[0])]
    assert rec["suggestions"][0]["value"] == ["sports", "politics"]
    argilla_people.respond("ann1", tags.name, str(tag_ids[0]), ["politics", "sports"])
    argilla.pull(store, tags, client)
    assert store.get_record(tag_ids[0]).label == ["sports", "politics"]

    tweets = store.create_project(_name("tweets"), "ner", ["person", "location"])
    text = "😀🎉 Alice flew to Paris 🇫🇷 today"
    (tid,) = add_texts(store, tweets, [text])
    paris = text.index("Paris")
    version = store.add_model_version(tweets, "ner", tweets.labels)
    store.write_suggestions(tweets, version, [(tid, [{"start": paris, "end": paris + 5, "label": "location"}],
                                               0.9, 0.1, None)])
    store.activate_model_version(tweets, version)
    tweets = store.get_project(tweets.id)
    argilla.link(store, tweets, client)
    argilla.push(store, tweets, client, vectors=False)
    rec = argilla_people.records(tweets.name)[str(tid)]
    assert rec["fields"]["text"] == text
    assert rec["suggestions"][0]["value"] == [{"label": "location", "start": paris, "end": paris + 5}]
    alice = text.index("Alice")
    spans = [{"label": "person", "start": alice, "end": alice + 5},
             {"label": "location", "start": paris, "end": paris + 5}]
    argilla_people.respond("ann2", tweets.name, str(tid), spans)
    argilla.pull(store, tweets, client)
    label = store.get_record(tid).label
    assert [(s["start"], s["end"], s["label"]) for s in label] == [
        (alice, alice + 5, "person"), (paris, paris + 5, "location")]
    assert text[label[0]["start"]:label[0]["end"]] == "Alice"


def test_a_dataset_that_does_not_fit_is_refused_and_nothing_changes(store, films, client):
    project, _ids, _refs = films
    argilla.link(store, project, client)
    argilla.push(store, project, client, limit=1, vectors=False)
    other = store.create_project(_name("other"), "classification", ["yes", "no"])
    add_texts(store, other, ["a text"])
    with pytest.raises(ArgillaError, match="has labels pos, neg but project") as err:
        argilla.link(store, other, client, dataset=project.name)
    assert "nothing was changed" in str(err.value)
    assert store.argilla_link(other) is None


def test_unreachable_server_and_wrong_key_fail_fast_and_clearly(store, argilla_server):
    import time

    from services.argilla.server import free_port

    url = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()
    with pytest.raises(ArgillaError, match=f"cannot reach the Argilla server at {url}"):
        argilla.connect(url=url, api_key="x" * 12)
    assert time.monotonic() - started < 5
    with pytest.raises(ArgillaError, match="refused the API key") as err:
        argilla.connect(url=argilla_server.url, api_key="wrong-key-123456")
    assert "wrong-key-123456" not in str(err.value)


def test_the_webhook_listener_pulls_a_response_within_seconds(store, films, client, argilla_people):
    import threading
    import time

    from services.argilla.listen import Listener

    project, ids, _refs = films
    argilla.link(store, project, client)
    argilla.push(store, project, client, limit=2, vectors=False)
    pulls = []
    listener = Listener(store.path, project.name, client.settings, every=600, on_pull=pulls.append).start()
    runner = threading.Thread(target=listener.run, daemon=True)
    runner.start()
    try:
        deadline = time.monotonic() + 30
        while not pulls and time.monotonic() < deadline:  # the catch-up pull at start
            time.sleep(0.05)
        started = time.monotonic()
        resp = argilla_people.respond("ann1", project.name, str(ids[1]), "neg")
        _wait_until(lambda: store.get_record(ids[1]).label == "neg")
        assert time.monotonic() - started < 30 and listener.events >= 1
        argilla_people.add("ann1").put(f"/api/v1/responses/{resp['id']}",
                                       json={"values": {"label": {"value": "pos"}}, "status": "submitted"})
        _wait_until(lambda: store.get_record(ids[1]).label == "pos")
        argilla_people.owner.delete(f"/api/v1/responses/{resp['id']}")
        _wait_until(lambda: store.get_record(ids[1]).status == "unlabelled")
    finally:
        listener.close()
        runner.join(timeout=10)
    hooks = argilla_people.owner.get("/api/v1/webhooks").json()["items"]
    assert all(h["url"] != listener.url for h in hooks)  # removed on close
    rows = len(_rows(store, project))
    again = argilla.pull(store, project, client)  # the events' responses were recorded as a pull records them
    assert (again.added, again.retracted, len(_rows(store, project))) == (0, 0, rows)


def _wait_until(check, timeout: float = 30.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "not within the time allowed"
        time.sleep(0.05)


def test_a_pull_of_named_records_reads_only_theirs_and_still_sees_deletions(store, films, client, argilla_people):
    project, ids, _refs = films
    argilla.link(store, project, client)
    argilla.push(store, project, client, limit=3, vectors=False)
    pushed = store.pushed_records(project)
    first = argilla_people.respond("ann1", project.name, str(ids[0]), "pos")
    argilla_people.respond("ann1", project.name, str(ids[1]), "neg")
    report = argilla.pull(store, project, client, records=[pushed[ids[0]]["argilla_id"]])
    assert report.labels == 1 and store.get_record(ids[1]).status == "unlabelled"
    assert argilla_people.owner.delete(f"/api/v1/responses/{first['id']}").status_code == 200
    report = argilla.pull(store, project, client, records=[pushed[ids[2]]["argilla_id"]])
    assert report.retracted == 0  # record 0 was not read
    report = argilla.pull(store, project, client, records=[pushed[ids[0]]["argilla_id"]])
    assert report.retracted == 1 and store.get_record(ids[0]).status == "unlabelled"

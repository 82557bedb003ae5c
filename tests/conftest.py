"""Shared fixtures: a fresh SQLite store per test and tiny projects."""

from __future__ import annotations

import os

import pytest

# Tests never touch the network or the user's default database.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
# mpnet (fetched by `make test`) encodes 6-14x slower than MiniLM on a CPU: the tests of the stronger encoder
# (default model and audit) switch it on for themselves (`stronger_on`); everything else runs on MiniLM
os.environ.setdefault("WORKBENCH_STRONGER_ENCODER", "none")

# the real Argilla server, started once per run by the tests that ask for it
from tests.argilla_server import argilla_env, argilla_people, argilla_server  # noqa: E402,F401
from workbench.store import NewRecord, Store  # noqa: E402
from workbench.types import text_hash  # noqa: E402


@pytest.fixture
def stronger_on(monkeypatch):
    """mpnet as the stronger encoder of the defaults for this test; skipped where it is not fetched."""
    from workbench.samples.encoders import FETCH_ENCODER_HINT, is_fetched

    if not is_fetched("mpnet"):
        pytest.skip(f"mpnet is not fetched ({FETCH_ENCODER_HINT}; make test fetches it)")
    monkeypatch.setenv("WORKBENCH_STRONGER_ENCODER", "mpnet")


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "test.db")
    yield s
    s.close()


def add_texts(store: Store, project, texts, references=None):
    """Insert texts (and optional reference labels); return their record ids."""
    ids = store.insert_records(project.id, [NewRecord(uid=text_hash(t), text=t, external_id=str(i))
                                            for i, t in enumerate(texts)])
    if references is not None:
        store.set_reference_labels(project.id, zip(ids, references))
    return ids


@pytest.fixture
def clf_project(store):
    project = store.create_project("reviews", "classification", ["pos", "neg", "neutral"])
    ids = add_texts(store, project, ["great film", "awful plot", "it exists", "loved it"],
                    ["pos", "neg", "neutral", "pos"])
    return project, ids


@pytest.fixture
def ner_project(store):
    project = store.create_project("tweets", "ner", ["person", "location"])
    ids = add_texts(store, project, ["Alice flew to Paris", "nothing here"])
    return project, ids

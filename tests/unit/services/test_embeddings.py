"""Cached sentence embeddings with the packaged MiniLM (services/embeddings.py)."""

from __future__ import annotations

import re
import time
from pathlib import Path

import numpy as np
import pytest

from services.embeddings import MINILM_HUB_ID, embed, embed_records, model_key, resolve_model
from workbench.errors import OfflineError, ValidationError

TEXTS = ["a gripping, beautifully shot thriller", "dull and far too long", "a gripping, beautifully shot thriller"]


def test_resolve_minilm_gives_the_packaged_folder_and_its_hub_id_maps_to_it():
    path = resolve_model("minilm")
    assert Path(path, "config.json").is_file()
    assert resolve_model(MINILM_HUB_ID) == path
    assert model_key("minilm") == model_key(MINILM_HUB_ID) == MINILM_HUB_ID


def test_local_folder_is_used_as_is(tmp_path):
    assert resolve_model(str(tmp_path)) == str(tmp_path.resolve())


@pytest.mark.parametrize("missing", ["/no/such/model", "./no-such-model", "~/no-such-model", "models/a/b"])
def test_a_missing_folder_is_named_as_one_not_as_a_hub_id(missing, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ValidationError, match="neither a known alias .* nor an existing folder") as caught:
        resolve_model(missing)
    assert not isinstance(caught.value, OfflineError) and missing in str(caught.value)


def test_hub_id_offline_fails_fast_and_says_what_to_do(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    start = time.perf_counter()
    with pytest.raises(OfflineError, match="minilm"):
        resolve_model("someone/some-bigger-model")
    assert time.perf_counter() - start < 1.0


def test_embed_returns_normalised_rows_in_input_order_and_caches_each_text_once(store):
    calls = []
    vecs = embed(TEXTS, store=store, progress=lambda fraction, message: calls.append((fraction, message)))
    assert vecs.shape == (3, 384) and vecs.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(vecs[0], vecs[2])
    assert vecs[0] @ vecs[1] < 0.9
    assert store.scalar("SELECT COUNT(*) FROM embeddings WHERE model = ?", (MINILM_HUB_ID,)) == 2
    assert [f for f, _ in calls] == [1.0] and re.fullmatch(r"embedding texts · 2 / 2 · [\d.,]+ texts/s", calls[0][1])

    # Second call: two of three distinct texts cached; the one new text is the only work.
    calls.clear()
    again = embed(TEXTS + ["an instant classic"], store=store, batch_size=1,
                  progress=lambda fraction, message: calls.append((fraction, message)))
    np.testing.assert_allclose(again[:3], vecs, atol=1e-6)
    assert [f for f, _ in calls] == [1.0] and calls[0][1].startswith("embedding texts · 3 / 3 (2 cached) · ")
    calls.clear()
    embed(TEXTS, store=store, progress=lambda fraction, message: calls.append((fraction, message)))
    assert calls == []  # nothing to encode, nothing to report
    assert store.scalar("SELECT COUNT(*) FROM embeddings") == 3


def test_cached_vectors_equal_fresh_ones(store):
    cached = embed(TEXTS[:2], store=store)
    fresh = embed(TEXTS[:2])
    np.testing.assert_allclose(cached, fresh, atol=1e-5)
    assert embed([], store=store).shape == (0, 384)


def test_embed_records_uses_the_project_encoder(store, clf_project):
    project, ids = clf_project
    records = [store.get_record(i) for i in ids]
    vecs = embed_records(store, project, records)
    assert vecs.shape == (len(ids), 384)
    assert store.scalar("SELECT COUNT(*) FROM embeddings") == len(ids)


@pytest.mark.parametrize("bad,match", [("one string", "not one string"), (["ok", 3], r"texts\[1\] is int")])
def test_embed_rejects_bad_input(bad, match):
    with pytest.raises(ValidationError, match=match):
        embed(bad)

"""The int8 ONNX copy of MiniLM (services/onnx_encoder.py): built locally, close to torch, its own cache key."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from services.embeddings import (
    MINILM_HUB_ID,
    MINILM_INT8_ID,
    embed,
    load_encoder,
    model_key,
    resolve_model,
    torch_encoder,
)
from services.onnx_encoder import INT8_FILE, SHORT_TOKENS, OnnxSentenceEncoder, after_gelu, build_int8, float_copy
from workbench.errors import ValidationError
from workbench.types import text_hash

TEXTS = ["a gripping, beautifully shot thriller", "dull and far too long",
         "The plot follows a retired detective who returns to the city where his daughter vanished. " * 8, "ok"]


@pytest.fixture(scope="module")
def int8(tmp_path_factory):
    path = tmp_path_factory.mktemp("encoders") / INT8_FILE
    return OnnxSentenceEncoder(resolve_model("minilm"), path, threads=1), path


@pytest.mark.slow
def test_int8_vectors_are_normalised_and_close_to_the_torch_ones(int8):
    encoder, path = int8
    assert path.is_file() and float_copy(path).is_file()
    got = encoder.encode(TEXTS, batch_size=2)
    want = load_encoder("minilm").encode(TEXTS, normalize_embeddings=True, convert_to_numpy=True)
    assert got.shape == (4, 384) and got.dtype == np.float32
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    cosine = (got * want).sum(axis=1)
    assert cosine.min() > 0.99, cosine
    assert cosine[3] > 0.9999, "a one-word text takes the float graph"
    # rows stay in input order although batches are sorted by length
    assert np.argmax(got @ want.T, axis=1).tolist() == [0, 1, 2, 3]


@pytest.mark.slow
def test_a_texts_vector_does_not_depend_on_its_batch(int8):
    encoder, _ = int8
    words = "an unexpectedly tender and funny film about grief that never once turns to easy sentiment".split()
    # lengths on both sides of the float/int8 boundary, alone and mixed in one call
    texts = [" ".join(words[:k]) for k in range(1, len(words) + 1)]
    lengths = [len(ids) for ids in encoder.tokenizer(texts)["input_ids"]]
    assert min(lengths) <= SHORT_TOKENS < max(lengths)
    together = encoder.encode(texts, batch_size=4)
    alone = np.vstack([encoder.encode([t]) for t in texts])
    assert np.allclose(together, alone, atol=1e-4)


@pytest.mark.slow
def test_only_the_feed_forward_down_projections_stay_float(int8):
    import onnx

    model = onnx.load(str(int8[1]))
    float_matmuls = [n.name for n in model.graph.node if n.op_type == "MatMul"]
    layers = json.loads((Path(resolve_model("minilm")) / "config.json").read_text())["num_hidden_layers"]
    assert sorted(float_matmuls) == sorted(after_gelu(model)) and len(float_matmuls) == layers
    assert all("/output/dense/" in name and "attention" not in name for name in float_matmuls)
    assert sum(n.op_type != "MatMul" and "MatMul" in n.op_type for n in model.graph.node) == 2 * layers


@pytest.mark.slow
def test_an_existing_file_is_reused_not_rebuilt(int8):
    _, path = int8
    before = path.stat().st_mtime_ns
    OnnxSentenceEncoder(resolve_model("minilm"), path, threads=1)
    assert path.stat().st_mtime_ns == before


def test_int8_has_its_own_cache_key_and_trains_on_the_torch_model():
    assert model_key("minilm-int8") == MINILM_INT8_ID != MINILM_HUB_ID
    assert resolve_model("minilm-int8").startswith(resolve_model("minilm"))
    assert torch_encoder("minilm-int8") == "minilm" and torch_encoder("minilm") == "minilm"


def test_models_without_mean_pooling_are_refused_before_any_export(tmp_path):
    model = tmp_path / "cls-pooled"
    shutil.copytree(resolve_model("minilm"), model)
    config = json.loads((model / "1_Pooling" / "config.json").read_text())
    config.update(pooling_mode_mean_tokens=False, pooling_mode_cls_token=True)
    (model / "1_Pooling" / "config.json").write_text(json.dumps(config))
    with pytest.raises(ValidationError, match="mean-pooled"):
        build_int8(str(model), tmp_path / "out.onnx")
    assert not (tmp_path / "out.onnx").exists()


@pytest.mark.slow
def test_embed_caches_int8_vectors_apart_from_torch_vectors(store, monkeypatch, int8):
    import workbench.config

    _, path = int8
    monkeypatch.setattr(workbench.config, "ENCODERS_DIR", path.parent)
    torch_vectors = embed(TEXTS[:2], store=store)
    int8_vectors = embed(TEXTS[:2], encoder="minilm-int8", store=store)
    hashes = [text_hash(t) for t in TEXTS[:2]]
    assert store.count_vectors(MINILM_HUB_ID, hashes) == store.count_vectors(MINILM_INT8_ID, hashes) == 2
    assert not np.array_equal(torch_vectors, int8_vectors)
    assert np.array_equal(embed(TEXTS[:2], encoder="minilm-int8", store=store), int8_vectors)

"""A fast CPU copy of a sentence encoder: ONNX Runtime, fused graph, int8 weights.

``minilm-int8`` is the packaged MiniLM exported to ONNX on first use (a local
conversion, nothing is downloaded), with ONNX Runtime's BERT fusions
(attention, GELU, layer norm) and dynamic int8 quantisation of its weight
matrices (per output channel), except the feed-forward down-projections: their
inputs come out of GELU with a few large outliers, which one per-tensor int8
scale cannot hold (quantising them too took the worst cosine to the torch
vectors from 0.991 to 0.983 for 25-40% more speed). Texts of a few tokens run
through the fused float graph instead (see :class:`OnnxSentenceEncoder`).

Its vectors are close to the torch ones but not equal (``benchmarks/embeddings.py``
measures the cosine and the speed side by side), so it has its own cache key and
never mixes with ``minilm`` vectors; the key and the file name carry
:data:`GRAPH_VERSION`, so a changed conversion never meets vectors or files of an
earlier one.
"""

from __future__ import annotations

import json
import os
import tempfile
import warnings
from pathlib import Path

import numpy as np

from workbench.errors import MissingDependencyError, ValidationError

#: bump when the conversion changes: new cache key, new file
GRAPH_VERSION = 2
INT8_SUFFIX = f"#onnx-int8-v{GRAPH_VERSION}"
INT8_FILE = f"minilm-int8-v{GRAPH_VERSION}.onnx"
GELU_OPS = frozenset({"Gelu", "BiasGelu", "FastGelu"})
#: texts of at most this many tokens (with [CLS] and [SEP]) take the float graph
SHORT_TOKENS = 16
INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def _require_onnx():
    try:
        import onnx
        import onnxruntime
    except ImportError as exc:
        raise MissingDependencyError("the 'minilm-int8' encoder needs ONNX Runtime: pip install onnx onnxruntime") from exc
    return onnx, onnxruntime


def _bert_shape(location: str) -> tuple[int, int]:
    config = json.loads((Path(location) / "config.json").read_text(encoding="utf-8"))
    return int(config["num_attention_heads"]), int(config["hidden_size"])


def _check_mean_pooling(location: str) -> None:
    pooling = Path(location) / "1_Pooling" / "config.json"
    config = json.loads(pooling.read_text(encoding="utf-8")) if pooling.is_file() else {}
    if not config.get("pooling_mode_mean_tokens"):
        raise ValidationError(f"{location}: the int8 encoder supports mean-pooled models only (1_Pooling/config.json)")


def _export_fp32(location: str, path: Path) -> None:
    import torch
    from transformers import AutoModel, AutoTokenizer

    # eager attention exports as plain ops, which ONNX Runtime's optimiser can fuse into one Attention op
    model = AutoModel.from_pretrained(location, attn_implementation="eager").eval()

    class _LastHidden(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.inner(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    sample = AutoTokenizer.from_pretrained(location)(["a b", "a b c d"], padding=True, return_tensors="pt")
    axes = {name: {0: "batch", 1: "tokens"} for name in (*INPUTS, "last_hidden_state")}
    # the tracer warns about Python branches on shapes; the axes are declared dynamic below
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(_LastHidden(model), tuple(sample[k] for k in INPUTS), str(path), input_names=list(INPUTS),
                          output_names=["last_hidden_state"], dynamic_axes=axes, opset_version=17, dynamo=False)


def after_gelu(model) -> list[str]:
    """Names of the MatMul nodes fed by a GELU: the feed-forward down-projections, kept in float."""
    gelu_outputs = {out for node in model.graph.node if node.op_type in GELU_OPS for out in node.output}
    return [node.name for node in model.graph.node
            if node.op_type == "MatMul" and gelu_outputs.intersection(node.input)]


def float_copy(dest: Path) -> Path:
    """Where :func:`build_int8` keeps the fused float graph beside the int8 file at ``dest``."""
    return dest.with_name(dest.stem + "-float.onnx")


def build_int8(location: str, dest: Path) -> Path:
    """Export ``location`` (a BERT-style sentence-transformers folder) to a fused int8 ONNX file at ``dest``,
    and its fused float graph at :func:`float_copy` (for short texts).

    Each file appears whole or not at all (written beside ``dest``, then renamed; the float one
    first), so two processes converting at once both end with valid files.
    """
    onnx, _ = _require_onnx()
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers.optimizer import optimize_model

    from services.quiet import quiet_loggers, quiet_transformers

    _check_mean_pooling(location)
    heads, hidden = _bert_shape(location)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest.parent) as tmp, quiet_transformers(), \
            quiet_loggers("root", "onnxruntime"):  # the quantiser logs a pre-processing hint on the root logger
        raw, fused, quant = (Path(tmp) / name for name in ("raw.onnx", "fused.onnx", "int8.onnx"))
        _export_fp32(location, raw)
        optimize_model(str(raw), model_type="bert", num_heads=heads, hidden_size=hidden).save_model_to_file(str(fused))
        # the fused ops carry no inferred output types; the quantiser must assume float
        keep_float = after_gelu(onnx.load(str(fused)))
        quantize_dynamic(str(fused), str(quant), weight_type=QuantType.QInt8, per_channel=True,
                         nodes_to_exclude=keep_float, extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
        os.replace(fused, float_copy(dest))
        os.replace(quant, dest)
    return dest


class OnnxSentenceEncoder:
    """Mean-pooled sentence vectors from an ONNX file, with the ``encode`` call of a ``SentenceTransformer``.

    Texts of at most :data:`SHORT_TOKENS` tokens run through the fused float graph: with so few tokens
    to average, int8 rounding moves a vector most (1-3 words: worst cosine to torch 0.966, 0.99 or more
    in float) and such texts cost little anyway. Which graph a text takes depends on its own length
    only, never on the texts it is embedded with.

    Parameters
    ----------
    location : str
        The sentence-transformers folder (tokenizer, ``sentence_bert_config.json``).
    onnx_path : Path
        The converted int8 graph (:func:`build_int8`), with its float copy beside it; built when missing.
    threads : int or None
        ONNX Runtime intra-op threads; None: the torch thread count.
    """

    def __init__(self, location: str, onnx_path: Path, threads: int | None = None):
        _, ort = _require_onnx()
        import torch
        from transformers import AutoTokenizer

        if not (onnx_path.is_file() and float_copy(onnx_path).is_file()):
            build_int8(location, onnx_path)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or torch.get_num_threads()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session, self.float_session = (
            ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
            for path in (onnx_path, float_copy(onnx_path)))
        self.tokenizer = AutoTokenizer.from_pretrained(location)
        st_config = Path(location) / "sentence_bert_config.json"
        self.max_seq_length = int(json.loads(st_config.read_text(encoding="utf-8")).get("max_seq_length", 256)) \
            if st_config.is_file() else 256
        self.dimension = _bert_shape(location)[1]

    def get_sentence_embedding_dimension(self) -> int:
        return self.dimension

    def encode(self, texts: list[str], batch_size: int = 64, normalize_embeddings: bool = True,
               **_ignored) -> np.ndarray:
        """``(N, D)`` float32 vectors of ``texts``; batches of similar length, so little padding."""
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return out
        lengths = np.array([len(ids) for ids in self.tokenizer(
            list(texts), truncation=True, max_length=self.max_seq_length)["input_ids"]])
        order = np.argsort(-lengths, kind="stable")
        n_long = int((lengths > SHORT_TOKENS).sum())
        for group, session in ((order[:n_long], self.session), (order[n_long:], self.float_session)):
            for start in range(0, len(group), batch_size):
                rows = group[start:start + batch_size]
                out[rows] = self._pooled(session, [texts[i] for i in rows])
        if normalize_embeddings:
            out /= np.clip(np.linalg.norm(out, axis=1, keepdims=True), 1e-12, None)
        return out

    def _pooled(self, session, texts: list[str]) -> np.ndarray:
        tokens = self.tokenizer(texts, padding=True, truncation=True, max_length=self.max_seq_length,
                                return_tensors="np")
        hidden = session.run(None, {k: tokens[k].astype(np.int64) for k in INPUTS})[0]
        mask = tokens["attention_mask"][..., None].astype(np.float32)
        return (hidden * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)

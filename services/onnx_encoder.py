"""A fast CPU copy of a sentence encoder: ONNX Runtime, fused graph, int8 weights.

``minilm-int8`` is the packaged MiniLM exported to ONNX on first use (a local
conversion, nothing is downloaded), with ONNX Runtime's BERT fusions
(attention, GELU, layer norm) and dynamic int8 quantisation of its weight
matrices (per output channel). Its vectors are close to the torch ones but not
equal (``benchmarks/embeddings.py`` measures the cosine and the speed side by
side), so it has its own cache key and never mixes with ``minilm`` vectors.
"""

from __future__ import annotations

import json
import os
import tempfile
import warnings
from pathlib import Path

import numpy as np

from workbench.errors import MissingDependencyError, ValidationError

INT8_SUFFIX = "#onnx-int8"
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


def build_int8(location: str, dest: Path) -> Path:
    """Export ``location`` (a BERT-style sentence-transformers folder) to a fused int8 ONNX file at ``dest``.

    The file appears whole or not at all (written beside ``dest``, then renamed), so two
    processes converting at once both end with a valid file.
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
        quantize_dynamic(str(fused), str(quant), weight_type=QuantType.QInt8, per_channel=True,
                         extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
        os.replace(quant, dest)
    return dest


class OnnxSentenceEncoder:
    """Mean-pooled sentence vectors from an ONNX file, with the ``encode`` call of a ``SentenceTransformer``.

    Parameters
    ----------
    location : str
        The sentence-transformers folder (tokenizer, ``sentence_bert_config.json``).
    onnx_path : Path
        The converted graph (:func:`build_int8`); built there when missing.
    threads : int or None
        ONNX Runtime intra-op threads; None: the torch thread count.
    """

    def __init__(self, location: str, onnx_path: Path, threads: int | None = None):
        _, ort = _require_onnx()
        import torch
        from transformers import AutoTokenizer

        if not onnx_path.is_file():
            build_int8(location, onnx_path)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or torch.get_num_threads()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
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
        order = np.argsort([-len(t) for t in texts], kind="stable")
        for start in range(0, len(texts), batch_size):
            rows = order[start:start + batch_size]
            tokens = self.tokenizer([texts[i] for i in rows], padding=True, truncation=True,
                                    max_length=self.max_seq_length, return_tensors="np")
            hidden = self.session.run(None, {k: tokens[k].astype(np.int64) for k in INPUTS})[0]
            mask = tokens["attention_mask"][..., None].astype(np.float32)
            vectors = (hidden * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
            if normalize_embeddings:
                vectors /= np.clip(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12, None)
            out[rows] = vectors
        return out

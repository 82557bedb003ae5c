"""Whose sentence vectors a round's model reads: the project encoder's, or the stronger encoder's.

With ``model_encoder: auto`` (the default), an adapter that declares :class:`~services.models.UpgradesVectors`
(the default ``hybrid``) reads the vectors of :func:`services.embeddings.stronger_encoder` (mpnet, when it
is fetched, for a project on MiniLM) once every text of the round has one. On the active-learning suite
that took the default from a tie with margin + ``logreg`` on MiniLM to 4-12 points ahead (README, "How the
defaults were chosen"). mpnet encodes 6-14 times slower than MiniLM on a CPU, so a CPU round trains on
what is cached, writes its suggestions, and only then encodes at most :data:`AHEAD_CHARS` characters ahead
(70-100 s on two cores) for the rounds after it: encoding never delays suggestions, and a project
switches once the cache has caught up. On a GPU a round encodes everything it needs first.
"""

from __future__ import annotations

from collections.abc import Sequence

from services.embeddings import embed, model_key, stronger_encoder, uncached_share
from services.models import ADAPTERS, UpgradesVectors, supports
from workbench.types import ProgressFn, text_hash

#: characters a CPU round encodes ahead with the stronger encoder after its suggestions are out (mpnet: 70 to
#: 100 s on two quiet cores for Movie reviews' snippets and plots, README); on a GPU no limit
AHEAD_CHARS = 50_000
#: the settings form's words for each ``model_encoder`` value
MODEL_ENCODER_HELP = {"auto": "auto: mpnet's vectors when it is fetched", "project": "the encoder's vectors"}


def wanted_encoder(project, adapter_name: str) -> str | None:
    """The stronger encoder this round's model would read, or None when it reads the project encoder."""
    if project.task == "ner" or project.settings.model_encoder != "auto":
        return None
    if not supports(ADAPTERS.get(adapter_name), UpgradesVectors):
        return None
    return stronger_encoder(project.settings.encoder)


def model_encoder(store, project, adapter_name: str, texts: Sequence[str]) -> str:
    """The encoder whose vectors the round's model reads for ``texts`` (its training, held-out and pool texts):
    the stronger one when every text has its vector cached, else the project encoder. Encodes nothing."""
    stronger = wanted_encoder(project, adapter_name)
    if stronger is None or uncached_share(texts, stronger, store) > 0:
        return project.settings.encoder
    return stronger


def encodes_before_fit(device: str = "auto") -> bool:
    """On a GPU a round encodes everything it misses before it trains (seconds); on a CPU it trains on what
    is cached and encodes ahead after its suggestions are out (:func:`encode_ahead`), so encoding never
    delays them."""
    from services.device import resolve_device

    return resolve_device(device) != "cpu"


def encode_ahead(store, project, adapter_name: str, texts: Sequence[str], *, device: str = "auto",
                 progress: ProgressFn | None = None) -> int:
    """Encode the stronger encoder's missing vectors of ``texts`` (labelled ones first, as given): on a GPU all
    of them, on a CPU up to :data:`AHEAD_CHARS` characters. Returns how many texts were encoded."""
    stronger = wanted_encoder(project, adapter_name)
    missing = _missing(store, stronger, texts) if stronger else []
    if not missing:
        return 0
    todo = missing if encodes_before_fit(device) else _within(missing, AHEAD_CHARS)
    embed(todo, encoder=stronger, store=store, progress=progress)
    return len(todo)


def _missing(store, encoder: str, texts: Sequence[str]) -> list[str]:
    """The distinct ``texts`` with no cached vector of ``encoder``, in order."""
    by_hash = dict(zip(map(text_hash, texts), texts))  # each text hashed once; a repeat keeps its first place
    cached = store.cached_hashes(model_key(encoder), list(by_hash))
    return [t for h, t in by_hash.items() if h not in cached]


def _within(texts: list[str], budget: int) -> list[str]:
    """The first texts whose lengths add up to at most ``budget`` characters (at least one)."""
    total, out = 0, []
    for t in texts:
        total += len(t)
        if out and total > budget:
            break
        out.append(t)
    return out

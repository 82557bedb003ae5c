"""Whose sentence vectors a round's model reads: the project encoder's, or the stronger encoder's.

With ``model_encoder: auto`` (the default), an adapter that declares :class:`~services.models.UpgradesVectors`
(the default ``hybrid``) reads the vectors of :func:`services.embeddings.stronger_encoder` (mpnet, when it
is fetched, for a project on MiniLM) once every text of the round has one. On the active-learning suite
that took the default from a tie with margin + ``logreg`` on MiniLM to several points ahead on every data
set (README, "How the defaults were chosen"). mpnet encodes 6-14 times slower than MiniLM on a CPU, so a
round encodes at most :data:`AHEAD_CHARS` characters ahead (about a minute on two cores) and trains on the
project encoder's vectors until the cache has caught up: a big project keeps quick rounds, and a small one
switches within a round or two. On a GPU a round encodes everything it needs at once.
"""

from __future__ import annotations

from collections.abc import Sequence

from services.embeddings import embed, stronger_encoder
from services.models import ADAPTERS, UpgradesVectors, supports
from workbench.types import ProgressFn, text_hash

#: characters a CPU round encodes ahead with the stronger encoder (mpnet: roughly 1,500 to 2,500 a second on
#: two cores, so about a minute); on a GPU there is no limit
AHEAD_CHARS = 100_000
#: the settings form's words for each ``model_encoder`` value
MODEL_ENCODER_HELP = {"auto": "auto: mpnet's vectors when it is fetched", "project": "the encoder's vectors"}


def wanted_encoder(project, adapter_name: str) -> str | None:
    """The stronger encoder this round's model would read, or None when it reads the project encoder."""
    if project.task == "ner" or project.settings.model_encoder != "auto":
        return None
    if not supports(ADAPTERS.get(adapter_name), UpgradesVectors):
        return None
    return stronger_encoder(project.settings.encoder)


def model_encoder(store, project, adapter_name: str, texts: Sequence[str], *, device: str = "auto",
                  progress: ProgressFn | None = None) -> str:
    """The encoder whose vectors the round's model reads for ``texts`` (its training, held-out and pool texts).

    Encodes the missing vectors of :func:`wanted_encoder` first: on a GPU all of them, on a CPU up to
    :data:`AHEAD_CHARS` characters (labelled texts first, as given). Returns the stronger encoder when every
    text then has its vector, else the project encoder.
    """
    project_encoder = project.settings.encoder
    stronger = wanted_encoder(project, adapter_name)
    if stronger is None:
        return project_encoder
    from services.device import resolve_device
    from services.embeddings import model_key

    unique = list(dict.fromkeys(texts))
    cached = store.cached_hashes(model_key(stronger), [text_hash(t) for t in unique])
    missing = [t for t in unique if text_hash(t) not in cached]
    if not missing:
        return stronger
    todo = _within(missing, AHEAD_CHARS) if resolve_device(device) == "cpu" else missing
    embed(todo, encoder=stronger, store=store, progress=progress)
    return stronger if len(todo) == len(missing) else project_encoder


def _within(texts: list[str], budget: int) -> list[str]:
    """The first texts whose lengths add up to at most ``budget`` characters (at least one)."""
    total, out = 0, []
    for t in texts:
        total += len(t)
        if out and total > budget:
            break
        out.append(t)
    return out

"""Hugging Face datasets: a ``save_to_disk()`` directory, or a hub id when online."""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

from workbench.errors import DataFileError, MissingDependencyError, OfflineError
from workbench.io.table import BATCH, Rows, Table
from workbench.text import bio_to_spans, join_words

HUB_PROBE = ("huggingface.co", 443)
HUB_PROBE_TIMEOUT = 3.0
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


def hub_available() -> bool:
    """True when the Hugging Face hub may be reached (offline flag unset, socket probe answers)."""
    if os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on"):
        return False
    try:
        with socket.create_connection(HUB_PROBE, timeout=HUB_PROBE_TIMEOUT):
            return True
    except OSError:
        return False


def looks_like_hub_id(source: str) -> bool:
    return bool(_HUB_ID.match(source)) and not Path(source).exists()


def read_hf(path: Path | str, *, hub_id: str | None = None, **_: Any) -> Table:
    """A ``datasets.save_to_disk`` directory, or a hub id (only when online).

    ``ClassLabel`` values become their names; a ``tokens`` + ``ner_tags``
    dataset without a text column is converted to text and spans. Each split
    of a ``DatasetDict`` is read in turn and its name becomes the record split.
    """
    try:
        import datasets
    except ImportError as exc:  # pragma: no cover - datasets is a requirement
        raise MissingDependencyError("reading Hugging Face datasets needs: pip install datasets") from exc
    if hub_id:
        if not hub_available():
            raise OfflineError(
                f"cannot load {hub_id!r} from the Hugging Face hub: no network (or HF_HUB_OFFLINE is set); "
                "on a machine with internet run `datasets.load_dataset(...).save_to_disk(DIR)` and import DIR "
                "(if you meant a local path: it does not exist)"
            )
        try:
            loaded = datasets.load_dataset(hub_id)
        except Exception as exc:
            raise DataFileError(hub_id, None, f"cannot load the hub dataset: {exc}") from None
        where = hub_id
    else:
        try:
            loaded = datasets.load_from_disk(str(path))
        except Exception as exc:
            raise DataFileError(
                str(path), None,
                f"not a Hugging Face dataset directory ({exc}); expected the output of save_to_disk()",
            ) from None
        where = str(path)
    splits = list(loaded.items()) if isinstance(loaded, datasets.DatasetDict) else [(None, loaded)]
    features = splits[0][1].features
    columns = list(features)
    ner_tags = "ner_tags" in features and "tokens" in features
    if ner_tags and "text" not in features:
        columns = [c for c in columns if c != "ner_tags"] + ["text", "spans"]
    if len(splits) > 1 and "split" not in columns:
        columns.append("split")

    def rows() -> Rows:
        n = 0
        for split_name, ds in splits:
            decode = _feature_decoders(ds.features)
            for batch in ds.iter(batch_size=BATCH):
                keys = list(batch)
                for i in range(len(batch[keys[0]]) if keys else 0):
                    row = {k: decode[k](batch[k][i]) if k in decode else batch[k][i] for k in keys}
                    if ner_tags and "text" not in row:
                        text, tokens = join_words(row["tokens"])
                        row["text"], row["spans"] = text, bio_to_spans(tokens, row.pop("ner_tags"))
                    if split_name is not None and "split" not in row:
                        row["split"] = split_name
                    n += 1
                    yield n, row
        if n == 0:
            raise DataFileError(where, None, "the dataset has no rows")

    return Table(columns=columns, rows=rows(), unit="row")


def _feature_decoders(features) -> dict[str, Callable[[Any], Any]]:
    """Per column, a function turning ClassLabel ints into names (plain or in lists)."""
    import datasets

    out: dict[str, Callable[[Any], Any]] = {}
    for name, feat in features.items():
        if isinstance(feat, datasets.ClassLabel):
            out[name] = lambda v, f=feat: None if v is None or v < 0 else f.int2str(v)
        else:
            inner = getattr(feat, "feature", None)
            if isinstance(inner, datasets.ClassLabel):
                out[name] = lambda v, f=inner: None if v is None else [f.int2str(x) for x in v]
    return out

"""2-D map coordinates of sentence vectors with UMAP (``umap-learn``), deterministic for a seed.

Above :data:`SAMPLE_FIT` records UMAP is fitted on a seeded sample and the rest is placed with
``transform`` in batches, so memory and time grow slowly and progress can be reported honestly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from workbench.config import ConfigMixin
from workbench.errors import ValidationError
from workbench.types import ProgressFn

#: fit on at most this many points; place the others with transform
SAMPLE_FIT = 15_000
TRANSFORM_BATCH = 10_000


@dataclass
class MapConfig(ConfigMixin):
    """UMAP and clustering settings of a map (stored with it as its ``method``)."""

    n_neighbors: int = 15
    min_dist: float = 0.1
    seed: int = 0
    sample: int = SAMPLE_FIT

    def __post_init__(self) -> None:
        if not isinstance(self.n_neighbors, int) or self.n_neighbors < 2:
            raise ValidationError(f"n_neighbors must be an integer >= 2, got {self.n_neighbors!r}")
        if not 0.0 <= float(self.min_dist) <= 1.0:
            raise ValidationError(f"min_dist must be between 0 and 1, got {self.min_dist!r}")
        if not isinstance(self.sample, int) or self.sample < 100:
            raise ValidationError(f"sample must be an integer >= 100, got {self.sample!r}")

    def describe(self) -> str:
        return f"umap(n_neighbors={self.n_neighbors}, min_dist={self.min_dist}, seed={self.seed}, fit<={self.sample})"


def reduce(vectors: np.ndarray, config: MapConfig | None = None, progress: ProgressFn | None = None) -> np.ndarray:
    """(N, D) vectors -> (N, 2) float32 map coordinates (cosine neighbourhoods).

    Fewer points than UMAP needs (``n_neighbors`` + 2) are laid out by PCA instead.
    """
    config = config or MapConfig()
    report = progress or (lambda fraction, message: None)
    vectors = np.asarray(vectors, dtype=np.float32)
    n = len(vectors)
    if n == 0:
        return np.zeros((0, 2), dtype=np.float32)
    if n < config.n_neighbors + 2:
        return _pca(vectors)
    import umap

    from services.quiet import quiet_loggers

    reducer = umap.UMAP(n_components=2, n_neighbors=config.n_neighbors, min_dist=config.min_dist, metric="cosine",
                        random_state=config.seed, low_memory=True, n_jobs=1)
    with quiet_loggers("numba", "umap", "pynndescent"):
        if n <= config.sample:
            report(0.0, f"fitting the map on {n:,} points")
            return reducer.fit_transform(vectors).astype(np.float32)
        rng = np.random.default_rng(config.seed)
        fit = np.sort(rng.choice(n, config.sample, replace=False))
        report(0.0, f"fitting the map on a sample of {config.sample:,} of {n:,} points")
        coords = np.empty((n, 2), dtype=np.float32)
        coords[fit] = reducer.fit_transform(vectors[fit])
        rest = np.setdiff1d(np.arange(n), fit)
        for start in range(0, len(rest), TRANSFORM_BATCH):
            part = rest[start:start + TRANSFORM_BATCH]
            coords[part] = reducer.transform(vectors[part])
            done = config.sample + start + len(part)
            report(done / n, f"placed {done:,}/{n:,} points")
    return coords


def _pca(vectors: np.ndarray) -> np.ndarray:
    centred = vectors - vectors.mean(axis=0)
    if len(vectors) < 2 or not np.any(centred):
        return np.zeros((len(vectors), 2), dtype=np.float32)
    _u, _s, vt = np.linalg.svd(centred, full_matrices=False)
    out = centred @ vt[:2].T
    return np.pad(out, ((0, 0), (0, 2 - out.shape[1]))).astype(np.float32)

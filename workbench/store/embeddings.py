"""The sentence-vector cache: one row per (encoder key, text hash), float32 bytes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path


class EmbeddingsMixin:
    def get_vectors(self, key: str, hashes: Sequence[str]) -> dict[str, bytes]:
        """Cached vectors (raw float32 bytes) of encoder ``key`` for the text hashes that have one."""
        sql = "SELECT text_hash, vector FROM embeddings WHERE model = ? AND text_hash IN ({marks})"
        return {row[0]: row[1] for row in self.select_in(sql, list(hashes), (key,))}

    def cached_hashes(self, key: str, hashes: Sequence[str]) -> set[str]:
        """The ``hashes`` that have a cached vector of encoder ``key`` (no vector is read)."""
        sql = "SELECT text_hash FROM embeddings WHERE model = ? AND text_hash IN ({marks})"
        return {row[0] for row in self.select_in(sql, list(dict.fromkeys(hashes)), (key,))}

    def count_vectors(self, key: str, hashes: Sequence[str]) -> int:
        """How many of ``hashes`` have a cached vector of encoder ``key`` (no vector is read)."""
        sql = "SELECT COUNT(*) FROM embeddings WHERE model = ? AND text_hash IN ({marks})"
        return sum(row[0] for row in self.select_in(sql, list(dict.fromkeys(hashes)), (key,)))

    def put_vectors(self, key: str, vectors: Mapping[str, bytes]) -> None:
        """Cache ``text hash -> float32 bytes`` for encoder ``key`` (replacing what was there)."""
        with self.atomic():
            self.conn.executemany("INSERT OR REPLACE INTO embeddings (model, text_hash, vector) VALUES (?, ?, ?)",
                                  [(key, h, v) for h, v in vectors.items()])

    def copy_vectors_from(self, other: str | Path, key: str) -> None:
        """Copy another database's cached vectors of encoder ``key`` into this one (simulations share them)."""
        self.execute("ATTACH DATABASE ? AS src", (str(other),))
        try:
            with self.atomic():
                self.execute("INSERT OR IGNORE INTO main.embeddings SELECT * FROM src.embeddings WHERE model = ?",
                             (key,))
        finally:
            self.execute("DETACH DATABASE src")

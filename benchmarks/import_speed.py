"""Import benchmark: ``python -m benchmarks.import_speed --rows 100000``.

Writes a synthetic labelled CSV (seeded, with some duplicate texts) into a temp
directory, imports it into a fresh temp database and prints rows/s, seconds and
the process's peak resident memory (``resource.getrusage``). Nothing outside
the temp directory is touched.
"""

from __future__ import annotations

import argparse
import csv
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

WORDS = ("film plot actor scene great awful slow brilliant boring story music score camera ending script cast "
         "director funny sad long short warm cold dark bright").split()
LABELS = ["fresh", "rotten", "plot"]


def write_csv(path: Path, rows: int, seed: int = 0) -> None:
    """Write ``rows`` rows of ``id,text,label,source``; about 1% repeat an earlier text."""
    rng = random.Random(seed)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["id", "text", "label", "source"])
        for i in range(rows):
            if rng.random() < 0.01:  # a small pool of stock phrases makes realistic duplicates
                text = f"stock phrase {rng.randrange(50)}: seen it before"
            else:
                text = f"review {i}: " + " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 40)))
            out.writerow([f"r{i}", text, rng.choice(LABELS), rng.choice(["web", "print"])])


def peak_rss_mb() -> float:
    """Peak resident set size of this process in MiB (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def run(rows: int, seed: int = 0) -> dict[str, float]:
    """Generate, import and measure; return the figures."""
    from workbench.io import import_file
    from workbench.store import Store

    with tempfile.TemporaryDirectory(prefix="wb-bench-") as tmp:
        csv_path = Path(tmp) / "bench.csv"
        write_csv(csv_path, rows, seed)
        rss_before = peak_rss_mb()
        store = Store(Path(tmp) / "bench.db")
        try:
            started = time.perf_counter()
            report = import_file(store, "bench", csv_path, task="classification", labels=LABELS)
            seconds = time.perf_counter() - started
        finally:
            store.close()
        return {"rows": report.rows, "inserted": report.inserted, "duplicates": report.n_duplicates,
                "seconds": seconds, "rows_per_s": report.rows / seconds, "peak_rss_mb": peak_rss_mb(),
                "peak_rss_before_import_mb": rss_before, "file_mb": csv_path.stat().st_size / 1e6}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.import_speed", description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    r = run(args.rows, args.seed)
    print(f"imported {r['rows']:,} rows ({r['file_mb']:.1f} MB CSV, {r['inserted']:,} records, "
          f"{r['duplicates']:,} duplicates) in {r['seconds']:.1f} s = {r['rows_per_s']:,.0f} rows/s; "
          f"peak RSS {r['peak_rss_mb']:.0f} MiB (before import {r['peak_rss_before_import_mb']:.0f} MiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

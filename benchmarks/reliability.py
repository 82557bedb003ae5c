"""Reliability under concurrency, crashes and hostile input: ``python -m benchmarks.reliability [--json]``.

1. **Concurrent annotators**: N processes (2, 4, 8) label 200 records each as fast as they can on a
   100k-record project, a store per action as the UI opens one: rows written vs expected, records served
   to two annotators, p50 / p95 of one action (serve + lease + decide).
2. **kill -9 of a training** in each phase: labels kept, version intact, seconds until the job is
   marked failed, whether the next retrain ran by itself, orphans left.
3. **Importer fuzzing**: a fixed, seeded corpus of mutated files across every import format:
   unhandled exceptions, partial writes, the slowest file.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from workbench.config import ProjectSettings
from workbench.store import NewRecord, Store
from workbench.types import text_hash

ROOT = Path(__file__).resolve().parents[1]
WORKER = """
import json, sys, time
from workbench import api
db, annotator, n, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
wb = api.connect(db)  # each call opens its own store, as the UI does per rerun
served, times, stale = [], [], 0
for _ in range(n):
    t = time.perf_counter()
    item = wb.next("bench", annotator)
    if item is None:
        break
    stale += wb.label("bench", item.id, annotator, "pos").stale
    times.append(time.perf_counter() - t)
    served.append(item.id)
open(out, "w").write(json.dumps({"served": served, "times": times, "stale": stale}))
"""


def _build(db: Path, records: int) -> None:
    with Store(db) as store:
        # retrain_every=0: the benchmark times labelling, not the background retrains it would start
        project = store.create_project("bench", "classification", ["pos", "neg"],
                                       settings=ProjectSettings(retrain_every=0))
        with store.atomic():
            for start in range(0, records, 5000):
                store.insert_records(project.id, [NewRecord(uid=text_hash(f"r{i}"), text=f"record {i} text")
                                                  for i in range(start, min(start + 5000, records))])


def concurrency(records: int, workers: list[int], per_worker: int) -> list[dict[str, Any]]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in workers:
            db = Path(tmp) / f"c{n}.db"
            _build(db, records)
            outs = [Path(tmp) / f"w{n}-{i}.json" for i in range(n)]
            procs = [subprocess.Popen([sys.executable, "-c", WORKER, str(db), f"ann{i}", str(per_worker), str(o)],
                                      cwd=ROOT) for i, o in enumerate(outs)]
            for p in procs:
                p.wait()
            results = [json.loads(o.read_text()) for o in outs]
            served = [rid for r in results for rid in r["served"]]
            times = sorted(t for r in results for t in r["times"])
            with Store(db) as store:
                written = store.project_counts(store.get_project("bench"))["annotations"]
            rows.append({"annotators": n, "expected_rows": n * per_worker, "rows_written": written,
                         "served_twice": len(served) - len(set(served)), "stale": sum(r["stale"] for r in results),
                         "p50_ms": round(1000 * statistics.median(times), 1),
                         "p95_ms": round(1000 * times[int(0.95 * (len(times) - 1))], 1)})
            print(f"  {n} annotators: {rows[-1]}", file=sys.stderr, flush=True)
    return rows


PHASES = ("embedding texts", "training logreg", "predicting", "saving weights", "writing suggestions")


def _kill_once(tmp: Path, phase: str) -> dict[str, Any]:
    from services.training import JOB_KIND, maybe_retrain, model_status
    from workbench import jobs
    from workbench.config import ProjectSettings, models_dir_for
    from workbench.jobs import FAULT_PAUSE_ENV

    db = tmp / f"kill-{phase.split()[0]}.db"
    store = Store(db)
    project = store.create_project("films", "classification", ["pos", "neg"],
                                   settings=ProjectSettings(retrain_every=10))
    texts = [f"a wonderful, moving film, take {i}" for i in range(15)] + [f"a dull mess, take {i}" for i in range(15)]
    ids = store.insert_records(project.id, [NewRecord(uid=text_hash(t), text=t) for t in texts])
    for rid, value in zip(ids[:6] + ids[15:21], ["pos"] * 6 + ["neg"] * 6):
        store.annotate(project, rid, "alice", "label", value)
    labels = [store.history(rid) for rid in ids]
    active_before = store.get_project(project.id).active_model_version
    job_id = store.create_job(project, JOB_KIND, {"adapter": "logreg", "run": "live"})
    code = "import sys; from services.training import run_training_job; run_training_job(*sys.argv[1:3], int(sys.argv[3]))"
    proc = subprocess.Popen([sys.executable, "-c", code, str(db), project.name, str(job_id)], cwd=ROOT,
                            env={**os.environ, FAULT_PAUSE_ENV: phase}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    while not (store.job(job_id)["message"] or "").startswith(phase):
        time.sleep(0.1)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    killed = time.perf_counter()
    while store.job(job_id)["status"] != "failed":
        model_status(store, project)  # whoever looks next (the Active learning page, `status`)
        time.sleep(0.1)
    seconds = time.perf_counter() - killed
    intact = store.get_project(project.id).active_model_version == active_before
    orphans = len(store.model_versions(project)) + len(list(models_dir_for(db).glob(f"{project.id}/*")))
    new_job = maybe_retrain(store, store.get_project(project.id))
    resumed = new_job is not None and jobs.wait_for(store, new_job, timeout=300)["status"] == "done"
    kept = [store.history(rid) for rid in ids] == labels
    store.close()
    return {"phase": phase, "labels_kept": kept, "version_intact": intact, "seconds_to_failed": round(seconds, 2),
            "retrain_resumed": resumed, "orphans_left": orphans}


def kills() -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory() as tmp:
        rows = []
        for phase in PHASES:
            rows.append(_kill_once(Path(tmp), phase))
            print(f"  kill during {phase!r}: {rows[-1]}", file=sys.stderr, flush=True)
        return rows


BASES = {
    ".csv": b'id,text,label,source\n1,"a good film",pos,web\n2,"bad, very bad",neg,print\n',
    ".tsv": b"id\ttext\tlabel\n1\ta good film\tpos\n2\tbad one\tneg\n",
    ".jsonl": b'{"id": 1, "text": "a good film", "label": "pos", "meta": {"k": [1, 2]}}\n'
              b'{"id": 2, "text": "bad", "label": "neg"}\n',
    ".spans.jsonl": b'{"text": "Ann met Bo", "spans": [{"start": 0, "end": 3, "label": "pos"}]}\n',
    ".conll": b"Ann\tB-pos\nmet\tO\nBo\tB-neg\n\n# text_json = \"x  y\"\nx\tO\ny\tO\n\n",
}
HOSTILE = [b"\x00", b"\xff\xfe", b'"', b"\n", b"\t", b"{", b"[[[[[[[[", b"\\ud800", b"1e999", b"9" * 5000,
           b"=cmd|' /C calc'!A0", b"\xe2\x80\xae", b"\r\n\r\n", b"NaN", b"true", b"null"]


def _mutate(data: bytes, rng: random.Random) -> bytes:
    data = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        op, pos = rng.randrange(4), rng.randrange(max(len(data), 1))
        if op == 0 and data:
            data[pos] = rng.randrange(256)          # flip a byte
        elif op == 1:
            data[pos:pos] = rng.choice(HOSTILE)     # insert a hostile token
        elif op == 2:
            del data[pos:pos + rng.randint(1, 8)]   # delete a run
        else:
            data = data[:pos]                       # truncate
    return bytes(data)


def _parquet_base() -> bytes:
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(pa.table({"text": ["a good film", "bad"], "label": ["pos", "neg"]}), buf)
    return buf.getvalue()


def fuzz(per_format: int, seed: int) -> dict[str, Any]:
    from workbench.errors import WorkbenchError
    from workbench.io import import_file

    rng = random.Random(seed)
    bases = {**BASES, ".parquet": _parquet_base()}
    unhandled, partial, slowest, files = [], 0, 0.0, 0
    with tempfile.TemporaryDirectory() as tmp:
        for suffix, base in bases.items():
            task = "ner" if suffix in (".conll", ".spans.jsonl") else "classification"
            for i in range(per_format):
                path = Path(tmp) / f"f{i}{suffix}"
                path.write_bytes(_mutate(base, rng))
                files += 1
                with Store(Path(tmp) / f"f{i}{suffix}.db") as store:
                    start = time.perf_counter()
                    try:
                        import_file(store, "fuzz", path, task=task, labels=["pos", "neg"])
                    except WorkbenchError:
                        project = store.find_project("fuzz")
                        partial += bool(project and store.count_records(project.id))
                    except Exception as exc:  # noqa: BLE001 - this is what the benchmark counts
                        unhandled.append(f"{path.name}: {type(exc).__name__}: {exc}"[:200])
                    slowest = max(slowest, time.perf_counter() - start)
    return {"files": files, "formats": len(bases), "unhandled_exceptions": len(unhandled), "partial_writes": partial,
            "max_seconds": round(slowest, 3), "examples": unhandled[:5]}


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    parser = argparse.ArgumentParser(prog="python -m benchmarks.reliability", description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--annotators", default="2,4,8")
    parser.add_argument("--labels", type=int, default=200, help="labels per annotator")
    parser.add_argument("--fuzz-per-format", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip", default="", help="comma-separated parts to skip: concurrency, kills, fuzz")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    skip = set(filter(None, args.skip.split(",")))
    result: dict[str, Any] = {}
    if "concurrency" not in skip:
        result["concurrency"] = concurrency(args.records, [int(n) for n in args.annotators.split(",")], args.labels)
    if "kills" not in skip:
        result["kills"] = kills()
    if "fuzz" not in skip:
        result["fuzz"] = fuzz(args.fuzz_per_format, args.seed)
    print(json.dumps(result, indent=2) if args.json else _table(result))
    return 0


def _table(result: dict[str, Any]) -> str:
    lines = []
    for row in result.get("concurrency", []):
        lines.append(f"{row['annotators']} annotators: {row['rows_written']}/{row['expected_rows']} rows, "
                     f"{row['served_twice']} served twice, action p50 {row['p50_ms']} ms, p95 {row['p95_ms']} ms")
    for row in result.get("kills", []):
        lines.append(f"kill -9 during {row['phase']!r}: labels kept {row['labels_kept']}, version intact "
                     f"{row['version_intact']}, failed after "
                     f"{row['seconds_to_failed']} s, retrain resumed {row['retrain_resumed']}, orphans {row['orphans_left']}")
    if "fuzz" in result:
        f = result["fuzz"]
        lines.append(f"fuzz: {f['files']} files in {f['formats']} formats, {f['unhandled_exceptions']} unhandled, "
                     f"{f['partial_writes']} partial writes, slowest {f['max_seconds']} s")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())

"""Argilla sync speed: ``python -m benchmarks.argilla_sync [--sizes 1000,10000] [--json]``.

On a fresh local Argilla server (its own temporary data folder, stopped at the end) and a fresh
workbench database per size, with Movie reviews texts (repeated with a suffix beyond 13.9k):

1. **push** of N records with and without the 384-d sentence vectors (vectors embedded and cached
   beforehand, the embedding time reported apart), then a **re-push** (every record updated);
2. **pull** after 10% of the records got a submitted response (two annotators), and a second pull
   that finds nothing new;
3. **latency**: seconds from one response submitted in Argilla to its label in the workbench store,
   with ``argilla pull`` run right after the submit (in-process API, and the CLI command), and with
   the webhook listener (``argilla listen``) running and nothing pulled by hand.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from benchmarks import data
from services import argilla
from services.argilla import server as local
from workbench.store import NewRecord, Store
from workbench.types import text_hash

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "bench-pass-123"
LATENCY_TRIES = 5


def _texts(n: int) -> list[str]:
    base, _y, _names = data.movie_reviews("3class")
    return [base[i % len(base)] + ("" if i < len(base) else f" (copy {i // len(base)})") for i in range(n)]


def _annotator(server, name: str) -> httpx.Client:
    owner = httpx.Client(base_url=server.url, headers={"X-Argilla-Api-Key": server.api_key}, timeout=60)
    user = owner.post("/api/v1/users", json={"username": name, "password": PASSWORD, "first_name": name,
                                             "role": "annotator"}).json()
    ws = next(w for w in owner.get("/api/v1/me/workspaces").json()["items"] if w["name"] == local.WORKSPACE)
    owner.post(f"/api/v1/workspaces/{ws['id']}/users", json={"user_id": user["id"]})
    token = httpx.post(server.url + "/api/v1/token", data={"username": name, "password": PASSWORD}).json()
    return httpx.Client(base_url=server.url, headers={"Authorization": "Bearer " + token["access_token"]}, timeout=60)


def _server_ids(client, dataset_id: str, n: int) -> list[str]:
    ids, offset = [], 0
    while len(ids) < n:
        page = client.request("POST", f"/api/v1/datasets/{dataset_id}/records/search", json={},
                              params={"limit": 1000, "offset": offset})
        ids += [it["record"]["id"] for it in page["items"]]
        offset += len(page["items"])
        if not page["items"]:
            break
    return ids[:n]


def _respond(annotator: httpx.Client, record_ids: list[str], label: str) -> None:
    for start in range(0, len(record_ids), 100):
        items = [{"record_id": rid, "values": {"label": {"value": label}}, "status": "submitted"}
                 for rid in record_ids[start:start + 100]]
        answer = annotator.post("/api/v1/me/responses/bulk", json={"items": items})
        answer.raise_for_status()


def _timed(fn) -> tuple[Any, float]:
    started = time.perf_counter()
    out = fn()
    return out, round(time.perf_counter() - started, 2)


def run_size(server, n: int, workdir: Path, annotators: list[httpx.Client],
             texts: list[str] | None = None, *, latency_only: bool = False) -> dict[str, Any]:
    """One size's figures; ``texts`` default to Movie reviews (repeated with a suffix beyond its size).

    ``latency_only``: one push without vectors, then the pulls and latencies (no embedding, no re-push).
    """
    db = workdir / f"bench-{n}.db"
    out: dict[str, Any] = {"records": n}
    with Store(db) as store:
        project = store.create_project(f"bench-{n}", "classification", ["fresh", "rotten", "plot"])
        texts = texts or _texts(n)
        store.insert_records(project.id, [NewRecord(uid=text_hash(t), text=t) for t in texts])
        from services.embeddings import embed

        if not latency_only:
            _vectors, out["embed_s"] = _timed(lambda: embed(texts, store=store))
        with argilla.ArgillaClient(argilla.ArgillaSettings(url=server.url, api_key=server.api_key)) as client:
            for vectors in (False,) if latency_only else (False, True):
                name = f"{project.name}-{'vectors' if vectors else 'plain'}"
                argilla.link(store, project, client, dataset=name)
                report, seconds = _timed(lambda v=vectors: argilla.push(store, project, client, vectors=v))
                out[f"push_{'vectors' if vectors else 'plain'}_s"] = seconds
            if not latency_only:
                repush, out["repush_vectors_s"] = _timed(lambda: argilla.push(store, project, client, vectors=True))
                out["repush_updated"] = repush.updated
            dataset_id = store.argilla_link(project)["dataset_id"]
            ids = _server_ids(client, dataset_id, max(n // 10, 1))
            half = len(ids) // 2
            _respond(annotators[0], ids[:half], "fresh")
            _respond(annotators[1], ids[half:], "rotten")
            pulled, out["pull_s"] = _timed(lambda: argilla.pull(store, project, client))
            out["pull_labels"] = pulled.labels
            again, out["pull_again_s"] = _timed(lambda: argilla.pull(store, project, client))
            out["pull_again_added"] = again.added
            out.update(_latency(store, project, client, annotators[0], db, server))
    return out


def _latency(store, project, client, annotator: httpx.Client, db: Path, server) -> dict[str, Any]:
    """Submit one response, pull at once, stop the clock when its label is in the store."""
    answered = {r["record_id"] for r in store.pulled_responses(project).values()}
    free = [rid for rid in store.pushed_ids(project) if rid not in answered]
    by_id = {v["record_id"]: v["argilla_id"] for v in store.pushed_records(project, free).values()}
    api_s, cli_s = [], []
    env = {**os.environ, "ARGILLA_API_URL": server.url, "ARGILLA_API_KEY": server.api_key}
    for i in range(2 * LATENCY_TRIES):
        rid = free[i]
        started = time.perf_counter()
        _respond(annotator, [by_id[rid]], "plot")
        if i < LATENCY_TRIES:
            argilla.pull(store, project, client)
        else:
            subprocess.run([sys.executable, "-m", "workbench", "--db", str(db), "argilla", "pull", project.name],
                           cwd=ROOT, env=env, capture_output=True, check=True)
        assert store.get_record(rid).label == "plot", "the label is in the store once the pull returns"
        (api_s if i < LATENCY_TRIES else cli_s).append(time.perf_counter() - started)
    hook_s = _webhook_latency(store, project, annotator, db, server, [(rid, by_id[rid]) for rid in
                                                                      free[2 * LATENCY_TRIES:3 * LATENCY_TRIES]])
    return {"latency_api_median_s": round(statistics.median(api_s), 2), "latency_api_max_s": round(max(api_s), 2),
            "latency_cli_median_s": round(statistics.median(cli_s), 2), "latency_cli_max_s": round(max(cli_s), 2),
            "latency_webhook_median_s": round(statistics.median(hook_s), 2),
            "latency_webhook_max_s": round(max(hook_s), 2)}


def _webhook_latency(store, project, annotator: httpx.Client, db: Path, server, targets) -> list[float]:
    """The same with ``argilla listen`` running: nothing is pulled by hand, the webhook triggers it."""
    import threading

    from services.argilla.listen import Listener

    listener = Listener(db, project.name, argilla.ArgillaSettings(url=server.url, api_key=server.api_key),
                        every=600).start()
    runner = threading.Thread(target=listener.run, daemon=True)
    runner.start()
    times = []
    try:
        time.sleep(1.0)  # the catch-up pull at start
        for rid, argilla_id in targets:
            started = time.perf_counter()
            _respond(annotator, [argilla_id], "plot")
            while store.get_record(rid).label != "plot":
                if time.perf_counter() - started > 60:
                    raise RuntimeError("the webhook pull did not bring the label within 60 s")
                time.sleep(0.02)
            times.append(time.perf_counter() - started)
    finally:
        listener.close()
        runner.join(timeout=10)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--latency-only", action="store_true",
                        help="one push without vectors, then pulls and latencies (skips embedding and re-push)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    # a SIGTERM still runs the finally below, so the server it started is stopped
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with tempfile.TemporaryDirectory(prefix="bench-argilla-") as tmp:
        instance = Path(tmp) / "server"
        started = time.perf_counter()
        server = local.start(instance=instance, port=local.free_port(), echo=lambda m: print(m, file=sys.stderr))
        boot_s = round(time.perf_counter() - started, 1)
        try:
            annotators = [_annotator(server, "bench1"), _annotator(server, "bench2")]
            results = [run_size(server, n, Path(tmp), annotators, latency_only=args.latency_only) for n in sizes]
        finally:
            local.stop(instance=instance)
    out = {"server_start_s": boot_s, "sizes": results}
    if args.json:
        print(json.dumps(out, indent=1))
        return 0
    print(f"fresh local server ready in {boot_s} s")
    print("| records | embed (not in push) | push, no vectors | push, vectors | re-push, vectors | pull 10% responses "
          "| pull, nothing new | response → label: API pull (median / max) | CLI pull | webhook listener |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        r = {"embed_s": "-", "push_vectors_s": "-", "repush_vectors_s": "-", **r}
        print(f"| {r['records']:,} | {r['embed_s']} s | {r['push_plain_s']} s | {r['push_vectors_s']} s | "
              f"{r['repush_vectors_s']} s | {r['pull_s']} s ({r['pull_labels']:,} labels) | {r['pull_again_s']} s | "
              f"{r['latency_api_median_s']} / {r['latency_api_max_s']} s | "
              f"{r['latency_cli_median_s']} / {r['latency_cli_max_s']} s | "
              f"{r['latency_webhook_median_s']} / {r['latency_webhook_max_s']} s |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

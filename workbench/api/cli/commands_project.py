"""``project create|list`` and ``status``."""

from __future__ import annotations

import json


def register(sub) -> None:
    project = sub.add_parser("project", help="create or list projects")
    psub = project.add_subparsers(dest="project_command", metavar="ACTION")
    psub.required = True
    create = psub.add_parser("create", help="create a project")
    create.add_argument("name")
    create.add_argument("--task", required=True, choices=["classification", "multilabel", "ner"])
    create.add_argument("--labels", required=True, help="comma-separated label names, in order")
    create.add_argument("--guidelines", default="", help="annotation guidelines (Markdown)")
    create.set_defaults(func=_create)
    listing = psub.add_parser("list", help="list projects with their counts")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=_list)

    status = sub.add_parser("status", help="counts for one project")
    status.add_argument("name")
    status.add_argument("--json", action="store_true", help="print JSON on stdout")
    status.set_defaults(func=_status)


def _create(args, store) -> None:
    project = store.create_project(args.name, args.task, args.labels.split(","), args.guidelines)
    print(f"created project {project.name!r} ({project.task}; labels: {', '.join(project.labels)})")


def _list(args, store) -> None:
    rows = []
    for project in store.list_projects():
        stats = store.project_counts(project)
        rows.append({"name": project.name, "task": project.task, "records": stats["records"],
                     "annotated": stats["annotated"], "reference": stats["reference"]})
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    if not rows:
        print("no projects yet; create one with: python -m workbench project create NAME --task ... --labels ...")
    for r in rows:
        print(f"{r['name']}\t{r['task']}\trecords={r['records']}\tannotated={r['annotated']}\treference={r['reference']}")


def _status(args, store) -> None:
    from workbench import api

    project = store.get_project(args.name)
    stats = api.connect(store.path).status(project.name)
    out = {"name": project.name, "task": project.task, "labels": project.labels, **stats}
    if args.json:
        print(json.dumps(out, indent=2, ensure_ascii=False))
        return
    print(f"{project.name} ({project.task})")
    print(f"  records: {stats['records']}  annotated: {stats['annotated']}  skipped: {stats['skipped']}"
          f"  excluded: {stats['excluded']}  reference-labelled: {stats['reference']}")
    for label in project.labels:
        print(f"  {label}: {stats['per_label'].get(label, 0)} annotated, "
              f"{stats['reference_per_label'].get(label, 0)} reference")

"""``project create|list|rename|duplicate|archive|delete|settings`` and ``status``."""

from __future__ import annotations

import json


def register(sub) -> None:
    project = sub.add_parser("project", help="create, list, rename, duplicate, archive or delete projects")
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
    rename = psub.add_parser("rename", help="give a project another name")
    rename.add_argument("name")
    rename.add_argument("new_name")
    rename.set_defaults(func=_rename)
    duplicate = psub.add_parser("duplicate", help="a new empty project with this one's labels, guidelines, settings")
    duplicate.add_argument("name")
    duplicate.add_argument("new_name")
    duplicate.set_defaults(func=_duplicate)
    archive = psub.add_parser("archive", help="hide a project from the app's lists and queues (nothing deleted)")
    archive.add_argument("name")
    archive.add_argument("--undo", action="store_true", help="bring an archived project back")
    archive.set_defaults(func=_archive)
    delete = psub.add_parser("delete", help="back a project up to <db>.backups/ and delete it")
    delete.add_argument("name")
    delete.add_argument("--confirm", required=True, metavar="NAME", help="the project's name again")
    delete.set_defaults(func=_delete)

    settings = psub.add_parser("settings", help="show or change a project's active-learning settings",
                               description="KEY=VALUE pairs change settings (the Active learning page's form): "
                                           "values are read as JSON where they parse (20, true, {\"spam\": \"p\"}), "
                                           "else as text (margin, hybrid). All are checked before any is saved.")
    settings.add_argument("name")
    settings.add_argument("changes", nargs="*", metavar="KEY=VALUE")
    settings.add_argument("--json", action="store_true", help="print the settings as JSON")
    settings.set_defaults(func=_settings)

    status = sub.add_parser("status", help="counts for one project")
    status.add_argument("name")
    status.add_argument("--json", action="store_true", help="print JSON on stdout")
    status.set_defaults(func=_status)


def _create(args, store) -> None:
    project = store.create_project(args.name, args.task, args.labels.split(","), args.guidelines)
    print(f"created project {project.name!r} ({project.task}; labels: {', '.join(project.labels)})")


def _rename(args, store) -> None:
    project = store.rename_project(store.get_project(args.name), args.new_name)
    print(f"renamed {args.name!r} to {project.name!r}")


def _duplicate(args, store) -> None:
    from workbench.project_admin import duplicate_settings

    project = duplicate_settings(store, store.get_project(args.name), args.new_name)
    print(f"created {project.name!r} with the labels, guidelines and settings of {args.name!r} (no records)")


def _archive(args, store) -> None:
    project = store.set_archived(store.get_project(args.name), not args.undo)
    print(f"archived {project.name!r}" if project.archived_at else f"{project.name!r} is back in use")


def _delete(args, store) -> None:
    from workbench.project_admin import delete_project

    path = delete_project(store, store.get_project(args.name), args.confirm)
    print(f"deleted {args.name!r}; backup: {path}")


def _settings(args, store) -> None:
    from workbench import api
    from workbench.errors import ValidationError

    changes = {}
    for pair in args.changes:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise ValidationError(f"{pair!r} is not KEY=VALUE; e.g. strategy=margin or retrain_every=20")
        try:
            changes[key.strip()] = json.loads(raw)
        except ValueError:
            changes[key.strip()] = raw  # plain text: a name such as margin or hybrid
    current = api.connect(store.path).settings(args.name, **changes).to_dict()
    if args.json:
        print(json.dumps(current, indent=2, ensure_ascii=False))
        return
    if changes:
        print(f"saved {', '.join(changes)} for {args.name!r}; they apply from the next training")
    for key, value in current.items():
        print(f"  {key}: {json.dumps(value, ensure_ascii=False)}")


def _list(args, store) -> None:
    rows = []
    for project in store.list_projects():
        stats = store.project_counts(project)
        rows.append({"name": project.name, "task": project.task, "records": stats["records"],
                     "annotated": stats["annotated"], "reference": stats["reference"],
                     "archived": project.archived_at is not None})
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    if not rows:
        print("no projects yet; create one with: python -m workbench project create NAME --task ... --labels ...")
    for r in rows:
        print(f"{r['name']}\t{r['task']}\trecords={r['records']}\tannotated={r['annotated']}\treference={r['reference']}"
              + ("\tarchived" if r["archived"] else ""))


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

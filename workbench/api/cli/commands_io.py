"""``import`` and ``export``: move datasets in and out of a project."""

from __future__ import annotations

import argparse

from workbench.errors import ValidationError
from workbench.io import EXPORT_FORMATS, IMPORT_FORMATS, export_project, import_file
from workbench.types import LABEL_SOURCES, TASKS


def _split_share(value: str) -> float:
    try:
        share = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a test share like 0.2, got {value!r}") from None
    if not 0 < share < 1:
        raise argparse.ArgumentTypeError(f"test share must be between 0 and 1, got {value}")
    return share


def register(sub) -> None:
    imp = sub.add_parser("import", help="import a data file into a project (all rows or none)",
                         description="Import CSV, TSV, JSONL, Parquet, a HF save_to_disk directory, CoNLL/BIO "
                                     "or span JSONL. Labels in the file become reference labels.")
    imp.add_argument("name", help="project name")
    imp.add_argument("path", help="file, HF dataset directory, or HF hub id (online only)")
    imp.add_argument("--format", choices=list(IMPORT_FORMATS), help="default: from the file suffix")
    imp.add_argument("--text-col", default="text", help="column with the text (default: text)")
    imp.add_argument("--label-col", help="column with labels (default: label / labels / spans when present)")
    imp.add_argument("--id-col", help="column with your own record id (default: id when present)")
    imp.add_argument("--meta-cols", help="comma-separated columns kept as metadata (default: all others)")
    imp.add_argument("--split-col", help="column naming each record's split (default: split when present)")
    imp.add_argument("--task", choices=list(TASKS),
                     help="create the project with this task if it does not exist (needs --labels)")
    imp.add_argument("--labels", help="comma-separated label names for a new project")
    imp.add_argument("--guidelines", default="", help="annotation guidelines for a new project")
    imp.set_defaults(func=_import)

    exp = sub.add_parser("export", help="export a project's labelled records")
    exp.add_argument("name", help="project name")
    exp.add_argument("out", help="output file, or directory (hf, --split, or an existing directory)")
    exp.add_argument("--format", required=True, choices=list(EXPORT_FORMATS))
    exp.add_argument("--source", default="annotations", choices=list(LABEL_SOURCES),
                     help="which labels: human annotations (default), imported reference labels, curated, or consensus"
                          " (a review, else the annotators' CROWDLAB consensus; adds agreement columns)")
    exp.add_argument("--split", type=_split_share, help="test share for a (stratified) train/test split, e.g. 0.2")
    exp.add_argument("--seed", type=int, default=0, help="seed of the split (default 0)")
    exp.set_defaults(func=_export)


def _import(args, store) -> int:


    if bool(args.task) != bool(args.labels):
        raise ValidationError("--task and --labels go together: both create a new project")
    meta = [c.strip() for c in args.meta_cols.split(",") if c.strip()] if args.meta_cols is not None else None
    report = import_file(
        store, args.name, args.path, format=args.format, text_col=args.text_col, label_col=args.label_col,
        id_col=args.id_col, meta_cols=meta, split_col=args.split_col, task=args.task,
        labels=args.labels.split(",") if args.labels else None, guidelines=args.guidelines,
    )
    print(report.summary())
    for dup in report.duplicates[:5]:
        print(f"  duplicate: line {dup['line']} repeats line {dup['first_line']}: {dup['text']!r}")
    if report.n_duplicates > 5:
        print(f"  ... and {report.n_duplicates - 5} more duplicates")
    return 0


def _export(args, store) -> int:
    from services.agreement import export_consensus

    consensus = export_consensus(store, store.get_project(args.name), args.source)
    report = export_project(store, args.name, args.out, format=args.format, source=args.source,
                            split=args.split, seed=args.seed, consensus=consensus)
    print(report.summary())
    labels = ", ".join(f"{k}={v}" for k, v in report.per_label.items())
    print(f"  per label: {labels}")
    return 0

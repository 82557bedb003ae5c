"""``audit NAME``: find likely label errors with out-of-fold cleanlab and print them."""

from __future__ import annotations

import json

from workbench.api.cli.terminal import ProgressBar
from workbench.errors import ValidationError

TOP = 10


def register(sub) -> None:
    p = sub.add_parser("audit", help="flag likely label errors (out-of-fold cleanlab)")
    p.add_argument("name", help="project name")
    p.add_argument("--source", choices=["annotations", "reference"], default="annotations",
                   help="audit the current human labels or the imported reference labels")
    p.add_argument("--folds", type=int, default=5, help="cross-validation folds (default 5)")
    p.add_argument("--model", default=None,
                   help="hybrid (default: regressions on the vectors and on word n-grams and a kNN, mixed; two passes; "
                        "mpnet's vectors join the mix when it is fetched), "
                        "logreg (plain cleanlab on out-of-fold logistic regression: the yardstick), knn or "
                        "ensemble on cached embeddings, or an adapter name")
    p.add_argument("--encoder", default=None,
                   help="sentence vectors the audit reads: minilm (default), minilm-int8, mpnet "
                        "(`python -m workbench models fetch mpnet` first), a local folder")
    p.add_argument("--also-encoder", action="append", default=None, metavar="ENCODER",
                   help="mix the model's views on this encoder's vectors in too (the kNN reads the last one named) "
                        "(repeatable; default: mpnet when it is fetched and the audit runs the default model "
                        "on minilm vectors)")
    p.add_argument("--one-encoder", action="store_true",
                   help="no ensemble across encoders: only --encoder's vectors (faster)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--single-pass", action="store_true",
                   help="skip the second out-of-fold pass without the first pass's flags (faster; only the "
                        "default model makes one unless told)")
    p.add_argument("--even-mix", action="store_true",
                   help="average the model's views (hybrid: vectors, words, kNN) evenly instead of weighting them")
    p.add_argument("--top", type=int, default=TOP, help="issues printed without --json")
    p.add_argument("--json", action="store_true", help="print every issue and score as JSON on stdout")
    p.add_argument("--push-argilla", action="store_true",
                   help="then push the flagged records to the linked Argilla dataset, lowest label quality first, "
                        "with the given label as suggestion; `argilla pull` brings the fixes back and closes the issues")
    p.add_argument("--agreement", action="store_true",
                   help="instead of auditing, report inter-annotator agreement and CROWDLAB annotator quality")
    p.set_defaults(func=_audit)


def _agreement(args, store, project) -> int:
    from services import agreement

    out = agreement.agreement_report(store, project)
    if project.task == "classification" and out["n_records"] >= args.folds:
        out["crowdlab"] = agreement.consensus(store, project, folds=args.folds, seed=args.seed)["annotators"]
    if args.json:
        print(json.dumps(out, ensure_ascii=False, indent=1))
        return 0
    print(f"{out['n_records']} records with two or more annotators ({', '.join(out['annotators']) or 'none'})")
    if out["fleiss_kappa"] is not None:
        print(f"Fleiss' kappa {out['fleiss_kappa']:.3f}  Krippendorff's alpha {out['krippendorff_alpha']:.3f}")
    for pair in out["pairs"]:
        metric = f"kappa {pair['kappa']:.3f}" if "kappa" in pair else f"span F1 {pair['f1']:.3f}"
        print(f"  {pair['a']} vs {pair['b']}: {metric} on {pair['n']} records")
    for a in out.get("crowdlab", []):
        print(f"  CROWDLAB {a['annotator']}: quality {a['quality']:.3f}, agrees with consensus {a['agreement']:.0%}"
              f" ({a['n']} labels)")
    return 0


def _push_flagged(store, project) -> dict:
    from services import argilla
    from services.argilla.sync import linked_client

    project = store.get_project(project.id)
    with linked_client(store, project) as client:
        return argilla.push(store, project, client, only="flagged").to_dict()


def _audit(args, store) -> int:
    from services import audit

    project = store.get_project(args.name)
    if args.one_encoder and args.also_encoder:
        raise ValidationError("--one-encoder and --also-encoder contradict each other; drop one of them")
    if args.agreement:
        return _agreement(args, store, project)
    if args.push_argilla:
        from services.argilla.push import require_link

        require_link(store, project)  # before the audit runs, not after
    from workbench import api

    with ProgressBar(not args.json) as bar:
        report = api.connect(store.path).audit(project.name, source=args.source, folds=args.folds, seed=args.seed,
                                               refit=False if args.single_pass else None, weighted=not args.even_mix,
                                               **({"model": args.model} if args.model else {}),
                                               **({"encoder": args.encoder} if args.encoder else {}),
                                               also_encoders=[] if args.one_encoder else args.also_encoder,
                                               progress=bar)
    audit_id = report["audit_id"]
    if args.push_argilla:
        report["argilla"] = _push_flagged(store, project)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=1))
        return 0
    if args.push_argilla:
        print(f"pushed {report['argilla']['pushed']} flagged records to Argilla dataset {report['argilla']['dataset']!r}")
    meta = audit.get_audit(store, audit_id)
    s = meta["summary"]
    print(f"audit #{audit_id} of {project.name!r} ({args.source} labels, {meta['method']}): "
          f"{s['n_issues']} of {s['n_audited']} records flagged")
    if report["noise_rate"]:
        print("estimated noise rate: " + ", ".join(f"{k} {v:.1%}" for k, v in report["noise_rate"].items()))
    if report["duplicates"]:
        conflicts = sum(1 for d in report["duplicates"] if d["conflict"])
        print(f"near-duplicate groups: {len(report['duplicates'])} ({conflicts} with conflicting labels)")
    for issue in report["issues"][:args.top]:
        text = issue["text"].replace("\n", " ")
        text = text if len(text) <= 70 else text[:67] + "..."
        print(f"  {issue['quality']:.3f}  [{issue['external_id'] or issue['record_id']}] {text}")
        print(f"         {issue['reason']}")
    if len(report["issues"]) > args.top:
        print(f"  ... {len(report['issues']) - args.top} more; review them on the Audit page or use --json")
    return 0

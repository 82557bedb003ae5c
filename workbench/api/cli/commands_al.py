"""``simulate``, ``train`` and ``queue``: active learning from the shell.

The services are imported inside the handlers so that ``python -m workbench
--help`` stays instant and importing workbench never pulls services in.
"""

from __future__ import annotations

import json

from workbench.api.cli.terminal import ProgressBar, say

STRATEGY_HELP = "query strategy: random, least_confidence, margin, entropy, margin_diverse, margin_kcenter, ..."


def register(sub) -> None:
    sim = sub.add_parser("simulate", help="simulate active learning with the reference labels as annotator",
                         description="With none of --strategy, --adapter and --seeding: the project's own pipeline "
                                     "(the live cold-start queue, then its adapter and strategy). Naming any of them "
                                     "runs a comparison whose other parts are the yardstick's: a random seed set, "
                                     "margin, plain logreg.")
    sim.add_argument("name", help="project name")
    sim.add_argument("--strategy", default=None, help=STRATEGY_HELP + " (comparison default: margin)")
    sim.add_argument("--adapter", "--model", dest="adapter", default=None,
                     help="what is trained: hybrid, logreg, setfit, transformer, ner (comparison default: logreg; "
                          "--model is the older name)")
    sim.add_argument("--seeding", default=None,
                     help="the first labels: the live cold-start queue, or random (comparison default: random)")
    sim.add_argument("--seed-size", type=int, default=20, help="labels before the first model")
    sim.add_argument("--batch", type=int, default=20, help="labels per round")
    sim.add_argument("--budget", type=int, default=500, help="stop after this many labels")
    sim.add_argument("--seed", type=int, default=0)
    sim.add_argument("--test-split", type=float, default=0.25, help="held-out share (unless records have split=test)")
    sim.add_argument("--run", help="name of the curve (default sim:<strategy>:<adapter>:seed<seed>[:cold])")
    sim.add_argument("--no-full-pool", action="store_true", help="skip training on the whole pool")
    sim.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
    sim.set_defaults(func=_simulate)

    train = sub.add_parser("train", help="retrain a project's model on its current labels")
    train.add_argument("name")
    train.add_argument("--adapter", "--model", dest="adapter", help="what is trained (default: the project's setting)")
    train.add_argument("--strategy", help="query strategy for the new queue (default: the project's setting)")
    train.add_argument("--wait", action="store_true", help="run in the foreground and print the result")
    train.set_defaults(func=_train)

    queue = sub.add_parser("queue", help="show the next records the annotate queue will serve")
    queue.add_argument("name")
    queue.add_argument("--n", type=int, default=10)
    queue.add_argument("--annotator", default="cli")
    queue.add_argument("--json", action="store_true")
    queue.set_defaults(func=_queue)


def _simulate(args, store) -> int:
    from services.simulate import simulate

    def log(msg: str) -> None:
        if not args.json:
            say(msg)

    result = simulate(store, args.name, strategy=args.strategy, adapter=args.adapter, seeding=args.seeding,
                      seed_size=args.seed_size, batch=args.batch, budget=args.budget, seed=args.seed,
                      test_split=args.test_split, run=args.run, full_pool=not args.no_full_pool, log=log)
    if args.json:
        keys = ("curve", "full_pool", "run", "strategy", "adapter", "seeding", "model_encoder", "seed", "seconds")
        print(json.dumps({k: result[k] for k in keys}, indent=2))
        return 0
    metric = "accuracy" if "accuracy" in result["curve"][0] else "f1"
    reads = f" on {result['model_encoder']} vectors" if result["model_encoder"] else ""
    print(f"{result['run']}: {result['seeding']} seeding, {result['adapter']}{reads}, {result['strategy']} "
          f"({result['seconds']} s)")
    for p in result["curve"]:
        print(f"  {p['labels']:5d} labels  {metric} {p.get(metric) or 0:.4f}  train {p['train_seconds']:.2f} s")
    if result["full_pool"]:
        print(f"  full pool: {metric} {result['full_pool'].get(metric, 0):.4f}")
    return 0


def _train(args, store) -> int:
    from services import training
    project = store.get_project(args.name)
    if not args.wait:
        job_id = training.launch_process(store, project, adapter=args.adapter, strategy=args.strategy)
        print(f"training job {job_id} started in the background; follow it on the Active learning page "
              f"or run: python -m workbench train {project.name} --wait")
        return 0
    from workbench import api

    with ProgressBar() as bar:
        result = api.connect(store.path).train(project.name, wait=True, adapter=args.adapter, strategy=args.strategy,
                                               progress=bar)
    metrics = ", ".join(f"{k}={v:.4f}" for k, v in result["metrics"].items() if isinstance(v, float))
    print(f"model version {result['model_version_id']} ({result['adapter']}) trained on {result['n_labels']} labels "
          f"in {result['train_seconds']:.2f} s; {result['pool']} pool suggestions" + (f"; {metrics}" if metrics else ""))
    return 0


def _queue(args, store) -> int:
    from workbench.queue import queue_preview

    project = store.get_project(args.name)
    records = queue_preview(store, project, args.annotator, args.n)
    rows = []
    for rec in records:
        s = store.suggestion(project, rec.id)
        rows.append({"id": rec.id, "external_id": rec.external_id, "text": rec.text,
                     "suggestion": None if s is None else s["value"],
                     "uncertainty": None if s is None else s["uncertainty"]})
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    if not rows:
        print("the queue is empty: every record is labelled, skipped or excluded")
    for r in rows:
        u = "" if r["uncertainty"] is None else f"  u={r['uncertainty']:.3f}  suggests {r['suggestion']!r}"
        print(f"{r['id']}\t{r['text'][:80]!r}{u}")
    return 0

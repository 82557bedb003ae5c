"""Training-time benchmark of the fine-tuned adapters.

    python -m benchmarks.training [--device auto|cpu|cuda] [--sizes 64,256,1024]
        [--ner-sentences 500] [--models setfit,transformer,transformer-lora,ner]
        [--epochs 1] [--setfit-iterations 5] [--eval 0] [--threads 0] [--base-model minilm] [--json]

Times ``fit()`` (model load + training; not prediction) of ``setfit``,
``transformer`` with and without LoRA on N labelled Movie reviews snippets
(fresh vs rotten, ``data/samples/rotten_tomatoes.csv``) and ``ner`` on the
first N sentences of ``data/samples/wnut16.conll``. Without the sample files
(``python -m workbench samples fetch``) it falls back to synthetic sentences
and says so in the output. ``--eval M`` also reports accuracy / entity F1 on
M held-out examples. ``--base-model`` starts every adapter from another network: an alias or a local
folder (e.g. a half-precision copy of MiniLM small enough to carry to a GPU machine).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.data import movie_reviews, wnut_sentences
from workbench.config import DEFAULT_ENCODER, SAMPLES_DIR
from workbench.errors import WorkbenchError

MODELS = ("setfit", "transformer", "transformer-lora", "ner")


def load_reviews(path: Path, limit: int, seed: int = 0) -> tuple[list[str], list[str], str]:
    """Shuffled fresh/rotten snippets as (texts, labels, source description)."""
    texts, y, names = movie_reviews("binary", path, dedupe=False)
    rows = [(t, names[k]) for t, k in zip(texts, y)]
    random.Random(seed).shuffle(rows)
    rows = rows[:limit]
    return [t for t, _ in rows], [lab for _, lab in rows], f"{path} (fresh vs rotten)"


def load_conll(path: Path, limit: int) -> tuple[list[str], list[list[dict]], list[str], str]:
    """First ``limit`` WNUT-16 sentences as (texts, span lists, entity labels, source)."""
    texts, spans, labels = wnut_sentences(limit, path)
    return texts, spans, labels, f"{path} (WNUT-16)"


def _adapter_spec(model: str, args) -> tuple[str, dict[str, Any]]:
    base = {"device": args.device, "epochs": args.epochs, "batch_size": args.batch_size, "seed": args.seed,
            "base_model": args.base_model}
    if model == "setfit":
        return "setfit", {**base, "num_iterations": args.setfit_iterations}
    if model == "transformer-lora":
        return "transformer", {**base, "lora": True, "lr": args.lora_lr}
    return model, base


def run(args) -> dict[str, Any]:
    import torch

    from services.device import free_memory, precision, resolve_device
    from services.models import get_adapter

    device = resolve_device(args.device)
    if args.threads:
        torch.set_num_threads(args.threads)
    sizes = sorted(args.sizes)
    models = args.models
    n_reviews = max(sizes) + args.eval
    texts, labels, review_source = load_reviews(Path(args.data_dir) / "rotten_tomatoes.csv", n_reviews, args.seed)
    if len(texts) < max(sizes):
        raise WorkbenchError(f"only {len(texts)} reviews available; use --sizes up to {len(texts)}")
    ner_texts, ner_spans, ner_labels, ner_source = load_conll(Path(args.data_dir) / "wnut16.conll",
                                                              args.ner_sentences + args.eval)
    info = {"device": device, "device_name": torch.cuda.get_device_name(0) if device.startswith("cuda") else
            platform.processor() or platform.machine(), "precision": precision(device, True),
            "threads": torch.get_num_threads(), "cpu_count": os.cpu_count(), "torch": torch.__version__,
            "base_model": args.base_model, "epochs": args.epochs, "batch_size": args.batch_size,
            "setfit_iterations": args.setfit_iterations,
            "reviews": review_source, "ner_data": ner_source, "load_average": _loadavg()}
    rows: list[dict[str, Any]] = []

    if args.warmup:  # CUDA context, kernels and file cache, so the first timed row is not penalised
        get_adapter("transformer", "classification", ["fresh", "rotten"], device=args.device, epochs=1,
                    base_model=args.base_model).fit(
            texts[:16], labels[:16]).close()

    data = {"texts": texts, "labels": labels, "ner_texts": ner_texts, "ner_spans": ner_spans, "ner_labels": ner_labels}
    for model in models:
        name, config = _adapter_spec(model, args)
        for n in ([args.ner_sentences] if name == "ner" else sizes):
            adapter = get_adapter(name, "ner", ner_labels, **config) if name == "ner" else \
                get_adapter(name, "classification", ["fresh", "rotten"], **config)
            seconds, cpu, metric = _fit_and_score(adapter, name, n, max(sizes), args.eval, data)
            row = {"model": model, "n": n, "seconds": round(seconds, 2), "cpu_seconds": round(cpu, 1),
                   "examples_per_s": round(n * args.epochs / seconds, 1), "load_average": _loadavg(), **metric}
            rows.append(row)
            print(f"  {model:<17} n={n:<5} {seconds:8.2f} s  cpu {cpu:8.1f} s  {metric or ''}", file=sys.stderr,
                  flush=True)
            adapter.close()
            del adapter
            free_memory()  # each retrain starts from a clean GPU, as in the active-learning loop
    return {"info": info, "rows": rows}


def _fit_and_score(adapter, name: str, n: int, held_from: int, n_eval: int,
                   data: dict[str, Any]) -> tuple[float, float, dict[str, float]]:
    """Wall and CPU seconds of one fit on the first ``n`` examples, and its held-out metric.

    CPU seconds too: on a shared, loaded machine wall time overstates the cost.
    """
    from services.evaluation import ner_metrics

    ner = name == "ner"
    texts, targets = (data["ner_texts"], data["ner_spans"]) if ner else (data["texts"], data["labels"])
    cpu_start, start = time.process_time(), time.perf_counter()
    adapter.fit(texts[:n], targets[:n])
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    if not n_eval:
        return seconds, cpu, {}
    if ner:
        held = texts[n:n + n_eval]
        m = ner_metrics(held, targets[n:n + n_eval], adapter.predict_spans(held), data["ner_labels"])
        return seconds, cpu, {"entity_f1": round(m["f1"], 3)}
    held = texts[held_from:held_from + n_eval]
    pred = adapter.predict_proba(held).argmax(axis=1)
    gold = [0 if lab == "fresh" else 1 for lab in targets[held_from:held_from + n_eval]]
    return seconds, cpu, {"accuracy": round(float((pred == gold).mean()), 3)}


def _loadavg() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def format_table(result: dict[str, Any]) -> str:
    info = result["info"]
    lines = [f"device={info['device']} ({info['device_name']}), precision={info['precision']}, "
             f"base model={info['base_model']}, "
             f"threads={info['threads']}, epochs={info['epochs']}, batch={info['batch_size']}, setfit iterations={info['setfit_iterations']}",
             f"reviews: {info['reviews']}; ner: {info['ner_data']}; load average at start: {info['load_average']}",
             "", "| model | n | train s (wall) | CPU s | examples/s/epoch | held-out |", "| --- | ---: | ---: | ---: | ---: | --- |"]
    for r in result["rows"]:
        extra = ", ".join(f"{k}={r[k]}" for k in ("accuracy", "entity_f1") if k in r)
        lines.append(f"| {r['model']} | {r['n']} | {r['seconds']:.2f} | {r['cpu_seconds']} | {r['examples_per_s']} | {extra} |")
    return "\n".join(lines)


def _int_list(text: str) -> list[int]:
    try:
        values = [int(x) for x in text.split(",") if x.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from exc
    if not values or min(values) < 2:
        raise argparse.ArgumentTypeError("sizes must be integers >= 2")
    return values


def _models(text: str) -> list[str]:
    names = [x.strip() for x in text.split(",") if x.strip()]
    bad = [n for n in names if n not in MODELS]
    if bad or not names:
        raise argparse.ArgumentTypeError(f"unknown model(s) {bad}; valid: {', '.join(MODELS)}")
    return names


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.training", description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="auto", help="auto (default), cpu, cuda, cuda:N or mps")
    parser.add_argument("--sizes", type=_int_list, default=[64, 256, 1024], help="labelled examples, e.g. 64,256,1024")
    parser.add_argument("--ner-sentences", type=int, default=500)
    parser.add_argument("--models", type=_models, default=list(MODELS), help=f"subset of {','.join(MODELS)}")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--setfit-iterations", type=int, default=5)
    parser.add_argument("--lora-lr", type=float, default=5e-4, help="learning rate with LoRA (higher than full fine-tuning)")
    parser.add_argument("--eval", type=int, default=0, help="also score on this many held-out examples")
    parser.add_argument("--threads", type=int, default=0,
                        help="torch CPU threads (0 = torch's default); 1 is far faster on an oversubscribed machine")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--base-model", default=DEFAULT_ENCODER,
                        help="what the adapters fine-tune: an alias (minilm) or a local model folder")
    parser.add_argument("--data-dir", default=str(SAMPLES_DIR))
    parser.add_argument("--no-warmup", dest="warmup", action="store_false")
    parser.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        result = run(args)
    except WorkbenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result, indent=2) if args.json else format_table(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Markdown tables of a suite result and their place in the README (between marker comments)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np


def _cell(values, ref=None) -> str:
    v = np.asarray(values, dtype=float)
    text = f"{v.mean():.3f} ± {v.std():.3f}"
    if ref is None:
        return text
    d = v - np.asarray(ref, dtype=float)
    return f"{text} (Δ {d.mean():+.3f} ± {d.std():.3f}, {int((d > 0).sum())}/{len(d)})"


def render(result: dict, part: str, reference: str) -> str:
    """One row per data set and setting, one column per method; non-reference cells add the paired
    per-seed difference to ``reference`` (mean ± std) and how many seeds it won."""
    rows = result[part]
    # every method any data set ran, in first-seen order; a data set that did not run one gets "-"
    methods = list(dict.fromkeys(m for settings in rows.values() for by_method in settings.values()
                                 for m in by_method))
    head = ["data set (texts, classes)", "measure"] + [f"{m} (reference)" if m == reference else m
                                                      for m in methods]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, settings in rows.items():
        info = result["datasets"][name]
        for setting, by_method in settings.items():
            ref = by_method.get(reference)
            cells = [_cell(by_method[m], None if m == reference or ref is None else ref) if m in by_method else "-"
                     for m in methods]
            lines.append(f"| {name} ({info['n']:,}, {info['classes']}) | {setting} | " + " | ".join(cells) + " |")
    lines.append(f"\n{len(result['seeds'])} seeds ({', '.join(map(str, result['seeds']))}); "
                 "Δ = paired per-seed difference to the reference, then seeds won.")
    return "\n".join(lines)


def render_zero_shot(result: dict) -> str:
    """Zero-shot accuracy on every text of each data set beside the majority label's share."""
    lines = ["| data set | zero-shot accuracy | majority label | zero-shot better? |", "|---|---|---|---|"]
    for name, row in result["zeroshot"].items():
        lines.append(f"| {name} | {row['accuracy']:.3f} | {row['majority']:.3f} | "
                     f"{'yes' if row['accuracy'] > row['majority'] else 'no'} |")
    return "\n".join(lines)


def write_readme(path: Path, marker: str, table: str) -> None:
    """Replace the text between ``<!-- {marker}:start -->`` and ``<!-- {marker}:end -->`` with ``table``."""
    text = path.read_text(encoding="utf-8")
    start, end = f"<!-- {marker}:start -->", f"<!-- {marker}:end -->"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
    if not pattern.search(text):
        raise SystemExit(f"{path} has no {start} ... {end} block; add one where the table belongs")
    path.write_text(pattern.sub(lambda _: f"{start}\n{table}\n{end}", text), encoding="utf-8")

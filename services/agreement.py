"""Inter-annotator agreement, disagreements and CROWDLAB consensus.

Metrics take plain Python data; :func:`agreement_report`, :func:`disagreements`
and :func:`consensus` read each annotator's current label from the store.

- :func:`cohen_kappa` (two annotators, records both labelled; sklearn);
- :func:`fleiss_kappa` (item x category counts; unequal rater counts allowed);
- :func:`krippendorff_alpha` (nominal; missing ratings allowed);
- :func:`span_f1` (NER; exact (start, end, label) match, order-independent).
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np

from workbench.errors import ValidationError


def cohen_kappa(a: Sequence[Hashable], b: Sequence[Hashable]) -> float:
    """Cohen's kappa of two annotators over the same N items (1 = perfect, 0 = chance).

    Returns 1.0 when both used a single identical category throughout (no
    disagreement is possible to measure; sklearn would return NaN).
    """
    from sklearn.metrics import cohen_kappa_score

    if len(a) != len(b):
        raise ValidationError(f"cohen_kappa needs paired ratings; got {len(a)} and {len(b)}")
    if not a:
        raise ValidationError("cohen_kappa needs at least one item rated by both annotators")
    a, b = [_key(v) for v in a], [_key(v) for v in b]
    if len(set(a) | set(b)) == 1:
        return 1.0
    return float(cohen_kappa_score(a, b))


def fleiss_kappa(counts: np.ndarray) -> float:
    """Fleiss' kappa from an (N items, K categories) matrix of rating counts.

    Items rated by fewer than two raters are ignored; rater counts may differ
    per item (each item's observed agreement uses its own count).
    """
    counts = np.asarray(counts, dtype=float)
    if counts.ndim != 2:
        raise ValidationError(f"fleiss_kappa needs an (items, categories) matrix, got shape {counts.shape}")
    n_i = counts.sum(axis=1)
    keep = n_i >= 2
    if not keep.any():
        raise ValidationError("fleiss_kappa needs items rated by at least two raters")
    counts, n_i = counts[keep], n_i[keep]
    p_i = ((counts ** 2).sum(axis=1) - n_i) / (n_i * (n_i - 1))
    p_bar = p_i.mean()
    p_j = counts.sum(axis=0) / counts.sum()
    p_e = float((p_j ** 2).sum())
    if p_e >= 1.0:
        return 1.0
    return float((p_bar - p_e) / (1 - p_e))


def krippendorff_alpha(units: Sequence[Sequence[Hashable | None]]) -> float:
    """Krippendorff's alpha for nominal data.

    Parameters
    ----------
    units : one sequence of ratings per item (None = missing); items with
        fewer than two ratings are not pairable and are ignored.

    Uses the coincidence matrix: alpha = 1 - (n - 1) * sum_{c != k} o_ck /
    sum_{c != k} n_c n_k.
    """
    coincidence: dict[tuple[Any, Any], float] = defaultdict(float)
    for unit in units:
        values = [_key(v) for v in unit if v is not None]
        m = len(values)
        if m < 2:
            continue
        for i, j in itertools.permutations(range(m), 2):
            coincidence[(values[i], values[j])] += 1.0 / (m - 1)
    if not coincidence:
        raise ValidationError("krippendorff_alpha needs items rated by at least two raters")
    n_c: dict[Any, float] = defaultdict(float)
    for (c, _), v in coincidence.items():
        n_c[c] += v
    n = sum(n_c.values())
    observed = sum(v for (c, k), v in coincidence.items() if c != k)
    expected = sum(n_c[c] * n_c[k] for c in n_c for k in n_c if c != k)
    if expected == 0:
        return 1.0  # one category only: no disagreement possible
    return float(1 - (n - 1) * observed / expected)


def span_f1(a: Sequence[Sequence[dict[str, Any]]], b: Sequence[Sequence[dict[str, Any]]]) -> dict[str, float]:
    """Micro span-level precision / recall / F1 of annotator ``b`` against ``a`` over N texts.

    A span matches only with identical (start, end, label) character offsets;
    order within a text does not matter. F1 is symmetric in ``a`` and ``b``.
    """
    if len(a) != len(b):
        raise ValidationError(f"span_f1 needs paired texts; got {len(a)} and {len(b)}")
    tp = n_a = n_b = 0
    for sa, sb in zip(a, b):
        set_a = {(int(s["start"]), int(s["end"]), str(s["label"])) for s in sa}
        set_b = {(int(s["start"]), int(s["end"]), str(s["label"])) for s in sb}
        tp += len(set_a & set_b)
        n_a += len(set_a)
        n_b += len(set_b)
    precision = tp / n_b if n_b else 1.0
    recall = tp / n_a if n_a else 1.0
    f1 = 2 * tp / (n_a + n_b) if n_a + n_b else 1.0
    return {"precision": precision, "recall": recall, "f1": f1, "support": n_a}


def _key(value: Any) -> Hashable:
    """Hashable form of a label value (multilabel lists become sorted tuples)."""
    if isinstance(value, list):
        if value and isinstance(value[0], dict):
            return tuple(sorted((int(s["start"]), int(s["end"]), str(s["label"])) for s in value))
        return tuple(sorted(map(str, value)))
    return value


# ---------------------------------------------------------------------------
# store-level
# ---------------------------------------------------------------------------
def labels_by_record(store, project) -> dict[int, dict[str, Any]]:
    """record id -> {annotator: current label} for records with any live label."""
    out: dict[int, dict[str, Any]] = defaultdict(dict)
    for row in store.live_labels(project):
        out[row["record_id"]][row["annotator"]] = row["value"]
    return dict(out)


def agreement_report(store, project, *, by_record: dict[int, dict[str, Any]] | None = None) -> dict[str, Any]:
    """Agreement over records with two or more annotators (``by_record``: :func:`labels_by_record`, when
    the caller has it already).

    Returns
    -------
    dict
        ``n_records`` (with >= 2 annotators), ``annotators``, ``pairs`` (list of
        {a, b, n, kappa or f1}), and for classification / multilabel ``fleiss_kappa`` and
        ``krippendorff_alpha`` (None when fewer than two annotators overlap).
    """
    by_record = {r: v for r, v in (labels_by_record(store, project) if by_record is None else by_record).items()
                 if len(v) >= 2}
    annotators = sorted({a for v in by_record.values() for a in v})
    pairs = []
    for x, y in itertools.combinations(annotators, 2):
        shared = [v for v in by_record.values() if x in v and y in v]
        if not shared:
            continue
        if project.task == "ner":
            pairs.append({"a": x, "b": y, "n": len(shared),
                          "f1": span_f1([v[x] for v in shared], [v[y] for v in shared])["f1"]})
        else:
            pairs.append({"a": x, "b": y, "n": len(shared),
                          "kappa": cohen_kappa([v[x] for v in shared], [v[y] for v in shared])})
    out: dict[str, Any] = {"n_records": len(by_record), "annotators": annotators, "pairs": pairs,
                           "fleiss_kappa": None, "krippendorff_alpha": None}
    if by_record and project.task != "ner":
        units = [[_key(v) for v in ratings.values()] for ratings in by_record.values()]
        categories = sorted({c for u in units for c in u}, key=str)
        col = {c: i for i, c in enumerate(categories)}
        counts = np.zeros((len(units), len(categories)))
        for i, u in enumerate(units):
            for c in u:
                counts[i, col[c]] += 1
        out["fleiss_kappa"] = fleiss_kappa(counts)
        out["krippendorff_alpha"] = krippendorff_alpha(units)
    return out


def disagreements(store, project, limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
    """Records whose two or more annotators currently disagree, newest label first.

    Each item: ``record_id``, ``text``, ``labels`` ({annotator: value}).
    """
    rows = []
    for record_id, ratings in labels_by_record(store, project).items():
        if len(ratings) >= 2 and len({repr(_key(v)) for v in ratings.values()}) > 1:
            rows.append((record_id, ratings))
    rows.sort(key=lambda r: -r[0])
    page = rows[offset:offset + limit]
    records = {r.id: r for r in store.get_records([rid for rid, _ in page])}
    return [{"record_id": rid, "text": records[rid].text if rid in records else "", "labels": ratings}
            for rid, ratings in page]


def consensus(store, project, *, folds: int = 5, encoder: str = "minilm", seed: int = 0) -> dict[str, Any]:
    """CROWDLAB consensus labels and per-annotator quality (single-label classification).

    Out-of-fold probabilities come from the audit's embedding ensemble trained
    on the majority label of each record (never in-sample).

    Returns
    -------
    dict
        ``records``: [{record_id, consensus, quality, agreement}], ``annotators``:
        [{annotator, quality, agreement, n}] (best first).
    """
    import pandas as pd
    from cleanlab.multiannotator import get_label_quality_multiannotator

    from services.audit import oof_embedding_probabilities
    from services.embeddings import embed

    if project.task != "classification":
        raise ValidationError("CROWDLAB consensus supports single-label classification projects")
    by_record = labels_by_record(store, project)
    if len(by_record) < folds:
        raise ValidationError(f"consensus needs at least {folds} labelled records; found {len(by_record)}")
    record_ids = sorted(by_record)
    annotators = sorted({a for v in by_record.values() for a in v})
    if len(annotators) < 2:
        # CROWDLAB weighs annotators against each other; one person's labels are their own consensus
        raise ValidationError("CROWDLAB consensus needs labels from at least two annotators; "
                              f"found {len(annotators)}")
    index = {name: i for i, name in enumerate(project.labels)}
    matrix = pd.DataFrame(np.nan, index=range(len(record_ids)), columns=annotators)
    majority = np.zeros(len(record_ids), dtype=int)
    for i, rid in enumerate(record_ids):
        for a, v in by_record[rid].items():
            matrix.loc[i, a] = index[v]
        majority[i] = Counter(index[v] for v in by_record[rid].values()).most_common(1)[0][0]
    records = {r.id: r for r in store.get_records(record_ids)}
    X = embed([records[r].text for r in record_ids], encoder, store=store)  # (N, D)
    texts = [records[r].text for r in record_ids]
    probs = oof_embedding_probabilities(X, majority, len(project.labels), folds=folds, seed=seed, texts=texts)
    result = get_label_quality_multiannotator(matrix, probs, verbose=False)
    lq = result["label_quality"]
    stats = result["annotator_stats"]
    return {
        "records": [{"record_id": rid, "consensus": project.labels[int(lq["consensus_label"].iloc[i])],
                     "quality": float(lq["consensus_quality_score"].iloc[i]),
                     "agreement": float(lq["annotator_agreement"].iloc[i])} for i, rid in enumerate(record_ids)],
        "annotators": [{"annotator": str(name), "quality": float(row["annotator_quality"]),
                        "agreement": float(row["agreement_with_consensus"]), "n": int(row["num_examples_labeled"])}
                       for name, row in stats.iterrows()],
    }


def majority_labels(by_record: dict[int, dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """Plurality vote per record (ties: the label given first by annotator name order).

    Returns record id -> ``label``, ``agreement`` (share of annotators who gave it) and ``n``.
    """
    out = {}
    for rid, ratings in by_record.items():
        votes = Counter(_key(v) for v in ratings.values())
        top, count = votes.most_common(1)[0]
        value = next(v for _, v in sorted(ratings.items()) if _key(v) == top)
        out[rid] = {"label": value, "agreement": count / len(ratings), "n": len(ratings)}
    return out


def consensus_labels(store, project, **options: Any) -> dict[int, dict[str, Any]]:
    """The consensus label of every record people labelled: record id -> ``label``, ``agreement``, ``n``.

    Single-label classification uses CROWDLAB (:func:`consensus`; ``agreement`` is its annotator
    agreement) once there are enough labelled records for its out-of-fold model; otherwise, and for
    multi-label and NER, a plurality vote. The curated export uses it (``--source consensus``).
    """
    return team_consensus(store, project, **options)[0]


def export_consensus(store, project, source: str) -> dict[int, dict[str, Any]] | None:
    """What an export from label ``source`` needs: :func:`consensus_labels` for ``"consensus"``, else None
    (the exporter takes consensus labels for that source only). The API, the CLI and the Export page call it."""
    return consensus_labels(store, project) if source == "consensus" else None


def team_consensus(store, project, **options: Any) -> tuple[dict[int, dict[str, Any]], dict[str, float]]:
    """(:func:`consensus_labels`, annotator -> CROWDLAB quality) from one CROWDLAB fit; the quality is empty
    where the plurality vote stood in."""
    votes = majority_labels(labels_by_record(store, project))
    if project.task != "classification":
        return votes, {}
    try:
        result = consensus(store, project, **options)
    except ValidationError:
        return votes, {}
    labels = {row["record_id"]: {"label": row["consensus"], "agreement": row["agreement"],
                                 "n": votes[row["record_id"]]["n"]} for row in result["records"]}
    return labels, {a["annotator"]: a["quality"] for a in result["annotators"]}


def hashable(value: Any) -> Hashable:
    """A label value in a comparable, hashable form (multi-label lists and NER spans order-free)."""
    return _key(value)

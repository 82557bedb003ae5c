"""NER audits: out-of-fold tag probabilities per token, cleanlab token issues, suspicious tokens per record.

Tokens are :func:`workbench.text.tokenize`'s, the units annotators' spans snap to.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from services.audit.cleanlab_issues import ner_issues
from services.audit.config import AuditConfig
from services.audit.oof import AUDIT_MODELS, _full_columns, fold_assignment, oof_adapter_probabilities
from workbench.errors import ValidationError
from workbench.jobs import scaled
from workbench.text import bio_tags, spans_to_bio, tokenize
from workbench.types import ProgressFn


def audit_ner(store, project, items, config: AuditConfig, report: ProgressFn) -> dict[str, Any]:
    from services.explain import span_probabilities

    tag_names = bio_tags(project.labels)
    tag_index = {t: i for i, t in enumerate(tag_names)}
    tokens = [tokenize(rec.text) for rec, _ in items]
    token_labels = [[tag_index[t] for t in spans_to_bio(toks, value)[0]] for toks, (_, value) in zip(tokens, items)]
    strat = np.array([min(sum(1 for t in tl if t), 3) for tl in token_labels])  # entity count bucket
    if config.model in AUDIT_MODELS:
        probs = oof_token_probabilities(store, [t for t in tokens], [rec.text for rec, _ in items], token_labels,
                                        len(tag_names), folds=config.folds, seed=config.seed,
                                        encoder=config.encoder, progress=scaled(report, 0.1, 0.85))
    else:
        raw, adapter_tags = oof_adapter_probabilities(config.model, "ner", project.labels,
                                                      [rec.text for rec, _ in items], [v for _, v in items],
                                                      strat, folds=config.folds, seed=config.seed,
                                                      **config.adapter_config)
        probs = [_align_tags(np.asarray(p), adapter_tags, tag_names, len(t)) for p, t in zip(raw, tokens)]
    sentence_q, token_q, flagged = ner_issues(token_labels, probs)
    flagged_by_sentence: dict[int, list[int]] = {}
    for s, t in flagged:
        flagged_by_sentence.setdefault(s, []).append(t)
    rows = []
    for i, (rec, given) in enumerate(items):
        sug_spans = span_probabilities(tokens[i], probs[i], tag_names) if len(tokens[i]) else []
        suggested = [{"start": sp["start"], "end": sp["end"], "label": sp["label"]} for sp in sug_spans]
        bad = flagged_by_sentence.get(i, [])
        suspicious = [{"token": tokens[i][t][0], "start": tokens[i][t][1], "end": tokens[i][t][2],
                       "given": tag_names[token_labels[i][t]], "suggested": tag_names[int(np.argmax(probs[i][t]))],
                       "quality": float(token_q[i][t])} for t in bad]
        reason = "; ".join(f"'{s['token']}' tagged {s['given']}; model says {s['suggested']}" for s in suspicious[:3])
        rows.append({
            "record_id": rec.id, "issue_type": "tokens", "given": given, "suggested": suggested,
            "quality": float(sentence_q[i]), "is_issue": bool(bad),
            "details": {"suspicious_tokens": suspicious, "suggested_spans": sug_spans,
                        "token_quality": [round(float(q), 4) for q in token_q[i]],
                        "reason": reason or "no suspicious tokens", "external_id": rec.external_id},
        })
    counts: dict[str, int] = {}
    for r in rows:
        for s in r["details"]["suspicious_tokens"]:
            name = s["given"].split("-", 1)[-1]
            counts[name] = counts.get(name, 0) + 1
    summary = {"n_audited": len(rows), "n_issues": int(sum(r["is_issue"] for r in rows)),
               "n_token_issues": len(flagged), "issues_per_class": counts, "noise_rate": {}, "duplicates": []}
    return {"rows": rows, "summary": summary}


def _align_tags(p: np.ndarray, have: Sequence[str], want: Sequence[str], n_tokens: int) -> np.ndarray:
    """Reorder an adapter's (T, K') tag columns to ``want`` and check the token count."""
    if p.shape[0] != n_tokens:
        raise ValidationError(f"the NER model returned {p.shape[0]} token rows for a text of {n_tokens} words; "
                              "it must tag the tokens of workbench.text.tokenize")
    out = np.full((n_tokens, len(want)), 1e-6)
    for j, tag in enumerate(have):
        if tag in want:
            out[:, list(want).index(tag)] = p[:, j]
    return out / out.sum(axis=1, keepdims=True)


def token_features(texts: Sequence[str], tokens: Sequence[Sequence[tuple[str, int, int]]],
                   encoder: str = "minilm", batch_size: int = 32) -> list[np.ndarray]:
    """Contextual (T_i, D) word vectors: the encoder's sub-word states averaged per word.

    Uses the transformer body of the sentence-embedding model (offline
    packaged MiniLM by default, the same loaded instance as
    :func:`services.embeddings.embed`); heavy imports stay inside.
    """
    import torch

    from services.embeddings import load_encoder, torch_encoder

    # Reuse the process-wide sentence encoder (one model load for sentence and word vectors).
    body = load_encoder(torch_encoder(encoder))[0]
    tok, model = body.tokenizer, body.auto_model
    model.eval()
    device = next(model.parameters()).device
    out: list[np.ndarray] = []
    with torch.no_grad():
        for start in range(0, len(texts), batch_size):
            chunk = list(texts[start:start + batch_size])
            enc = tok(chunk, return_tensors="pt", padding=True, truncation=True, max_length=128,
                      return_offsets_mapping=True)
            offsets = enc.pop("offset_mapping").numpy()
            enc = {key: v.to(device) for key, v in enc.items()}
            hidden = model(**enc).last_hidden_state.float().cpu().numpy()
            for b, text_tokens in enumerate(tokens[start:start + batch_size]):
                vecs = np.zeros((len(text_tokens), hidden.shape[-1]), dtype=np.float32)
                for t, (_, s, e) in enumerate(text_tokens):
                    sel = (offsets[b, :, 1] > s) & (offsets[b, :, 0] < e) & (offsets[b, :, 1] > offsets[b, :, 0])
                    if sel.any():
                        vecs[t] = hidden[b, sel].mean(axis=0)
                out.append(vecs)
    return out


def oof_token_probabilities(store, tokens, texts, token_labels, k: int, *, folds: int = 5, seed: int = 0,
                            encoder: str = "minilm", progress: ProgressFn | None = None,
                            features: list[np.ndarray] | None = None) -> list[np.ndarray]:
    """Out-of-fold (T_i, K) tag probabilities from a logistic regression on contextual word vectors.

    Folds are over sentences (all tokens of a sentence are left out together).
    """
    from sklearn.linear_model import LogisticRegression

    feats = features if features is not None else token_features(texts, tokens, encoder)
    strat = np.array([min(sum(1 for t in tl if t), 3) for tl in token_labels])
    assignment = fold_assignment(strat, folds, seed)
    lengths = np.array([len(t) for t in token_labels])
    sent_of_token = np.repeat(np.arange(len(token_labels)), lengths)
    Xt = np.concatenate([f for f in feats if len(f)]) if lengths.sum() else np.zeros((0, 1))
    yt = np.concatenate([np.asarray(t, dtype=int) for t in token_labels if len(t)]) if lengths.sum() else np.zeros(0)
    probs_flat = np.zeros((len(yt), k))
    for f in range(folds):
        test_tok = assignment[sent_of_token] == f
        clf = LogisticRegression(C=1.0, max_iter=300)
        clf.fit(Xt[~test_tok], yt[~test_tok])
        probs_flat[test_tok] = _full_columns(clf.predict_proba(Xt[test_tok]), clf.classes_, k)
        if progress:
            progress((f + 1) / folds, f"fold {f + 1}/{folds}")
    out, pos = [], 0
    for n in lengths:
        out.append(probs_flat[pos:pos + n])
        pos += n
    return out

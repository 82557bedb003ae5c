"""Audit: find likely label errors, review them with the keyboard, measure agreement."""

from __future__ import annotations

import functools

import altair as alt
import streamlit as st

from pages.ui import auth, charts, components, explanations, loaders, state
from pages.ui.annotate_panel import project_keys
from pages.ui.help import HELP_KEY, audit_shortcuts, help_overlay, request_help
from pages.ui.history import record_history
from pages.ui.job_panel import ended_job_id, job_panel
from pages.ui.keys_component import label_keys
from pages.ui.state import AUDIT_NOTICE as NOTICE
from pages.ui.state import AUDIT_OFFSET as OFFSET
from services import agreement
from services import audit as audit_service
from services.embeddings import ENCODER_CHOICES
from services.models import adapters_for
from workbench.errors import WorkbenchError

DECISION_KEYS = {"k": "keep", "a": "ambiguous", "x": "exclude"}

loaders.require_router()
auth.require_page("audit")
st.title("Audit")


def _decide(project_id: int, issue_id: int, decision: str, value=None) -> None:
    annotator = loaders.annotator_name()
    with loaders.ui_store() as s:
        try:
            project = s.get_project(project_id)
            auth.require(s, "audit", project)
            audit_service.decide(s, project, issue_id, annotator, decision, value)
        except WorkbenchError as exc:
            st.session_state[NOTICE] = ("error", str(exc))
            return
    st.session_state[NOTICE] = ("success", f"Saved: {decision}" + (f" → {components.value_text(value)}"
                                                                   if decision == "relabel" else ""))


def _press(project_id: int, audit_id: int, key: str) -> None:
    """One key press on the review queue, applied to the issue on screen now (an earlier press moved on)."""
    offset = st.session_state.get(OFFSET, 0)
    if key == HELP_KEY:
        return request_help("audit")
    if key == "l":
        st.session_state[OFFSET] = offset + 1
        return
    with loaders.ui_store() as s:
        page = audit_service.issues(s, audit_id, undecided_only=True, limit=1, offset=offset)
        project = s.get_project(project_id)
    if not page:
        return
    issue = page[0]
    if key in DECISION_KEYS:
        return _decide(project_id, issue["id"], DECISION_KEYS[key])
    if key == "Enter":
        return _decide(project_id, issue["id"], "relabel", issue["suggested"])
    label = {k: name for name, k in project_keys(project).items()}.get(key)
    if label is not None and project.task == "classification":
        _decide(project_id, issue["id"], "relabel", label)


def _start(project_id: int, source: str, folds: int, model: str, encoder: str) -> None:
    from services.embeddings import resolve_model

    also = [e for e in st.session_state.get(state.AUDIT_ALSO_ENCODERS, []) if e != encoder]
    with loaders.ui_store() as s:
        try:
            if not audit_service.ensemble_applies(s.get_project(project_id).task, model):
                also = []  # the ensemble mixes embedding models' views (the box's help says so)
            config = audit_service.AuditConfig(source=source, folds=folds, model=model, encoder=encoder,
                                               also_encoders=also)
            for name in (encoder, *also):
                resolve_model(name)  # not fetched: said here, before a job starts
            project = s.get_project(project_id)
            auth.require(s, "audit", project)
            audit_service.start_audit(s, project, config)
        except WorkbenchError as exc:
            st.session_state[NOTICE] = ("error", str(exc))


def _push_flagged(project_id: int) -> None:
    from services import argilla
    from services.argilla.sync import linked_client

    with loaders.ui_store() as s:
        try:
            project = s.get_project(project_id)
            auth.require(s, "audit", project)
            with linked_client(s, project) as client:
                settings = client.settings
            argilla.start_push(s, project, settings, only="flagged")
        except WorkbenchError as exc:
            st.session_state[NOTICE] = ("error", str(exc))
            return
    st.session_state[NOTICE] = ("success", "Sending the open flagged records to Argilla, lowest label quality first "
                                           "(progress on the Argilla page); pull there to bring the fixes back.")


with loaders.ui_store() as store:
    project = loaders.require_project(store)
    components.show_notice(NOTICE)
    with st.expander("Run a new audit", expanded=audit_service.latest_audit(store, project) is None):
        c1, c2, c3, c4 = st.columns(4)
        source = c1.selectbox("Labels to audit", audit_service.AUDIT_SOURCES, key=state.AUDIT_SOURCE,
                              help="annotations: current human labels; reference: labels imported with the data")
        folds = c2.number_input("Folds", min_value=2, max_value=20, value=5, key=state.AUDIT_FOLDS)
        audit_models = audit_service.AUDIT_MODELS.names()
        model = c3.selectbox("Model", [*audit_models, *adapters_for(project.task)],
                             index=audit_models.index(audit_service.DEFAULT_MODEL),
                             key=state.AUDIT_MODEL, help=f"{' / '.join(audit_models)} work on cached embeddings (fast); "
                                                     "adapters retrain a model per fold (slow on CPU)")
        encoder = c4.selectbox("Encoder", ENCODER_CHOICES, index=ENCODER_CHOICES.index(audit_service.DEFAULT_ENCODER),
                               key=state.AUDIT_ENCODER,
                               help="the sentence vectors the audit models read; mpnet (fetch it once: python -m "
                                    "workbench models fetch mpnet) finds more of the wrong labels on some data "
                                    "sets but encodes 6-14x slower on CPU (see the README's benchmarks)")
        if project.task != "ner":
            st.multiselect("Also mix in", ENCODER_CHOICES, key=state.AUDIT_ALSO_ENCODERS,
                           default=audit_service.recommended_also_encoders(audit_service.DEFAULT_ENCODER, project.task,
                                                                           audit_service.DEFAULT_MODEL),
                           help="an ensemble across encoders: the model's regression on each chosen encoder's "
                                "vectors joins its mix, and its kNN reads the last one's (logreg, hybrid, knn and "
                                "ensemble only; adapters ignore it; the main encoder itself is skipped). mpnet is "
                                "chosen when it is fetched: it found more wrong labels on every benchmark data set "
                                "(README)")
        st.button("Run audit", key=state.AUDIT_RUN, type="primary", on_click=_start,
                  args=(project.id, source, int(folds), model, encoder))
    job_panel(project.id, audit_service.JOB_KIND, "Audit", ended_job_id(store, project, audit_service.JOB_KIND))
    latest = audit_service.latest_audit(store, project)
    if latest is None:
        st.info("No audit yet. Run one above: it flags records whose label disagrees with an out-of-fold model.")
        st.stop()
    counts = audit_service.summary(store, latest["id"])
    summary = latest["summary"]
    review, summary_tab, disagree = st.tabs(["Review queue", "Summary", "Disagreements"])

    with review:
        m1, m2, m3 = st.columns(3)
        m1.metric("Audited", f"{counts['audited']:,}")
        m2.metric("Flagged", f"{counts['flagged']:,}")
        m3.metric("Reviewed", f"{counts['decided']:,}")
        st.caption(f"Audit #{latest['id']} of {latest['source']} labels · {latest['method']} · "
                   f"{latest['created_at'][:16]} UTC")
        if store.argilla_link(project) is not None:
            st.button("Fix the flagged records in Argilla", key=state.AUDIT_PUSH_ARGILLA,
                      help="push the open flagged records with the given label as suggestion; pulling the "
                           "responses decides their issues", on_click=_push_flagged, args=(project.id,))
        offset = st.session_state.get(OFFSET, 0)
        page = audit_service.issues(store, latest["id"], undecided_only=True, limit=1, offset=offset)
        if not page and offset:
            st.session_state[OFFSET] = offset = 0
            page = audit_service.issues(store, latest["id"], undecided_only=True, limit=1)
        if not page:
            st.success("Every flagged record has been reviewed.")
        else:
            issue = page[0]
            # one listener for every key, mounted before the record shows (a focused widget, e.g. "Explain
            # words", never swallows them)
            keys = project_keys(project)
            label_keys([*DECISION_KEYS, "l", HELP_KEY, *(keys.values() if project.task == "classification" else ["Enter"])],
                       functools.partial(_press, project.id, latest["id"]), key=state.AUDIT_KEYS)
            record = store.get_record(issue["record_id"])
            details = issue["details"]
            st.subheader(f"Label quality {issue['quality']:.3f}")
            if store.bulk_labelled([record.id]):
                st.caption("Bulk label: this label was given to a whole selection on the Explore map; bulk labels "
                           "are reviewed first.")
            st.caption(components.md(details.get("reason", "")))
            components.record_text(record.text)
            g1, g2 = st.columns(2)
            g1.markdown("**Given:** " + components.literal_html(components.value_text(issue["given"])),
                        unsafe_allow_html=True)
            line = explanations.probs_line(details.get("probs"), project.labels)
            g2.markdown("**Suggested:** " + components.literal_html(components.value_text(issue["suggested"]))
                        + (f" <small>({components.literal_html(line)})</small>" if line else ""),
                        unsafe_allow_html=True)
            if project.task == "ner":
                spans = details.get("suggested_spans") or []
                st.markdown(explanations.spans_html(record.text, spans), unsafe_allow_html=True)
                bad = details.get("suspicious_tokens") or []
                if bad:
                    st.dataframe(bad, hide_index=True)
            if details.get("neighbours"):
                st.markdown(explanations.neighbours_html(details["neighbours"]), unsafe_allow_html=True)
            dups = details.get("duplicates") or []
            if dups:
                texts = audit_service.record_texts(store, dups)
                st.caption(f"Near-duplicates ({len(dups)}):")
                for rid in dups[:5]:
                    st.text(components.snippet(texts.get(rid, ""), 160))
            explanations.render_word_attributions(store, project, record)
            with st.expander("History and comments"):
                record_history(store, project, record.id, team=True, viewer=loaders.annotator_name(), where="audit")
            a1, a2, a3, a4 = st.columns(4)
            a1.button("Keep (k)", key=state.AUDIT_KEEP, width="stretch",
                      on_click=_decide, args=(project.id, issue["id"], "keep"))
            a2.button("Ambiguous (a)", key=state.AUDIT_AMBIGUOUS, width="stretch",
                      on_click=_decide, args=(project.id, issue["id"], "ambiguous"))
            a3.button("Exclude (x)", key=state.AUDIT_EXCLUDE, width="stretch",
                      on_click=_decide, args=(project.id, issue["id"], "exclude"))
            a4.button("Later (l)", key=state.AUDIT_LATER, width="stretch",
                      on_click=lambda: st.session_state.__setitem__(OFFSET, offset + 1))
            if project.task == "classification":
                st.caption("Relabel:")
                cols = st.columns(min(len(project.labels), 6))
                for i, label in enumerate(project.labels):
                    cols[i % len(cols)].button(
                        components.md(label + (f" ({keys[label]})" if label in keys else "")),
                        key=state.page_key(state.AUDIT_RELABEL, i), width="stretch",
                        type="primary" if label == issue["suggested"] else "secondary",
                        on_click=_decide, args=(project.id, issue["id"], "relabel", label))
            else:
                st.button("Accept suggestion (Enter)", key=state.AUDIT_ACCEPT, type="primary",
                          on_click=_decide, args=(project.id, issue["id"], "relabel", issue["suggested"]))
            help_overlay("audit", "Audit review queue", audit_shortcuts(project))

    with summary_tab:
        per_class = [{"label": k, "issues": v} for k, v in (summary.get("issues_per_class") or {}).items()]
        noise = [{"label": k, "noise rate": v} for k, v in (summary.get("noise_rate") or {}).items()]
        confusion = audit_service.issue_confusion(store, latest["id"])
        st.subheader("Flagged issues per given label")
        if per_class:
            st.altair_chart(alt.Chart(alt.Data(values=per_class)).mark_bar().encode(
                x=alt.X("issues:Q", axis=charts.count_axis("flagged records")),
                y=alt.Y("label:N", sort="-x", title=None, axis=alt.Axis(labelLimit=0)),
                color=alt.Color("label:N", scale=charts.label_scale(project.labels), legend=None),
                tooltip=["label:N", "issues:Q"]), width="stretch")
        else:
            st.caption("Nothing flagged.")
        if noise:
            st.subheader("Estimated noise rate per class")
            st.altair_chart(alt.Chart(alt.Data(values=noise)).mark_bar().encode(
                x=alt.X("noise rate:Q", axis=alt.Axis(format="%")),
                y=alt.Y("label:N", title=None, axis=alt.Axis(labelLimit=0)),
                color=alt.Color("label:N", scale=charts.label_scale(project.labels), legend=None),
                tooltip=["label:N", alt.Tooltip("noise rate:Q", format=".1%")]), width="stretch")
        if confusion:
            st.subheader("Given vs suggested (flagged)")
            st.altair_chart(charts.heatmap(confusion, "suggested", "given", "count", x_title="suggested by the audit",
                                           y_title="given label"), width="stretch")
        if summary.get("overlapping_classes"):
            st.caption("Most overlapping classes: " + "; ".join(
                f"{components.md(a)} ↔ {components.md(b)} ({p:.1%})" for a, b, p in summary["overlapping_classes"]))
        if summary.get("duplicates"):
            conflicts = sum(1 for d in summary["duplicates"] if d["conflict"])
            st.caption(f"{len(summary['duplicates'])} near-duplicate groups, {conflicts} with conflicting labels.")

    with disagree:
        report = agreement.agreement_report(store, project)
        if report["n_records"] == 0:
            st.info("No record has two or more annotators yet.")
        else:
            d1, d2, d3 = st.columns(3)
            d1.metric("Records with ≥ 2 annotators", report["n_records"])
            if report["fleiss_kappa"] is not None:
                d2.metric("Fleiss' kappa", f"{report['fleiss_kappa']:.2f}")
                d3.metric("Krippendorff's alpha", f"{report['krippendorff_alpha']:.2f}")
            if report["pairs"]:
                st.dataframe(report["pairs"], hide_index=True)
            rows = agreement.disagreements(store, project, limit=50)
            st.subheader(f"Disagreements ({len(rows)})")
            st.dataframe([{"record": r["record_id"], "text": components.snippet(r["text"], 100),
                           **{a: components.value_text(v) for a, v in r["labels"].items()}} for r in rows],
                         hide_index=True)

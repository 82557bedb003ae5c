"""One record's decision history (who, what, when, kind, source) and its comments and "unsure" flags:
shown on Annotate, Browse and Audit."""

from __future__ import annotations

import streamlit as st

from pages.ui import components, loaders, state
from workbench.errors import WorkbenchError

KIND_WORDS = {"label": "label", "relabel": "relabel", "skip": "skip", "retract": "undo", "review": "review",
              "keep": "audit: keep", "ambiguous": "audit: ambiguous", "exclude": "audit: exclude"}


def history_rows(store, record_id: int, viewer: str | None = None) -> list[dict]:
    """The decision history as table rows, oldest first; ``viewer`` set: only that person's own rows."""
    history = store.history(record_id)
    undone = {a.target_id for a in history if a.kind == "retract"}
    rows = []
    for a in history:
        if viewer is not None and a.annotator != viewer:
            continue
        notes = [n for n, on in (("undone", a.id in undone), ("stale: someone labelled it first", a.stale),
                                 ("bulk label", a.bulk_id is not None)) if on]
        rows.append({"when (UTC)": a.created_at[:19].replace("T", " "), "who": a.annotator,
                     "kind": KIND_WORDS.get(a.kind, a.kind),
                     "value": "" if a.kind in ("skip", "retract") else components.value_text(a.value),
                     "source": a.source, "note": ", ".join(notes)})
    return rows


def _comment(project_id: int, record_id: int, form_key: str) -> None:
    ss = st.session_state
    body_key, unsure_key = state.page_key(form_key, "body"), state.page_key(form_key, "unsure")
    body, unsure = ss.get(body_key) or "", bool(ss.get(unsure_key))
    try:
        with loaders.ui_store() as store:
            store.add_comment(store.get_project(project_id), record_id, loaders.annotator_name(), body, unsure=unsure)
    except WorkbenchError as exc:
        ss[state.HISTORY_NOTICE] = ("error", str(exc))
        return
    ss[state.HISTORY_NOTICE] = ("success", "Flagged as unsure; a reviewer will see it." if unsure else "Comment saved.")
    ss.pop(body_key, None)


def _resolve(record_id: int) -> None:
    with loaders.ui_store() as store:
        n = store.resolve_flags(record_id, loaders.annotator_name())
    st.session_state[state.HISTORY_NOTICE] = ("success", f"Resolved {n} flag(s).")


def record_history(store, project, record_id: int, *, team: bool, viewer: str, where: str = "history") -> None:
    """The history table, the comments and a comment / "unsure" form for one record.

    ``team`` (reviewers, admins) see everyone's rows and comments and can resolve flags; annotators see
    only their own (people label independently). ``where`` keeps widget keys apart per page.
    """
    components.show_notice(state.HISTORY_NOTICE)
    rows = history_rows(store, record_id, None if team else viewer)
    if rows:
        st.dataframe(rows, hide_index=True, width="stretch")
    else:
        st.caption("No decisions on this record yet." if team else "You have made no decision on this record yet.")
    comments = [c for c in store.comments(record_id) if team or c["author"] == viewer]
    for c in comments:
        flag = "" if not c["unsure"] else (" · ✔ resolved by " + components.md(c["resolved_by"]) if c["resolved_at"]
                                           else " · ⚑ unsure (open)")
        st.markdown(f"**{components.md(c['author'])}** <small>{c['created_at'][:16].replace('T', ' ')} UTC{flag}</small>"
                    f"<br>{components.md(c['body'])}", unsafe_allow_html=True)
    form_key = state.page_key(state.HISTORY_FORM, where, record_id)
    with st.form(form_key, clear_on_submit=True):
        st.text_area("Comment", key=state.page_key(form_key, "body"), height=68,
                     placeholder="What is unclear about this record?")
        st.checkbox("Flag as unsure (reviewers can filter for it)", key=state.page_key(form_key, "unsure"))
        st.form_submit_button("Save comment", on_click=_comment, args=(project.id, record_id, form_key))
    if team and any(c["unsure"] and not c["resolved_at"] for c in comments):
        st.button("Resolve the open flags", key=state.page_key(state.HISTORY_RESOLVE, where, record_id),
                  on_click=_resolve, args=(record_id,))

"""Browse: full-text search and filters over a project's records, one page at a time."""

from __future__ import annotations

import streamlit as st

from pages.ui import auth, components, loaders, state
from pages.ui.history import record_history
from workbench.browse import STATUSES, BrowseFilter, annotator_names, browse
from workbench.errors import WorkbenchError

ANY = "(any)"
PAGE_SIZE = 25


def _open(record_id: int) -> None:
    st.session_state[state.ANNOTATE_OPEN] = record_id


def _reset_page() -> None:
    st.session_state[state.BROWSE_PAGE] = 1


loaders.require_router()
st.title("Browse")
user = auth.current_user()
team = user.can("team")  # annotators see only their own labels: the filter is locked to them
with loaders.ui_store() as store:
    project = loaders.require_project(store)
    c1, c2, c3, c4 = st.columns([3, 1, 1, 1])
    text = c1.text_input("Search text", key=state.BROWSE_TEXT, on_change=_reset_page,
                         placeholder="words (all must appear); film* for prefixes")
    label = c2.selectbox("Label", [ANY, *project.labels], key=state.BROWSE_LABEL, on_change=_reset_page)
    annotator = c3.selectbox("Annotator", [ANY, *annotator_names(store, project)] if team else [user.username],
                             key=state.BROWSE_ANNOTATOR, on_change=_reset_page,
                             help=None if team else "Your role sees the records you labelled")
    status = c4.selectbox("Status", [ANY, *STATUSES], key=state.BROWSE_STATUS, on_change=_reset_page)
    selection = st.session_state.get(state.BROWSE_SELECTION)  # records selected on the Explore map
    if selection:
        s1, s2 = st.columns([4, 1])
        s1.info(f"Showing the {len(selection):,} records selected on the Explore map.")
        s2.button("Show all records", key=state.BROWSE_SELECTION_CLEAR,
                  on_click=lambda: (st.session_state.pop(state.BROWSE_SELECTION, None), _reset_page()))
    c1, c2, c3 = st.columns([2, 2, 1])
    score = quality = None
    flagged = team and c3.toggle("Unsure flags only", key=state.BROWSE_FLAGGED, on_change=_reset_page,
                                 help="records an annotator flagged as unsure (open flags)")
    if team and project.active_model_version is not None:
        score = c1.slider("Model confidence", 0.0, 1.0, (0.0, 1.0), step=0.05, key=state.BROWSE_SCORE,
                          on_change=_reset_page)
    if team and store.latest_audit_id(project) is not None:
        quality = c2.slider("Audit label quality at most", 0.0, 1.0, 1.0, step=0.05, key=state.BROWSE_QUALITY,
                            on_change=_reset_page)
    try:
        filters = BrowseFilter(
            text=text, label=None if label == ANY else label, annotator=None if annotator == ANY else annotator,
            status=None if status == ANY else status,
            score_min=score[0] if score and score[0] > 0 else None,
            score_max=score[1] if score and score[1] < 1 else None,
            quality_max=quality if quality is not None and quality < 1 else None,
            record_ids=tuple(selection) if selection else None, flagged=bool(flagged))
        page_no = st.session_state.get(state.BROWSE_PAGE, 1)
        result = browse(store, project, filters, page=page_no, page_size=PAGE_SIZE)
        own = {} if team else store.own_labels(project, user.username, [r["id"] for r in result.rows])
        flags = store.open_flags(project, [r["id"] for r in result.rows]) if team else {}
    except WorkbenchError as exc:
        components.message("error", exc)
        st.stop()

st.caption(f"{result.total:,} records · page {result.page} of {result.pages} · pick a row to open it or see "
           "its history")
rows = [{"id": str(row["external_id"] or row["id"]), "text": components.snippet(row["text"], 140),
         "label": ("excluded · " if row["excluded"] else "")
         + (components.value_text(label) if (label := row["label"] if team else own.get(row["id"])) is not None
            else row["status"]),
         "suggestion": "" if row["suggested"] is None else components.value_text(row["suggested"])
         + ("" if row["score"] is None else f" ({row['score']:.2f})"),
         "quality": None if row["quality"] is None or not team else round(row["quality"], 2),
         "flag": flags.get(row["id"], "")} for row in result.rows]
# one table with named columns (readable on a phone, scrolls sideways); a row is picked, not a squeezed button
event = st.dataframe(rows, hide_index=True, width="stretch", on_select="rerun", selection_mode="single-row",
                     key=state.page_key(state.BROWSE_TABLE, result.page), column_config={
                         "text": st.column_config.TextColumn("text", width="large"),
                         "quality": st.column_config.NumberColumn("audit quality", format="%.2f"),
                         "flag": st.column_config.TextColumn("flag", help="annotators' 'unsure' flags")})
picked = (event.selection.rows if event is not None else []) or []
if picked and picked[0] < len(result.rows):
    chosen = result.rows[picked[0]]
    with st.container(border=True):
        st.caption("Selected: " + components.md(components.snippet(chosen["text"], 200)))
        if st.button("Open on the Annotate page", key=state.BROWSE_OPEN, icon=":material/edit:", type="primary",
                     on_click=_open, args=(chosen["id"],)):
            st.switch_page("pages/annotate.py")
        with loaders.ui_store() as store:
            record_history(store, project, chosen["id"], team=team, viewer=user.username)

p1, p2, _ = st.columns([1, 1, 6])
if p1.button("◀ Previous", disabled=result.page <= 1, key=state.BROWSE_PREV):
    st.session_state[state.BROWSE_PAGE] = result.page - 1
    st.rerun()
if p2.button("Next ▶", disabled=result.page >= result.pages, key=state.BROWSE_NEXT):
    st.session_state[state.BROWSE_PAGE] = result.page + 1
    st.rerun()

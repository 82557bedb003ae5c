"""Explore: a map of the data set (UMAP of the cached sentence vectors), topic clusters with keywords,
and actions on a selection: open in Browse, label these next, bulk label."""

from __future__ import annotations

import random

import altair as alt
import streamlit as st

from pages.ui import auth, components, loaders, state
from services import explore
from workbench.errors import WorkbenchError
from workbench.keymap import label_colours
from workbench.store import Store

#: above this many points the chart draws a seeded sample (the cluster table still counts every record)
MAX_DRAWN = 50_000
TOOLTIP_CHARS = 160
COLOURS = {"cluster": "cluster:N", "human label": "label:N", "model prediction": "predicted:N",
           "uncertainty": "uncertainty:Q", "audit label quality": "quality:Q", "split": "split:N",
           "annotator": "annotator:N", "status": "status:N"}

loaders.require_router()
auth.require_page("audit")
st.title("Explore")
st.caption("A map of the records: near points have similar sentence vectors. Select with a box (drag) or by "
           "clicking points, or pick clusters in the table, then act on the selection.")


def _notice(level: str, text: str) -> None:
    st.session_state[state.EXPLORE_NOTICE] = (level, text)


def _build(project_id: int, force: bool) -> None:
    try:
        with loaders.ui_store() as store:
            project = store.get_project(project_id)
            auth.require(store, "audit", project)
            explore.start_map(store, project, force=force)
    except WorkbenchError as exc:
        _notice("error", str(exc))


def _act(project_id: int, action: str, ids: list[int], map_id: int) -> None:
    ss = st.session_state
    try:
        with loaders.ui_store() as store:
            project = store.get_project(project_id)
            if action == "bulk":
                user = auth.require(store, "review", project)
                value = ss.get(state.EXPLORE_BULK_LABEL)
                store.bulk_label(project, ids, user.username, value)
                _notice("success", f"Labelled {len(ids):,} records {value!r} as one bulk action (Undo takes it back).")
            elif action == "undo":
                user = auth.require(store, "review", project)
                undone = store.undo_last(project, user.username)
                _notice("success" if undone else "info", "Undone." if undone else "Nothing to undo.")
            elif action == "next":
                auth.require(store, "settings", project)
                n = store.prioritise(project, ids, reason="explore selection")
                _notice("success", f"{n:,} records are now first in everyone's annotate queue.")
            elif action == "representatives":
                auth.require(store, "settings", project)
                n = explore.queue_representatives(store, project, map_id)
                _notice("success", f"One representative of each of {n} clusters is now first in the annotate queue.")
    except WorkbenchError as exc:
        _notice("error", str(exc))
    ss.pop(state.EXPLORE_BULK_CONFIRM, None)


@st.fragment(run_every=1)
def _job(project_id: int, shown_map: int | None) -> None:
    with loaders.ui_store() as store:
        job = store.latest_job(store.get_project(project_id), explore.JOB_KIND)
        latest = store.latest_map(store.get_project(project_id))
    if job is not None and Store.job_active(job):
        st.progress(job["progress"], text=f"Building the map: {job['message'] or job['status']}")
    elif job is not None and job["status"] == "failed":
        components.message("error", f"The last map build failed: {job['error']}")
    if latest is not None and latest["id"] != shown_map and not (job and Store.job_active(job)):
        st.rerun()  # a new map is ready: redraw the page with it


def _point_rows(points: list[dict]) -> list[dict]:
    rows = []
    for p in points:
        rows.append({"record_id": p["record_id"], "x": p["x"], "y": p["y"],
                     "cluster": "unclustered" if p["cluster"] == explore.NOISE else str(p["cluster"]),
                     "label": components.value_text(p["label"]) if p["label"] is not None else "(none)",
                     "predicted": components.value_text(p["predicted"]) if p["predicted"] is not None else "(none)",
                     "uncertainty": p["uncertainty"], "quality": p["quality"], "split": p["split"] or "(none)",
                     "annotator": ", ".join(p["annotators"]) or "(none)", "status": p["status"],
                     "text": components.snippet(p["text"], TOOLTIP_CHARS)})
    return rows


def _scale(colour: str, labels: list[str] | None) -> alt.Scale:
    """Label colourings use the labels' own colours (as on Annotate); other categories a 20-colour scheme."""
    if labels and colour in ("human label", "model prediction"):
        return alt.Scale(domain=[*labels, "(none)"], range=[*label_colours(len(labels)), "#BBBBBB"])
    return alt.Scale(scheme="tableau20") if COLOURS[colour].endswith(":N") else alt.Scale()


def _chart(rows: list[dict], colour: str, labels: list[str] | None = None):
    box = alt.selection_interval(name="box", encodings=["x", "y"])
    pick = alt.selection_point(name="pick", fields=["record_id"], toggle="true")
    import pandas as pd

    # a DataFrame goes to the browser as Arrow; inline values would be validated row by row (seconds at 15k)
    return (alt.Chart(pd.DataFrame(rows)).mark_circle(size=18, opacity=0.75).encode(
        x=alt.X("x:Q", axis=None), y=alt.Y("y:Q", axis=None),
        color=alt.Color(COLOURS[colour], legend=alt.Legend(orient="bottom", columns=6, labelLimit=0),
                        scale=_scale(colour, labels)),
        tooltip=[alt.Tooltip("text:N", title="text"), alt.Tooltip("cluster:N"), alt.Tooltip("label:N"),
                 alt.Tooltip("predicted:N", title="model"), alt.Tooltip("uncertainty:Q", format=".3f"),
                 alt.Tooltip("record_id:Q", title="record")])
        .add_params(box, pick).properties(height=520))


def _selected(event, rows: list[dict], table_rows: list[dict], points: list[dict]) -> list[int]:
    """Record ids of the box, the clicked points, or the clusters picked in the table."""
    selection = (event or {}).get("selection", {}) if isinstance(event, dict) else getattr(event, "selection", {})
    box = selection.get("box") or {}
    if box.get("x") and box.get("y"):
        (x0, x1), (y0, y1) = sorted(box["x"]), sorted(box["y"])
        return [r["record_id"] for r in rows if x0 <= r["x"] <= x1 and y0 <= r["y"] <= y1]
    picked = [p.get("record_id") for p in selection.get("pick") or [] if isinstance(p, dict)]
    if picked:
        return [int(i) for i in picked if i is not None]
    table = st.session_state.get(state.EXPLORE_TABLE)
    chosen_rows = (table or {}).get("selection", {}).get("rows", []) if table else []
    clusters = {table_rows[i]["cluster"] for i in chosen_rows if i < len(table_rows)}
    return [p["record_id"] for p in points if p["cluster"] in clusters]


SORTS = {"size": lambda r: -r["size"], "unlabelled share": lambda r: r["labelled"],
         "uncertainty": lambda r: -(r["uncertainty"] or 0.0), "audit flags": lambda r: -r["flags"]}


def _table(table_rows: list[dict]) -> None:
    shown = [{"cluster": "unclustered" if r["cluster"] == explore.NOISE else r["cluster"],
              "keywords": ", ".join(r["keywords"]), "size": r["size"], "labelled": r["labelled"],
              "uncertainty": r["uncertainty"], "flags": r["flags"], "bulk": r["bulk"],
              "labels": ", ".join(f"{k} {v}" for k, v in r["labels"].items()),
              "model": ", ".join(f"{k} {v}" for k, v in r["predicted"].items()),
              "example": components.snippet(r["representatives"][0]["text"], 90) if r["representatives"] else ""}
             for r in table_rows]
    st.dataframe(shown, hide_index=True, on_select="rerun", selection_mode="multi-row", key=state.EXPLORE_TABLE,
                 column_config={"labelled": st.column_config.ProgressColumn("labelled", format="percent",
                                                                            min_value=0, max_value=1),
                                "uncertainty": st.column_config.NumberColumn(format="%.3f"),
                                "size": st.column_config.NumberColumn(format="%d"),
                                "flags": st.column_config.NumberColumn(format="%d")})


def _actions(project, ids: list[int], texts: dict[int, str], map_id: int) -> None:
    user = auth.current_user()
    st.subheader(f"Selection: {len(ids):,} records")
    sample = random.Random(0).sample(ids, min(5, len(ids)))
    for rid in sample:
        st.text(components.snippet(texts.get(rid, ""), 200))
    a1, a2, a3 = st.columns(3)
    if a1.button("Open in Browse", key=state.EXPLORE_OPEN, width="stretch"):
        st.session_state[state.BROWSE_SELECTION] = list(ids)
        st.session_state[state.BROWSE_PAGE] = 1
        st.switch_page("pages/browse.py")
    a2.button("Label these next", key=state.EXPLORE_NEXT, width="stretch", disabled=not user.can("settings"),
              help="first in everyone's annotate queue", on_click=_act, args=(project.id, "next", ids, map_id))
    if project.task == "classification" and user.can("review"):
        with a3.popover("Bulk label…", width="stretch"):
            label = st.selectbox("Label", project.labels, key=state.EXPLORE_BULK_LABEL)
            sure = st.checkbox(f"Label all {len(ids):,} selected records {label!r}", key=state.EXPLORE_BULK_CONFIRM)
            st.button("Bulk label", key=state.EXPLORE_BULK, type="primary", disabled=not sure, on_click=_act,
                      args=(project.id, "bulk", ids, map_id))
    elif project.task != "classification":
        a3.caption("Bulk labels are for single-label projects.")


with loaders.ui_store() as store:
    project = loaders.require_project(store)
    components.show_notice(state.EXPLORE_NOTICE)
    map_row = explore.current_map(store, project)
    latest = map_row or store.latest_map(project)
    _job(project.id, latest["id"] if latest else None)
    b1, b2, b3 = st.columns(3)
    b1.button("Build the map" if latest is None else "Rebuild the map", key=state.EXPLORE_BUILD, width="stretch",
              type="primary" if map_row is None else "secondary", on_click=_build, args=(project.id, True))
    if latest is None:
        st.info("No map yet. Building one embeds every record (cached), reduces the vectors to 2-D with UMAP and "
                "finds topic clusters; it runs in the background.")
        st.stop()
    if map_row is None:
        components.message("warning", "Records changed since this map was built: new records are not on it yet.")
    b2.button("Queue one representative per cluster", key=state.EXPLORE_REPRESENTATIVES, width="stretch",
              disabled=not auth.current_user().can("settings"), help="cold start: the first labels cover the topics",
              on_click=_act, args=(project.id, "representatives", [], latest["id"]))
    b3.button("Undo my last label or bulk label", key=state.EXPLORE_UNDO, width="stretch",
              on_click=_act, args=(project.id, "undo", [], latest["id"]))
    audit_id = store.latest_audit_id(project)
    points = store.map_points(latest["id"], project, audit_id)
    table_rows = explore.cluster_table(store, project, latest["id"], points)

st.caption(f"{len(points):,} records · {len([r for r in table_rows if r['cluster'] != explore.NOISE])} clusters · "
           f"{latest['method']} · built in {latest['seconds']:.1f} s")
colour = st.selectbox("Colour by", list(COLOURS), key=state.EXPLORE_COLOUR)
drawn = points if len(points) <= MAX_DRAWN else random.Random(0).sample(points, MAX_DRAWN)
if len(drawn) < len(points):
    st.caption(f"Drawing a random {MAX_DRAWN:,} of {len(points):,} points; selections and the table count them all.")
rows = _point_rows(drawn)
event = st.altair_chart(_chart(rows, colour, project.labels if project.task == "classification" else None), on_select="rerun", key=state.EXPLORE_CHART, width="stretch")
sort = st.radio("Sort clusters by", list(SORTS), horizontal=True, key=state.EXPLORE_SORT)
table_rows = sorted(table_rows, key=SORTS[sort])
_table(table_rows)
selected = _selected(event, _point_rows(points) if len(drawn) < len(points) else rows, table_rows, points)
if selected:
    _actions(project, selected, {p["record_id"]: p["text"] for p in points}, latest["id"])

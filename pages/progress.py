"""Progress: counts per label and per annotator, labels over time."""

from __future__ import annotations

import altair as alt
import streamlit as st

from pages.ui import auth, charts, loaders, state
from pages.ui.stats import dataset_statistics
from workbench import progress

loaders.require_router()
auth.require_page("team")
st.title("Progress")
with loaders.ui_store() as store:
    project = loaders.require_project(store)
    completion = progress.completion(store, project)
    done, total = completion["done"], completion["total"]
    per_label = progress.label_counts(store, project)
    per_annotator = progress.annotator_counts(store, project)
    freq = st.segmented_control("Bucket", ["day", "hour"], default="day", key=state.PROGRESS_FREQ) or "day"
    over_time = progress.labels_over_time(store, project, freq)

need = project.settings.annotators_per_record
c1, c2, c3, c4 = st.columns(4)
D = progress.DEFINITIONS
c1.metric("Records", f"{total:,}", help=D["records"])
c2.metric("Done", f"{done:,}" + (f" ({done / total:.0%})" if total else ""),
          help=D["done"] + f" (here {need} {'person' if need == 1 else 'different people'})")
c3.metric("Partly labelled", f"{completion['partial']:,}", help=D["partly labelled"])
c4.metric("Annotators", len(per_annotator))

st.subheader("Per label")
long = [{"label": r["label"], "source": source, "count": r[source]}
        for r in per_label for source in ("annotated", "reference")]
st.altair_chart(alt.Chart(alt.Data(values=long)).mark_bar().encode(
    x=alt.X("count:Q", axis=charts.count_axis("records")),
    y=alt.Y("label:N", sort=project.labels, title=None, axis=alt.Axis(labelLimit=0)),
    color=alt.Color("source:N", legend=charts.legend(), scale=alt.Scale(domain=["annotated", "reference"],
                                                                        range=["#0072B2", "#BBBBBB"])),
    yOffset="source:N", tooltip=["label:N", "source:N", alt.Tooltip("count:Q", format=",d")]), width="stretch")

st.subheader("Per annotator")
if per_annotator:
    st.dataframe(per_annotator, hide_index=True, width="stretch", column_config={
        "records": st.column_config.NumberColumn("records labelled", help=D["records labelled"]),
        "decisions": st.column_config.NumberColumn("decisions", help=D["decisions"]),
        "skips": st.column_config.NumberColumn("skips", help=D["skips"]),
        "undos": st.column_config.NumberColumn("undos", help=D["undos"]),
        "last_at": st.column_config.TextColumn("last decision (UTC)")})
    st.altair_chart(alt.Chart(alt.Data(values=per_annotator)).mark_bar().encode(
        x=alt.X("records:Q", axis=charts.count_axis("records labelled")),
        y=alt.Y("annotator:N", sort="-x", title=None, axis=alt.Axis(labelLimit=0)),
        tooltip=["annotator:N", alt.Tooltip("records:Q", title="records labelled", format=",d"),
                 alt.Tooltip("decisions:Q", format=",d"), alt.Tooltip("skips:Q", format=",d")]),
        width="stretch")
else:
    st.info("No annotations yet.")

st.subheader("Records labelled over time")
if over_time:
    st.altair_chart(alt.Chart(alt.Data(values=over_time)).mark_bar().encode(
        x=alt.X("period:O", title=f"{freq} (UTC)"),
        y=alt.Y("sum(records):Q", axis=charts.count_axis("records labelled")),
        color=alt.Color("annotator:N", legend=charts.legend("annotator")),
        tooltip=["period:O", "annotator:N", alt.Tooltip("records:Q", title="records labelled", format=",d")]),
        width="stretch")
else:
    st.caption("Nothing labelled yet.")

with st.expander("Dataset statistics: text lengths, people vs reference, co-occurrence, spans", expanded=False):
    with loaders.ui_store() as store:
        dataset_statistics(store, project)

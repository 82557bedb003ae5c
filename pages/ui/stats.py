"""The Progress page's "Dataset statistics": text lengths, human vs reference labels, multi-label
co-occurrence, NER span types and lengths."""

from __future__ import annotations

import altair as alt
import streamlit as st

from pages.ui import charts
from workbench import progress


def dataset_statistics(store, project) -> None:
    """Draw the statistics of ``project`` (every figure an SQL aggregate, see :func:`progress.dataset_statistics`)."""
    found = progress.dataset_statistics(store, project)
    lengths = found["lengths"]
    st.subheader("Text length")
    if lengths["rows"]:
        st.caption(f"characters per text: shortest {lengths['min']:,}, median {lengths['median']:,}, "
                   f"longest {lengths['max']:,}")
        st.altair_chart(alt.Chart(alt.Data(values=lengths["rows"])).mark_bar().encode(
            x=alt.X("start:Q", bin="binned", title="characters", axis=alt.Axis(format=",d")), x2="end:Q",
            y=alt.Y("records:Q", axis=charts.count_axis("records")),
            tooltip=[alt.Tooltip("start:Q", format=",d", title="from"), alt.Tooltip("end:Q", format=",d", title="to"),
                     alt.Tooltip("records:Q", format=",d")]), width="stretch")
    st.subheader("Labels: people vs the imported reference")
    long = [{"label": r["label"], "source": "people" if s == "annotated" else "reference", "records": r[s]}
            for r in found["labels"] for s in ("annotated", "reference")]
    st.altair_chart(alt.Chart(alt.Data(values=long)).mark_bar().encode(
        x=alt.X("label:N", sort=project.labels, title=None, axis=alt.Axis(labelLimit=0, labelAngle=-30)),
        xOffset="source:N", y=alt.Y("records:Q", axis=charts.count_axis("records")),
        color=alt.Color("source:N", legend=charts.legend(), scale=alt.Scale(domain=["people", "reference"],
                                                                            range=["#0072B2", "#BBBBBB"])),
        tooltip=["label:N", "source:N", alt.Tooltip("records:Q", format=",d")]), width="stretch")
    if found.get("cooccurrence"):
        st.subheader("Labels given together (multi-label)")
        st.caption("cell = records whose current label holds both; the diagonal = records holding that label")
        st.altair_chart(charts.heatmap(found["cooccurrence"], "a", "b", "records", x_title=None, y_title=None),
                        width="stretch")
    if project.task == "ner":
        spans = found.get("spans") or []
        st.subheader("Entity spans")
        if not spans:
            st.caption("No labelled spans yet.")
            return
        per_type: dict[str, int] = {}
        for row in spans:
            per_type[row["label"]] = per_type.get(row["label"], 0) + row["spans"]
        left, right = st.columns(2)
        left.altair_chart(alt.Chart(alt.Data(values=[{"label": k, "spans": v} for k, v in per_type.items()]))
                          .mark_bar().encode(x=alt.X("spans:Q", axis=charts.count_axis("spans")),
                                             y=alt.Y("label:N", sort=project.labels, title=None),
                                             color=alt.Color("label:N", scale=charts.label_scale(project.labels),
                                                             legend=None)), width="stretch")
        right.altair_chart(alt.Chart(alt.Data(values=spans)).mark_bar().encode(
            x=alt.X("length:O", title="span length (characters)"), y=alt.Y("sum(spans):Q", axis=charts.count_axis("spans")),
            color=alt.Color("label:N", scale=charts.label_scale(project.labels), legend=charts.legend())),
            width="stretch")

"""Export: pick a format, label source and split, see what the export will hold, then download it."""

from __future__ import annotations

import streamlit as st

from pages.ui import auth, components, loaders, state
from services.agreement import export_consensus
from workbench.errors import WorkbenchError
from workbench.io import EXPORT_FORMATS
from workbench.io.bundle import export_bundle, preview_counts
from workbench.types import LABEL_SOURCES

SOURCE_HELP = {
    "annotations": "each record's current human label",
    "reference": "the labels imported with the data",
    "curated": "the human label, else the reference label; records an audit excluded are left out",
    "consensus": "a reviewer's final label, else the annotators' consensus (CROWDLAB); adds agreement columns",
}

loaders.require_router()
auth.require_page("export")
st.title("Export")


def _counts_table(report) -> list[dict]:
    return [{"label": label, "count": n} for label, n in report.per_label.items()]


with loaders.ui_store() as store:
    project = loaders.require_project(store)
    formats = [f for f in EXPORT_FORMATS.names() if f != "conll" or project.task == "ner"]
    c1, c2, c3 = st.columns(3)
    fmt = c1.selectbox("Format", formats, key=state.EXPORT_FORMAT,
                       help="hf: a Hugging Face DatasetDict directory (downloaded as a zip); conll: NER only")
    source = c2.selectbox("Label source", LABEL_SOURCES, key=state.EXPORT_SOURCE,
                          format_func=lambda s: s, help="; ".join(f"{k}: {v}" for k, v in SOURCE_HELP.items()))
    share = c3.number_input("Test split share (0 = no split)", min_value=0.0, max_value=0.9, value=0.0, step=0.05,
                            key=state.EXPORT_SPLIT, help="a stratified train/test split; the download becomes a zip")
    seed = int(st.number_input("Split seed", min_value=0, value=0, step=1, key=state.EXPORT_SEED)) if share else 0
    st.caption(components.md(f"{source}: {SOURCE_HELP[source]}."))
    try:
        consensus = export_consensus(store, project, source)
        preview = preview_counts(store, project, source, consensus=consensus)
    except WorkbenchError as exc:
        components.message("error", exc)
        st.stop()
    st.metric("Rows in this export", f"{preview.rows:,}",
              help="records that have a label from the chosen source")
    if preview.rows == 0:
        st.info("Nothing to export from this source yet: label some records, or choose the reference or curated "
                "source.")
        st.stop()
    left, right = st.columns(2)
    left.dataframe(_counts_table(preview), hide_index=True, width="stretch")
    right.dataframe([{"annotator": k, "rows": v} for k, v in sorted(preview.per_annotator.items())],
                    hide_index=True, width="stretch")
    if st.button("Prepare the download", type="primary", key=state.EXPORT_GO):
        bar = st.progress(0.0, text="Reading the labels...")
        try:
            bundle = export_bundle(store, project, format=fmt, source=source, split=share or None, seed=seed,
                                   consensus=consensus, progress=lambda f, m: bar.progress(min(f, 1.0), text=m))
        except WorkbenchError as exc:
            bar.empty()
            components.message("error", exc)
            st.stop()
        bar.progress(1.0, text=f"Ready: {bundle.report.rows:,} rows")
        st.session_state[state.EXPORT_BUNDLE] = (project.id, fmt, source, share, seed, bundle)

    ready = st.session_state.get(state.EXPORT_BUNDLE)
    if ready and ready[:5] == (project.id, fmt, source, share, seed):
        bundle = ready[5]
        note = "".join(f" Note: {n}." for n in bundle.report.notes)
        st.success(components.md(f"{bundle.report.rows:,} rows ready as {bundle.file_name}." + note))
        d1, d2 = st.columns(2)
        d1.download_button(f"Download {bundle.file_name}", bundle.data, file_name=bundle.file_name,
                           mime=bundle.mime, key=state.EXPORT_DOWNLOAD, type="primary", width="stretch")
        if bundle.zip_name != bundle.file_name:
            d2.download_button(f"Download with the dataset card ({bundle.zip_name})", bundle.zip_data,
                               file_name=bundle.zip_name, mime="application/zip", key=state.EXPORT_DOWNLOAD_ZIP,
                               width="stretch")
        with st.expander("Dataset card (README.md in the zip)", expanded=True):
            st.text(bundle.card)

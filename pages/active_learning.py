"""Active learning: model version, staleness, retraining, learning curves, stopping hint."""

from __future__ import annotations

import altair as alt
import streamlit as st

from pages.ui import auth, charts, components, loaders, state
from pages.ui.job_panel import ended_job_id, job_panel
from services import evaluation, training
from services.active_learning import NER_UNCERTAINTY_HELP, STRATEGIES, ZERO_SHOT_MIN_CHECK
from services.embeddings import ENCODER_CHOICES
from services.models import adapters_for
from services.training.features import MODEL_ENCODER_HELP
from services.training.settings import change_settings
from workbench.config import MODEL_ENCODERS, NER_UNCERTAINTIES
from workbench.errors import WorkbenchError
from workbench.store import Store

loaders.require_router()
auth.require_page("train")
st.title("Active learning")


def _notice(level: str, text: str) -> None:
    st.session_state[state.AL_NOTICE] = (level, text)


with loaders.ui_store() as store:
    project = loaders.require_project(store)
    components.show_notice(state.AL_NOTICE)

    status = training.model_status(store, project)
    active = status["active"]
    metrics = active["metrics"] if active else {}
    primary = evaluation.PRIMARY[project.task]
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Model version", f"#{active['id']} {active['adapter']}" if active else "none")
    c2.metric("Trained on", f"{active['n_labels']} labels" if active else "-")
    c3.metric("Labels since training", status["labels_since"],
              help=f"A retrain starts after {status['retrain_every']} new labels (0 = only on demand).")
    c4.metric(primary.replace("_", " "), f"{metrics[primary]:.3f}" if primary in metrics else "-",
              help="On held-out reference labels (records with split 'test', else a fixed 20%).")
    reads = ((active or {}).get("config") or {}).get("model_encoder")
    if active and reads and active["adapter"] != training.ZERO_SHOT:
        st.caption(components.md(f"Version #{active['id']} reads {reads} sentence vectors."))

    if status["cold_start"]:
        still = "The model is still zero-shot" if active and active["adapter"] == training.ZERO_SHOT else \
            "The next round is a cold start (zero-shot suggestions, diverse picks)"
        check = ((active or {}).get("config") or {}).get("zero_shot_check") if active else None
        hidden = ""
        if check and not check["shown"]:
            hidden = (f" Its suggestions are hidden: on the {check['n']} label(s) so far it was right "
                      f"{check['accuracy']:.0%} of the time, always picking the commonest label {check['majority']:.0%}; "
                      f"zero-shot suggestions show once it beats that on at least {ZERO_SHOT_MIN_CHECK} labels.")
        st.info(components.md(f"{still}: {status['cold_start']}.{hidden}"))
    busy = Store.job_active(status["job"])
    if st.button("Retrain now", icon=":material/refresh:", disabled=busy, key=state.AL_RETRAIN):
        try:
            auth.require(store, "train", project)
            job_id = training.start_training(store, project)
            _notice("success", f"Training job #{job_id} started.")
        except WorkbenchError as exc:
            _notice("error", str(exc))
        st.rerun()
    job_panel(project.id, training.JOB_KIND, "Training job", ended_job_id(store, project, training.JOB_KIND),
              idle="No training has run yet.", after_failure="The previous model version stays active; an "
              "automatic retrain is tried again with the next label.")

    st.subheader("Learning curve")
    choices = evaluation.curve_metrics(store, project)
    if choices:
        metric = st.selectbox("Metric", choices, key=state.AL_METRIC)
        rows = evaluation.learning_curves(store, project, metric)
        chart = alt.Chart(alt.Data(values=rows)).mark_line(point=True).encode(
            x=alt.X("labels:Q", axis=charts.count_axis("labels")),
            y=alt.Y("value:Q", title=metric, scale=alt.Scale(zero=False), axis=alt.Axis(format=".2f")),
            color=alt.Color("run:N", scale=charts.run_scale([r["run"] for r in rows]), legend=charts.legend("run")),
            tooltip=["run:N", "strategy:N", alt.Tooltip("labels:Q", format=",d"),
                     alt.Tooltip("value:Q", format=".3f")])
        st.altair_chart(chart, width="stretch")
        st.caption("'live' is this project's real labelling; 'sim:...' runs come from "
                   "`python -m workbench simulate`.")
    else:
        st.info("No evaluated rounds yet: curves need reference labels on held-out records "
                "(import a labelled file) and at least one training.")

    hint = evaluation.stopping_hint(store, project)
    st.subheader("Stopping hint")
    (st.success if hint["stop"] else st.info)(hint["message"])

    st.subheader("Per-class metrics")
    table = evaluation.per_class_rows(metrics)
    if table:
        st.dataframe(table, hide_index=True, width="stretch")
    else:
        st.caption("Available once a model version is evaluated on held-out reference labels.")

    st.subheader("Settings")
    settings = project.settings
    with st.form(state.AL_SETTINGS):
        strategy = st.selectbox("Query strategy", list(STRATEGIES), index=list(STRATEGIES).index(settings.strategy)
                                if settings.strategy in STRATEGIES else 0,
                                format_func=lambda n: f"{n} - {STRATEGIES[n].description}")
        adapters = adapters_for(project.task)
        adapter = st.selectbox("Adapter (what is trained)", adapters,
                               index=adapters.index(settings.adapter) if settings.adapter in adapters else 0)
        encoders = list(dict.fromkeys([*ENCODER_CHOICES, settings.encoder]))
        encoder = st.selectbox("Encoder (sentence vectors)", encoders, index=encoders.index(settings.encoder),
                               help="minilm-int8: the same MiniLM through ONNX Runtime with int8 weights, about 2.5x "
                                    "faster on CPU, vectors at cosine 0.996 to minilm's on average (0.985 at "
                                    "worst in the benchmark). mpnet: all-mpnet-base-v2, better vectors on some "
                                    "data, 6-14x slower to encode on CPU (fetch it once: python -m workbench "
                                    "models fetch mpnet). A change re-encodes "
                                    "the records at the next training (each encoder has its own cache).")
        model_encoder = settings.model_encoder
        if project.task != "ner":
            model_encoder = st.selectbox(
                "Model vectors", list(MODEL_ENCODERS), index=list(MODEL_ENCODERS).index(settings.model_encoder),
                format_func=MODEL_ENCODER_HELP.get,
                help="auto: the default adapter (hybrid) reads mpnet's vectors once mpnet is fetched and every "
                     "text of a round has one; on a CPU each retrain encodes 50,000 characters ahead after its "
                     "suggestions are out (all at once on a GPU) and trains on the encoder's vectors until "
                     "then. On the benchmark suite it beat "
                     "margin + logreg by 4 to 12 points on every data set it ran on (README). project: always the encoder's.")
        ner_uncertainty = settings.ner_uncertainty
        if project.task == "ner":
            ner_uncertainty = st.selectbox(
                "NER: sentence uncertainty from its tokens", list(NER_UNCERTAINTIES),
                index=list(NER_UNCERTAINTIES).index(settings.ner_uncertainty), format_func=NER_UNCERTAINTY_HELP.get,
                help="what the query strategy ranks sentences by; the README's NER active-learning benchmark "
                     "compares them")
        every = st.number_input("Retrain every N new labels (0 = only on demand)", min_value=0, max_value=10_000,
                                value=int(settings.retrain_every), step=1)
        if st.form_submit_button("Save settings"):
            try:
                auth.require(store, "settings", project)
                change_settings(store, project, {"strategy": strategy, "adapter": adapter, "encoder": encoder,
                                                 "retrain_every": int(every), "ner_uncertainty": ner_uncertainty,
                                                 "model_encoder": model_encoder})
                _notice("success", "Settings saved; they apply from the next training.")
            except WorkbenchError as exc:
                _notice("error", str(exc))
            st.rerun()

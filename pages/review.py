"""Review: records whose annotators disagree, each annotator's label side by side, a final label by key."""

from __future__ import annotations

import streamlit as st

from pages.ui import auth, components, loaders, state
from pages.ui.annotate_panel import project_keys
from pages.ui.help import HELP_KEY, help_overlay, request_help, review_shortcuts
from pages.ui.keys_component import label_keys
from pages.ui.state import review_key
from services import agreement, review
from workbench.errors import WorkbenchError

ANY = "(anyone)"
LETTERS = "abcdefghi"  # accept the i-th distinct label the annotators gave

loaders.require_router()
reviewer = auth.require_page("review")
st.title("Review")


@st.cache_data(ttl=3600, max_entries=16, show_spinner="Computing the annotators' consensus...")
def _consensus(db: str, project_id: int, version: int) -> tuple[dict, dict]:
    """(record id -> consensus, annotator -> CROWDLAB quality); ``version`` (the newest annotation id) keys the cache."""
    from workbench.store import Store

    with Store(db, migrate=False) as store:
        return agreement.team_consensus(store, store.get_project(project_id))


def _decide(project_id: int, record_id: int, value) -> None:
    try:
        with loaders.ui_store() as store:
            project = store.get_project(project_id)
            user = auth.require(store, "review", project)
            review.accept(store, project, record_id, user.username, value)
    except WorkbenchError as exc:
        st.session_state[state.REVIEW_NOTICE] = ("error", str(exc))
        return
    st.session_state[state.REVIEW_NOTICE] = ("success", f"Final label: {components.value_text(value)}")


def _skip() -> None:
    st.session_state[state.REVIEW_OFFSET] = st.session_state.get(state.REVIEW_OFFSET, 0) + 1


def _reset() -> None:
    st.session_state[state.REVIEW_OFFSET] = 0


def review_label_keys(project) -> dict[str, str]:
    """``label -> key`` for setting a final label: the project's keys, less those a-i already mean here."""
    if project.task != "classification":
        return {}
    return {label: key for label, key in project_keys(project).items() if key not in LETTERS}


def _press(project_id: int, record_id: int, options: list, consensus, key: str) -> None:
    """A label's key: that label (classification) · a-i: accept that annotator's label · Enter: the consensus ·
    s: skip · ?: the keyboard help."""
    with loaders.ui_store() as store:
        project = store.get_project(project_id)
    if key == HELP_KEY:
        return request_help("review")
    if key == "s":
        return _skip()
    if key == "Enter" and consensus is not None:
        return _decide(project_id, record_id, consensus["label"])
    if len(key) == 1 and key in LETTERS and LETTERS.index(key) < len(options):
        return _decide(project_id, record_id, options[LETTERS.index(key)])
    label = {k: name for name, k in review_label_keys(project).items()}.get(key)
    if label is not None:
        return _decide(project_id, record_id, label)
    return None


def _item_panel(project, item: dict, consensus: dict | None) -> None:
    distinct: list = []
    for value in item["labels"].values():
        if value not in distinct:
            distinct.append(value)
    letters = LETTERS
    label_keys_here = review_label_keys(project)
    # the key listener before the text: mounted by the time the record shows
    keys = [*label_keys_here.values(), *letters[:len(distinct)], "Enter", "s", HELP_KEY]
    label_keys(keys, lambda key: _press(project.id, item["record_id"], distinct, consensus, key),
               key=state.page_key(state.REVIEW_KEYS, project.id))
    st.text(item["text"])  # literal: data is never rendered as markup
    rows = [{"annotator": who, "label": components.value_text(value),
             "key": letters[distinct.index(value)] if distinct.index(value) < len(letters) else ""}
            for who, value in sorted(item["labels"].items())]
    st.dataframe(rows, hide_index=True, width="stretch")
    if consensus is not None:
        st.caption(f"Consensus: **{components.md(components.value_text(consensus['label']))}** · agreement "
                   f"{consensus['agreement']:.2f} over {consensus['n']} annotator(s)")
    if item["reviewed"]:
        st.caption(f"Final (reviewed) label: {components.md(components.value_text(item['final']))}")
    columns = st.columns(max(1, min(len(distinct), 4)))
    for i, value in enumerate(distinct[:len(letters)]):
        columns[i % len(columns)].button(f"Accept {components.md(components.value_text(value))} ({letters[i]})",
                                         key=review_key("accept", i), width="stretch", on_click=_decide,
                                         args=(project.id, item["record_id"], value))
    if project.task == "classification":
        st.caption("Or set another label:")
        columns = st.columns(min(len(project.labels), 6))
        for i, label in enumerate(project.labels):
            shown = f" ({label_keys_here[label]})" if label in label_keys_here else ""
            columns[i % len(columns)].button(components.md(label) + shown,
                                             key=review_key("label", i), width="stretch", on_click=_decide,
                                             args=(project.id, item["record_id"], label))
    c1, c2 = st.columns(2)
    c1.button("Accept consensus (Enter)", key=review_key("consensus"), type="primary", disabled=consensus is None,
              on_click=_decide, args=(project.id, item["record_id"], consensus["label"] if consensus else None))
    c2.button("Skip (s)", key=review_key("skip"), on_click=_skip)
    help_overlay("review", "Review", review_shortcuts(project, letters[:len(distinct)], label_keys_here))


def _figures(store, project, labels: dict, quality: dict, by_record: dict) -> None:
    st.subheader("Annotators")
    rows = review.annotator_figures(store, project, labels, by_record=by_record)
    for row in rows:
        row["crowdlab_quality"] = quality.get(row["annotator"])
    if rows:
        st.dataframe(rows, hide_index=True, width="stretch", column_config={
            "agreement_with_consensus": st.column_config.NumberColumn(format="%.2f"),
            "agreement_with_review": st.column_config.NumberColumn(format="%.2f"),
            "seconds_per_label": st.column_config.NumberColumn(format="%.1f"),
            "crowdlab_quality": st.column_config.NumberColumn(format="%.2f")})
    report = agreement.agreement_report(store, project, by_record=by_record)
    c1, c2, c3 = st.columns(3)
    c1.metric("Records with ≥ 2 annotators", report["n_records"])
    for col, name in ((c2, "fleiss_kappa"), (c3, "krippendorff_alpha")):
        value = report.get(name)
        col.metric(name.replace("_", " ").capitalize(), "-" if value is None else f"{value:.2f}")
    if report["pairs"]:
        st.dataframe(report["pairs"], hide_index=True, width="stretch")


with loaders.ui_store() as store:
    project = loaders.require_project(store)
    done = store.completion(project)
    components.show_notice(state.REVIEW_NOTICE)
    c1, c2, c3 = st.columns(3)
    c1.metric("Done", f"{done['done']:,} / {done['total']:,}",
              help=f"Labelled by {project.settings.annotators_per_record} people, or reviewed")
    c2.metric("Partly labelled", f"{done['partial']:,}")
    c3.metric("Annotators per record", project.settings.annotators_per_record)
    f1, f2 = st.columns(2)
    show = f1.segmented_control("Show", review.SHOWS, default=review.SHOWS[0], key=state.REVIEW_SHOW,
                                on_change=_reset) or review.SHOWS[0]
    who = f2.selectbox("Labelled by", [ANY, *store.annotator_names(project)], key=state.REVIEW_ANNOTATOR,
                       on_change=_reset)
    labels, quality = _consensus(str(store.path), project.id, store.last_annotation_id(project))
    by_record = agreement.labels_by_record(store, project)  # one read of every live label for the whole page
    offset = st.session_state.get(state.REVIEW_OFFSET, 0)
    listing = dict(show=show, annotator=None if who == ANY else who, limit=1, by_record=by_record)
    total, items = review.review_items(store, project, offset=offset, **listing)
    if not items and offset:
        st.session_state[state.REVIEW_OFFSET] = offset = 0
        total, items = review.review_items(store, project, **listing)
    if items:
        st.caption(f"Record {offset + 1} of {total} · keys: a–i accept that label"
                   + (" · 1–9 set a label" if project.task == "classification" else "") + " · Enter consensus · s skip")
        _item_panel(project, items[0], labels.get(items[0]["record_id"]))
    else:
        st.info({"disagreements": "No open disagreements. With 'Annotators per record' at 2 or more (Projects page),"
                                  " records that people label differently appear here.",
                 "all": "Nothing labelled yet.", "reviewed": "No reviewed records yet."}[show])
    _figures(store, project, labels, quality, by_record)

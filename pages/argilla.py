"""Argilla (admins): connection, link, push/pull with live progress, sync counts; the same as ``argilla ...``."""

from __future__ import annotations

import streamlit as st

from pages.ui import auth, components, loaders, state
from services import argilla
from services.argilla import connection
from services.argilla.sync import PULL_JOB, PUSH_JOB, linked_client, open_client
from workbench.errors import WorkbenchError
from workbench.store import Store

loaders.require_router()
auth.require_page("settings")
st.title("Argilla")
st.caption("Two-way sync with an Argilla server: push records with the model's suggestions, scores and vectors; "
           "annotators work in Argilla; pull their responses back as annotations.")


def _notice(level: str, text: str) -> None:
    st.session_state[state.ARGILLA_NOTICE] = (level, text)


def _save_connection() -> None:
    ss = st.session_state
    try:
        with loaders.ui_store() as store:
            auth.require(store, "settings")
            try:
                saved = connection.saved_settings(store.path)
            except WorkbenchError:
                saved = connection.ArgillaSettings()  # a broken file is replaced by this save
            settings = connection.ArgillaSettings(url=ss.get(state.ARGILLA_URL) or "",
                                                  api_key=ss.get(state.ARGILLA_KEY) or saved.api_key,
                                                  workspace=ss.get(state.ARGILLA_WORKSPACE) or "")
            with connection.ArgillaClient(settings.check()) as client:
                me = client.me()
            connection.save_settings(store.path, settings)
    except WorkbenchError as exc:
        _notice("error", str(exc))
        return
    ss.pop(state.ARGILLA_KEY, None)
    _notice("success", f"Connected to {settings.url} as {me['username']} ({me['role']}); settings saved.")


def _link(project_id: int) -> None:
    ss = st.session_state
    try:
        with loaders.ui_store() as store:
            project = store.get_project(project_id)
            auth.require(store, "settings", project)
            with open_client(store) as client:
                row = argilla.link(store, project, client, dataset=ss.get(state.ARGILLA_DATASET) or None,
                                   auto_push=bool(ss.get(state.ARGILLA_AUTO_PUSH, True)))
    except WorkbenchError as exc:
        _notice("error", str(exc))
        return
    _notice("success", f"Linked to dataset {row['dataset']!r} in workspace {row['workspace']!r}. Push to send records.")


def _unlink(project_id: int) -> None:
    with loaders.ui_store() as store:
        project = store.get_project(project_id)
        try:
            auth.require(store, "settings", project)
        except WorkbenchError as exc:
            _notice("error", str(exc))
            return
        store.unlink_argilla(project)
    _notice("success", "Unlinked. Annotations pulled earlier stay in the history.")


def _start(project_id: int, kind: str) -> None:
    ss = st.session_state
    try:
        with loaders.ui_store() as store:
            project = store.get_project(project_id)
            auth.require(store, "settings", project)
            with linked_client(store, project) as client:
                settings = client.settings
            if kind == PUSH_JOB:
                limit = int(ss.get(state.ARGILLA_LIMIT) or 0) or None
                argilla.start_push(store, project, settings, only=ss.get(state.ARGILLA_ONLY) or "all", limit=limit,
                                   vectors=bool(ss.get(state.ARGILLA_VECTORS, True)))
            else:
                argilla.start_pull(store, project, settings)
    except WorkbenchError as exc:
        _notice("error", str(exc))


def _result_line(kind: str, result: dict) -> str:
    if kind == PUSH_JOB:
        return (f"Pushed {result['pushed']} records ({result['created']} new, {result['updated']} updated, "
                f"{result['suggestions_removed']} stale suggestions removed) in {result['seconds']:.1f} s. "
                + " ".join(result.get("notes") or []))
    line = (f"Pulled {result['labels']} labels, {result['skips']} skips, {result['issues_closed']} audit decisions; "
            f"{result['changed']} changed, {result['retracted']} retracted, {result['drafts']} drafts ignored, "
            f"{result['unchanged']} unchanged, in {result['seconds']:.1f} s.")
    if result.get("refused"):
        line += f" {len(result['refused'])} refused: " + "; ".join(result["refused"][:3])
    if result.get("retrain_job"):
        line += " Retraining started."
    return line


@st.fragment(run_every=1)
def _jobs(project_id: int) -> None:
    with loaders.ui_store() as store:
        project = store.get_project(project_id)
        latest = [j for j in (store.latest_job(project, PUSH_JOB), store.latest_job(project, PULL_JOB)) if j]
        counts = store.argilla_counts(project)
        link_row = store.argilla_link(project)
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Pushed", f"{counts['pushed']:,}", help="records of this project in the Argilla dataset")
    m2.metric("Responded", f"{counts['responded']:,}", help="pushed records with a submitted or discarded response")
    m3.metric("Pending", f"{counts['pending']:,}", help="pushed records nobody has responded to yet (as of the last pull)")
    last_pull = (link_row or {}).get("last_pull_at") or ""
    m4.metric("Last pull", last_pull[:16].replace("T", " ") + " UTC" if last_pull else "never")
    for job in sorted(latest, key=lambda j: j["id"]):
        what = "Push" if job["kind"] == PUSH_JOB else "Pull"
        if Store.job_active(job):
            st.progress(job["progress"], text=f"{what} running: {job['message'] or job['status']}")
        elif job["status"] == "failed":
            components.message("error", f"The last {what.lower()} failed: {job['error']}")
        elif job["result"]:
            components.message("success", _result_line(job["kind"], job["result"]))
    if link_row and link_row.get("last_error"):
        components.message("warning", f"Last error: {link_row['last_error']}")


def _connection_section(store) -> None:
    try:
        current = connection.resolve_settings(store.path)
    except WorkbenchError:
        try:
            current = connection.saved_settings(store.path)
        except WorkbenchError as exc:  # a broken settings file: say so, and let the form write a new one
            components.message("error", str(exc))
            current = connection.ArgillaSettings()
    st.subheader("Connection")
    if current.url and current.api_key:
        st.caption(components.md(f"Server {current.url}, key {connection.masked(current.api_key)}, workspace "
                                 f"{current.workspace} (from ARGILLA_API_URL / ARGILLA_API_KEY or the saved settings)"))
    else:
        st.caption("No server yet. `make argilla` starts a local one and prints its URL and owner key.")
    with st.form(state.ARGILLA_CONN_FORM):
        c1, c2, c3 = st.columns([3, 3, 2])
        c1.text_input("Server URL", value=current.url, key=state.ARGILLA_URL, placeholder="http://127.0.0.1:6900")
        c2.text_input("API key (owner or admin)", type="password", key=state.ARGILLA_KEY,
                      placeholder=connection.masked(current.api_key) or "paste the key",
                      help="Left empty: the saved key is kept. The key is never shown back.")
        c3.text_input("Workspace", value=current.workspace, key=state.ARGILLA_WORKSPACE)
        st.form_submit_button("Save and test", on_click=_save_connection)


def _link_section(project, link_row) -> None:
    st.subheader("Link")
    if link_row is None:
        with st.form(state.ARGILLA_LINK_FORM):
            st.text_input("Dataset name", value=project.name, key=state.ARGILLA_DATASET,
                          help="Created in the workspace at the first push; an existing one must fit the project")
            st.checkbox("Re-push suggestions and scores after every retrain", value=True, key=state.ARGILLA_AUTO_PUSH)
            st.form_submit_button("Link project", type="primary", on_click=_link, args=(project.id,))
        return
    st.caption(components.md(f"Linked to dataset {link_row['dataset']} in workspace {link_row['workspace']} on "
                             f"{link_row['url']}; re-push after retrain "
                             f"{'on' if link_row['auto_push'] else 'off'}."))
    confirm = st.checkbox("I want to unlink (pulled annotations stay)", key=state.ARGILLA_UNLINK_CONFIRM)
    st.button("Unlink", key=state.ARGILLA_UNLINK, disabled=not confirm, on_click=_unlink, args=(project.id,))


with loaders.ui_store() as store:
    project = loaders.require_project(store)
    components.show_notice(state.ARGILLA_NOTICE)
    _connection_section(store)
    link_row = store.argilla_link(project)
    _link_section(project, link_row)
    if link_row is not None:
        st.subheader("Sync")
        c1, c2, c3 = st.columns([3, 2, 2])
        c1.radio("Push", ["all", "unlabelled", "flagged"], horizontal=True, key=state.ARGILLA_ONLY,
                 help="flagged: the latest audit's open issues, lowest label quality first, with the given label "
                      "as suggestion")
        c2.number_input("At most (0 = all)", min_value=0, value=0, step=100, key=state.ARGILLA_LIMIT)
        c3.checkbox("Send sentence vectors", value=True, key=state.ARGILLA_VECTORS)
        b1, b2 = st.columns(2)
        b1.button("Push to Argilla", key=state.ARGILLA_PUSH, type="primary", width="stretch",
                  on_click=_start, args=(project.id, PUSH_JOB))
        b2.button("Pull responses", key=state.ARGILLA_PULL, width="stretch", on_click=_start, args=(project.id, PULL_JOB))
        _jobs(project.id)

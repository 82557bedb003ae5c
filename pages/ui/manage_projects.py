"""The Projects page's "Manage projects" section: rename, duplicate the settings, archive, delete (after
an automatic backup). The work is :mod:`workbench.project_admin`; this draws the forms."""

from __future__ import annotations

import streamlit as st

from pages.ui import auth, components, loaders, state
from workbench import project_admin
from workbench.errors import WorkbenchError


def _act(project_id: int, op: str) -> None:
    ss = st.session_state
    try:
        with loaders.ui_store() as store:
            auth.require(store, "projects")
            project = store.get_project(project_id)
            if op == "rename":
                done = store.rename_project(project, ss.get(state.MANAGE_RENAME) or "")
                message, select = f"Renamed {project.name!r} to {done.name!r}.", done.name
            elif op == "duplicate":
                done = project_admin.duplicate_settings(store, project, ss.get(state.MANAGE_DUPLICATE) or "")
                message, select = f"Created {done.name!r} with the labels, guidelines and settings of " \
                                  f"{project.name!r} (no records).", done.name
            elif op == "archive":
                done = store.set_archived(project, project.archived_at is None)
                message = (f"Archived {project.name!r}: hidden from the sidebar and queues, nothing deleted."
                           if done.archived_at else f"{project.name!r} is back in use.")
                select = None if done.archived_at else done.name
            else:
                path = project_admin.delete_project(store, project, ss.get(state.MANAGE_DELETE_CONFIRM) or "")
                message, select = f"Deleted {project.name!r}. A backup of everything is at {path}.", None
    except WorkbenchError as exc:
        ss[state.PROJECTS_NOTICE] = ("error", str(exc))
        return
    ss[state.PROJECTS_NOTICE] = ("success", message)
    for key in (state.MANAGE_RENAME, state.MANAGE_DUPLICATE, state.MANAGE_DELETE_CONFIRM):
        ss.pop(key, None)
    if select:
        ss[state.PROJECT_REQUEST] = select


def manage_section(store) -> None:
    """Pick any project (archived ones too) and rename, duplicate, archive or delete it."""
    projects = store.list_projects()
    if not projects:
        return
    names = [p.name for p in projects]
    current = st.session_state.get(state.PROJECT)
    chosen = st.selectbox("Project", names, index=names.index(current) if current in names else 0,
                          key=state.MANAGE_PROJECT)
    project = store.get_project(chosen)
    if project.archived_at:
        st.caption(f"Archived on {project.archived_at[:16].replace('T', ' ')} UTC.")
    rename, duplicate, archive, delete = st.tabs(["Rename", "Duplicate settings", "Archive", "Delete"])
    with rename, st.form(state.MANAGE_RENAME_FORM):
        st.text_input("New name", key=state.MANAGE_RENAME)
        st.form_submit_button("Rename", on_click=_act, args=(project.id, "rename"))
    with duplicate, st.form(state.MANAGE_DUPLICATE_FORM):
        st.text_input("Name of the new project", key=state.MANAGE_DUPLICATE)
        st.form_submit_button("Create with the same labels, guidelines and settings", on_click=_act,
                              args=(project.id, "duplicate"))
    with archive:
        st.caption("An archived project keeps every record, label and model; it leaves the sidebar and the "
                   "queues until it is brought back.")
        st.button("Bring back" if project.archived_at else "Archive", key=state.MANAGE_ARCHIVE,
                  on_click=_act, args=(project.id, "archive"))
    with delete, st.form(state.MANAGE_DELETE_FORM):
        st.warning(components.md(
            f"Deleting {project.name!r} removes its records, labels, models and audits. A backup zip "
            f"(records, the whole decision history, comments and settings) is written to "
            f"{project_admin.backup_dir_for(store.path)} first."))
        st.text_input("Type the project's name to confirm", key=state.MANAGE_DELETE_CONFIRM)
        st.form_submit_button("Delete after the backup", type="primary", on_click=_act, args=(project.id, "delete"))

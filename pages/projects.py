"""Projects: counts, create, import (upload or server path) with preview and column mapping,
label-schema edits and guidelines."""

from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from pages.ui import auth, components, loaders, state
from pages.ui.components import show_notice
from pages.ui.manage_projects import manage_section
from workbench import keymap, progress, schema
from workbench.accounts import visible_projects
from workbench.config import MAX_OVERLAP, ProjectSettings
from workbench.errors import ValidationError, WorkbenchError
from workbench.io.import_dirs import confine_to_import_dirs
from workbench.types import TASKS

NONE = "(none)"
NEW_PROJECT = "➕ new project"


def _notice(level: str, text: str) -> None:
    st.session_state[state.PROJECTS_NOTICE] = (level, text)


def _run(action, success: str | None = None, *, need: str = "schema"):
    """Check the role may ``need``, then call ``action(store)``; report WorkbenchError as a notice instead of raising."""
    try:
        with loaders.ui_store() as store:
            auth.require(store, need)
            result = action(store)
    except WorkbenchError as exc:
        _notice("error", str(exc))
        return None
    if success:
        _notice("success", success)
    return result


# -- callbacks (run before the rerun, so the page draws the new state) -----------
def _create() -> None:
    ss = st.session_state
    name = (ss.get(state.PROJECTS_NEW_NAME) or "").strip()
    project = _run(lambda s: s.create_project(name, ss[state.PROJECTS_NEW_TASK], (ss.get(state.PROJECTS_NEW_LABELS) or "").split(","),
                                              ss.get(state.PROJECTS_NEW_GUIDELINES) or ""),
                   f"Created project {name!r}.", need="projects")
    if project is not None:
        ss[state.PROJECT_REQUEST] = project.name


def _schema(op: str, project_name: str, project_id: int) -> None:
    ss = st.session_state
    order_key, guide_key = state.page_key(state.PROJECTS_ORDER, project_id), state.page_key(state.PROJECTS_GUIDELINES, project_id)

    def act(store):
        project = store.get_project(project_name)
        if op == "add":
            return schema.add_label(store, project, ss.get(state.PROJECTS_ADD) or "")
        if op == "rename":
            return schema.rename_label(store, project, ss[state.PROJECTS_RENAME_OLD], ss.get(state.PROJECTS_RENAME_NEW) or "")
        if op == "merge":
            return schema.merge_labels(store, project, ss[state.PROJECTS_MERGE_SOURCE], ss[state.PROJECTS_MERGE_TARGET])
        if op == "order":
            return schema.reorder_labels(store, project, (ss.get(order_key) or "").split(","))
        return schema.set_guidelines(store, project, ss.get(guide_key) or "")

    updated = _run(act)
    if updated is not None:
        _notice("success", "Saved. Labels: " + ", ".join(updated.labels))
        for key in (state.PROJECTS_ADD, state.PROJECTS_RENAME_NEW, order_key, guide_key):
            ss.pop(key, None)  # refill from the saved project on the next run


#: CLI wording in core error messages, and what a browser user sees instead
_UI_WORDS = (
    ("pass task and labels (--task, --labels) to create it", "choose 'new project' and fill in its name, task and labels"),
    ("pick the right one with --text-col", "pick the right one under 'Text column'"),
    ("pick the right one with --label-col", "pick the right one under 'Label column'"),
    ("pick the right one with --id-col", "pick the right one under 'Id column'"),
    ("pick the right one with --meta-cols", "pick the right ones under 'Metadata columns'"),
    ("pass format= (--format) with one of", "rename the file to end in one of"),
)


def ui_wording(message: str) -> str:
    """An error message from the core with its CLI flags put in the terms of this form."""
    for cli, ui in _UI_WORDS:
        message = message.replace(cli, ui)
    return message


def _import_mapping(columns: list[str], fmt: str) -> tuple[dict | None, str | None]:
    """The import options as the form holds them at the click (never the previous run's values)."""
    ss = st.session_state
    target = ss.get(state.PROJECTS_IMPORT_PROJECT, NEW_PROJECT)
    label_col, id_col = ss.get(state.PROJECTS_IMPORT_LABEL, NONE), ss.get(state.PROJECTS_IMPORT_ID, NONE)
    mapping = {"text_col": ss.get(state.PROJECTS_IMPORT_TEXT) or columns[0],
               "label_col": None if label_col == NONE else label_col, "id_col": None if id_col == NONE else id_col,
               "format": fmt}
    chosen = {mapping["text_col"], mapping["label_col"], mapping["id_col"]}
    mapping["meta_cols"] = [c for c in ss.get(state.PROJECTS_IMPORT_META) or [] if c not in chosen]
    if target != NEW_PROJECT:
        return {**mapping, "project": target}, None
    name = (ss.get(state.PROJECTS_IMPORT_NAME) or "").strip()
    labels = [x.strip() for x in (ss.get(state.PROJECTS_IMPORT_LABELS) or "").split(",") if x.strip()]
    missing = [what for what, value in (("a project name", name), ("the labels (comma-separated)", labels)) if not value]
    if missing:
        return None, "To import into a new project, fill in " + " and ".join(missing) + " above the Import button."
    return {**mapping, "project": name, "task": ss.get(state.PROJECTS_IMPORT_TASK) or TASKS[0], "labels": labels}, None


def _import(path: str, shown_name: str, columns: list[str], fmt: str) -> None:
    mapping, problem = _import_mapping(columns, fmt)
    if problem:
        _notice("error", problem)
        return
    from workbench.io import import_file

    try:
        with loaders.ui_store() as store:
            auth.require(store, "import")
            report = import_file(store, path=path, **mapping)
    except WorkbenchError as exc:
        # name the user's file, not our temporary copy of it
        _notice("error", ui_wording(str(exc).replace(path, shown_name)))
        return
    _notice("success", report.summary())
    st.session_state[state.PROJECT_REQUEST] = report.project.name


# -- sections ----------------------------------------------------------------------
def _projects_table(store, user) -> None:
    archived = user.can("projects") and st.toggle("Show archived projects", key=state.PROJECTS_SHOW_ARCHIVED)
    visible = {p.name for p in visible_projects(store, user, archived=bool(archived))}
    rows = [r for r in progress.project_rows(store) if r["name"] in visible]
    if not rows:
        st.info("No projects yet: create one below or import a file.")
        return
    d = progress.DEFINITIONS
    # every column named and explained; wide tables scroll inside the frame instead of losing columns
    st.dataframe(rows, hide_index=True, width="stretch", column_config={
        "name": st.column_config.TextColumn("project", pinned=True),
        "labels": st.column_config.TextColumn("labels", width="medium"),
        "records": st.column_config.NumberColumn("records", help=d["records"]),
        "annotated": st.column_config.NumberColumn("labelled", help=d["labelled"]),
        "skipped": st.column_config.NumberColumn("skipped", help="records whose latest decision is a skip"),
        "excluded": st.column_config.NumberColumn("excluded", help=d["excluded"]),
        "reference": st.column_config.NumberColumn("with reference", help=d["with reference"]),
        "annotations": st.column_config.NumberColumn("annotation rows", help=d["annotation rows"]),
        "archived": st.column_config.CheckboxColumn("archived", help="hidden from the sidebar and the queues")})


def _create_form() -> None:
    with st.form(state.PROJECTS_CREATE, clear_on_submit=False):
        st.text_input("Name", key=state.PROJECTS_NEW_NAME)
        st.selectbox("Task", TASKS, key=state.PROJECTS_NEW_TASK)
        st.text_input("Labels (comma-separated, in order)", key=state.PROJECTS_NEW_LABELS, placeholder="positive,negative")
        st.text_area("Guidelines (Markdown)", key=state.PROJECTS_NEW_GUIDELINES)
        st.form_submit_button("Create project", on_click=_create)


def _uploaded_copy(upload) -> str:
    """Save an upload to a temporary file that keeps its suffix (the format comes from it)."""
    suffixes = Path(upload.name).suffixes
    keep = "".join(suffixes[-2:]) if suffixes and suffixes[-1].lower() in (".gz", ".bz2") else "".join(suffixes[-1:])
    folder = Path(tempfile.gettempdir()) / "workbench-uploads"
    folder.mkdir(exist_ok=True)
    target = folder / f"{upload.file_id}{keep}"
    if not target.exists():
        target.write_bytes(upload.getvalue())
    return str(target)


def _import_section(store, selected) -> None:
    source = st.radio("Source", ["Upload a file", "Path on the server"], horizontal=True, key=state.PROJECTS_IMPORT_SOURCE,
                      help="A path also accepts a Hugging Face save_to_disk() directory")
    if source == "Upload a file":
        upload = st.file_uploader("Data file", key=state.PROJECTS_IMPORT_FILE,
                                  type=["csv", "tsv", "jsonl", "json", "parquet", "conll", "bio", "txt", "gz", "bz2"])
        if upload is None:
            return
        path, shown = _uploaded_copy(upload), upload.name
    else:
        path = (st.text_input("Path", key=state.PROJECTS_IMPORT_PATH,
                              help="inside data/ (or a folder listed in WORKBENCH_IMPORT_DIRS)") or "").strip()
        if not path:
            return
        shown = path
        try:
            path = str(confine_to_import_dirs(path))
        except WorkbenchError as exc:
            components.message("error", exc)
            return
    from workbench.io import preview_file

    try:
        preview = preview_file(path)
    except WorkbenchError as exc:
        components.message("error", str(exc).replace(path, shown))
        return
    columns = preview["columns"]
    hidden = f" · {preview['hidden_columns']:,} more columns not shown" if preview["hidden_columns"] else ""
    st.caption(f"Format: {preview['format']} · first {len(preview['rows'])} rows{hidden}")
    st.dataframe([{k: str(v) for k, v in row.items()} for row in preview["rows"]], hide_index=True, width="stretch")

    names = [p.name for p in store.list_projects()]
    options = [NEW_PROJECT, *names]
    default = options.index(selected.name) if selected is not None and selected.name in names else 0
    # outside the form: choosing 'new project' shows its fields at once
    target = st.selectbox("Into project", options, index=default, key=state.PROJECTS_IMPORT_PROJECT)
    with st.form(state.PROJECTS_IMPORT_FORM):
        _mapping_fields(columns, target == NEW_PROJECT)
        st.form_submit_button("Import", type="primary", key=state.PROJECTS_IMPORT_GO, on_click=_import,
                              args=(path, shown, columns, preview["format"]))


def _mapping_fields(columns: list[str], new_project: bool) -> None:
    """Column mapping (and the new project's schema) inside the import form: one click imports what is typed."""
    c1, c2, c3 = st.columns(3)
    text_col = c1.selectbox("Text column", columns, key=state.PROJECTS_IMPORT_TEXT,
                            index=columns.index("text") if "text" in columns else 0)
    guess = next((c for c in ("label", "labels", "spans", "tags") if c in columns), NONE)
    label_col = c2.selectbox("Label column (becomes reference labels)", [NONE, *columns],
                             index=[NONE, *columns].index(guess), key=state.PROJECTS_IMPORT_LABEL)
    id_col = c3.selectbox("Id column", [NONE, *columns], key=state.PROJECTS_IMPORT_ID,
                          index=[NONE, *columns].index("id") if "id" in columns else 0)
    rest = [c for c in columns if c not in (text_col, label_col, id_col)]
    st.multiselect("Metadata columns", [c for c in columns if c != text_col], default=rest,
                   key=state.PROJECTS_IMPORT_META, help="columns kept with each record (filters, Explore colours)")
    if new_project:
        c1, c2, c3 = st.columns(3)
        c1.text_input("New project name", key=state.PROJECTS_IMPORT_NAME)
        c2.selectbox("Task", TASKS, key=state.PROJECTS_IMPORT_TASK)
        c3.text_input("Labels (comma-separated)", key=state.PROJECTS_IMPORT_LABELS)


def _schema_section(project) -> None:
    labels = project.labels
    st.caption(f"{project.task} · labels in order: " + components.md(", ".join(labels)))
    add, rename, merge, order = st.tabs(["Add", "Rename", "Merge", "Reorder"])
    with add, st.form(state.PROJECTS_ADD_FORM):
        st.text_input("New label", key=state.PROJECTS_ADD)
        st.form_submit_button("Add label", on_click=_schema, args=("add", project.name, project.id))
    with rename, st.form(state.PROJECTS_RENAME_FORM):
        st.selectbox("Label", labels, key=state.PROJECTS_RENAME_OLD)
        st.text_input("New name", key=state.PROJECTS_RENAME_NEW)
        st.form_submit_button("Rename", on_click=_schema, args=("rename", project.name, project.id),
                              help="Current labels are rewritten in one transaction; history keeps the old name")
    with merge, st.form(state.PROJECTS_MERGE_FORM):
        st.selectbox("Merge this label", labels, key=state.PROJECTS_MERGE_SOURCE)
        st.selectbox("into this one", labels, index=min(1, len(labels) - 1), key=state.PROJECTS_MERGE_TARGET)
        st.form_submit_button("Merge", on_click=_schema, args=("merge", project.name, project.id))
    with order, st.form(state.PROJECTS_ORDER_FORM):
        order_key = state.page_key(state.PROJECTS_ORDER, project.id)
        if order_key not in st.session_state:
            st.session_state[order_key] = ",".join(labels)
        st.text_input("Labels in the new order (comma-separated)", key=order_key)
        st.form_submit_button("Save order", on_click=_schema, args=("order", project.name, project.id))


def _parse_keys(text: str, labels: list[str]) -> dict[str, str]:
    """``label=key`` lines (or comma-separated pairs) as a dict; unknown labels and bad lines are errors."""
    out: dict[str, str] = {}
    for n, part in enumerate([p for line in text.splitlines() for p in line.split(",")], 1):
        if not part.strip():
            continue
        label, sep, key = part.rpartition("=")
        label = label.strip()
        if not sep or not label:
            raise ValidationError(f"label keys, entry {n} ({part.strip()!r}): write label=key, e.g. spam=p")
        if label not in labels:
            raise ValidationError(f"label keys, entry {n}: there is no label {label!r}; labels: {', '.join(labels)}")
        out[label] = key.strip()
    return out


def _save_annotation_settings(project_name: str) -> None:
    ss = st.session_state

    def act(store):
        project = store.get_project(project_name)
        settings = ProjectSettings.from_dict({
            **project.settings.to_dict(), "annotators_per_record": int(ss[state.PROJECTS_OVERLAP]),
            "show_reference": bool(ss.get(state.PROJECTS_SHOW_REFERENCE)),
            "label_keys": _parse_keys(ss.get(state.PROJECTS_LABEL_KEYS) or "", project.labels)})
        return store.update_project(project, settings=settings)

    _run(act, f"Saved: each record now goes to {int(ss[state.PROJECTS_OVERLAP])} annotator(s).", need="settings")


def _overlap_section(project) -> None:
    settings = project.settings
    with st.form(state.PROJECTS_OVERLAP_FORM):
        st.number_input("Annotators per record", 1, MAX_OVERLAP, value=int(settings.annotators_per_record),
                        key=state.PROJECTS_OVERLAP,
                        help="The queue serves each record to this many different people (never twice to the "
                             "same one) and counts it done when all of them labelled it or a reviewer decided it. "
                             "2 or more gives the agreement figures and the Review page real overlap.")
        st.checkbox("Show reference labels and their audit while annotating", value=settings.show_reference,
                    key=state.PROJECTS_SHOW_REFERENCE,
                    help="Off (default): annotators never see imported labels, so they cannot copy them. "
                         "Turn on for a review pass over imported labels.")
        keys = keymap.label_keys(project.labels, settings.label_keys)
        st.caption("Keys now: " + components.md(" · ".join(f"{label} {key}" for label, key in keys.items())))
        st.text_area("Remap label keys (one label=key per line)", key=state.PROJECTS_LABEL_KEYS,
                     value="\n".join(f"{label}={key}" for label, key in settings.label_keys.items()),
                     help="Any one character that is not a page key (" + ", ".join(keymap.RESERVED_KEYS) + ")")
        st.form_submit_button("Save", on_click=_save_annotation_settings, args=(project.name,))


def _guidelines_section(project) -> None:
    with st.form(state.PROJECTS_GUIDELINES_FORM):
        guide_key = state.page_key(state.PROJECTS_GUIDELINES, project.id)
        if guide_key not in st.session_state:
            st.session_state[guide_key] = project.guidelines
        st.text_area("Guidelines (Markdown, shown on the Annotate page)", key=guide_key, height=200)
        st.form_submit_button("Save guidelines", on_click=_schema, args=("guidelines", project.name, project.id))


loaders.require_router()
st.title("Projects")
show_notice(state.PROJECTS_NOTICE)
user = auth.current_user()
with loaders.ui_store() as store:
    project = loaders.current_project(store)
    _projects_table(store, user)
    if user.can("projects"):
        with st.expander("Create a project", expanded=not store.list_projects()):
            _create_form()
    if user.can("import"):
        with st.expander("Import data", expanded=False):
            _import_section(store, project)
    if user.can("projects"):
        with st.expander("Manage projects: rename, duplicate, archive, delete"):
            manage_section(store)
if project is not None and not user.can("schema"):
    st.subheader(f"Guidelines · {components.md(project.name)}")
    st.markdown(components.guidelines_markdown(project.guidelines) or "_No guidelines yet._")
elif project is not None:
    st.subheader(f"Label schema · {components.md(project.name)}")
    _schema_section(project)
    with st.expander("Guidelines"):
        _guidelines_section(project)
    with st.expander(f"Annotation settings · {project.settings.annotators_per_record} annotator(s) per record"):
        _overlap_section(project)

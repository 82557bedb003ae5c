"""Session-state keys, in one place (DESIGN.md: no session_state sprawl).

Keys shared across pages are plain names; page-local keys carry the page name
as a prefix (``"annotate.current"``).
"""

from __future__ import annotations

# -- shared by every page (sidebar widgets) --------------------------------------
# The values live under plain keys; the sidebar widgets have their own keys and
# copy into them, because Streamlit drops a widget's state on page switches
# (st.switch_page) while plain keys persist for the whole session.
PROJECT = "project"                   # selected project name
PROJECT_WIDGET = "sidebar.project"    # the sidebar selectbox
SIGN_OUT = "sidebar.sign_out"         # the sidebar's sign-out button

# -- sign-in (pages/ui/auth.py) ------------------------------------------------------------
USER = "auth.user"                    # workbench.accounts.User acting on this run (set by auth.gate)
SESSION_TOKEN = "auth.token"          # this browser session's sign-in token
AUTH_NEW_TOKEN = "auth.new_token"     # token to hand to the browser as a cookie (just signed in)
AUTH_SIGNED_OUT = "auth.signed_out"   # clear the cookie on the next run
AUTH_NOTICE = "auth.notice"           # (level, text) of the last failed sign-in
AUTH_REFUSED = "auth.refused"         # why this server refuses to serve (no accounts, not on loopback)
AUTH_FORM = "auth.form"
AUTH_USERNAME = "auth.username"
AUTH_PASSWORD = "auth.password"
AUTH_COOKIE_WIDGET = "auth.cookie"
PROJECT_REQUEST = "project.request"   # a page asks the sidebar to select this project on the next run
DEMO_CHECKED = "app.demo_checked"     # start-up demo import tried once per session
ROUTED = "app.routed"                 # set by app.py each run; pages check it (loaders.require_router)

# -- annotate page ------------------------------------------------------------------
ANNOTATE_CURRENT = "annotate.current"  # dict: project_id, annotator, record_id, kind, source, audit_issue
ANNOTATE_OPEN = "annotate.open"        # record id to open on purpose (browse page, history)
ANNOTATE_MESSAGE = "annotate.message"  # (level, text) shown once after an action
ANNOTATE_MULTI = "annotate.multi"      # multilabel: {record_id: [selected labels]}
ANNOTATE_NER_SAVED = "annotate.ner_saved"  # record id whose spans were saved during this visit
ANNOTATE_RECHECK = "annotate.recheck"  # slider bound to ProjectSettings.recheck_share

# -- browse page ----------------------------------------------------------------------
BROWSE_PAGE = "browse.page"
BROWSE_FLAGGED = "browse.flagged"
BROWSE_TABLE = "browse.table"          # + page number: the records table (row selection)

# -- keyboard help (pages/ui/help.py) -------------------------------------------------------
HELP_OPEN = "help.open"                # the page whose shortcut overlay opens on this run
HELP_BUTTON = "help.button"            # + page

# -- record history and comments (pages/ui/history.py) ----------------------------------
HISTORY_NOTICE = "history.notice"
HISTORY_FORM = "history.form"          # + page + record id; the form's fields are <form key>.body / .unsure
HISTORY_RESOLVE = "history.resolve"

# -- Projects page: manage projects (pages/ui/manage_projects.py) ----------------------------
MANAGE_PROJECT = "manage.project"
MANAGE_RENAME = "manage.rename"
MANAGE_RENAME_FORM = "manage.rename.form"
MANAGE_DUPLICATE = "manage.duplicate"
MANAGE_DUPLICATE_FORM = "manage.duplicate.form"
MANAGE_ARCHIVE = "manage.archive"
MANAGE_DELETE_CONFIRM = "manage.delete.confirm"
MANAGE_DELETE_FORM = "manage.delete.form"
PROJECTS_SHOW_ARCHIVED = "projects.show_archived"

# -- projects page --------------------------------------------------------------------
PROJECTS_NOTICE = "projects.notice"    # (level, text) shown once after a form action


def annotate_key(name: str, *parts: object) -> str:
    """A widget key on the annotate page, e.g. ``annotate_key("label", 2)`` -> ``"annotate.label.2"``."""
    return page_key(f"annotate.{name}", *parts)

# -- active learning page ----------------------------------------------------------------
AL_NOTICE = "al.notice"                # (level, text) shown once after an action
AL_METRIC = "al.metric"                # metric plotted by the learning curve

# -- review page ----------------------------------------------------------------------------
REVIEW_SHOW = "review.show"            # disagreements | all | reviewed
REVIEW_ANNOTATOR = "review.annotator"  # only records this annotator labelled
REVIEW_OFFSET = "review.offset"        # records skipped past in the current list
REVIEW_NOTICE = "review.notice"        # (level, text) shown once after a decision
REVIEW_KEYS = "review.keys"            # the keyboard listener


def review_key(name: str, *parts: object) -> str:
    """A widget key on the review page, e.g. ``review_key("accept", 2)`` -> ``"review.accept.2"``."""
    return page_key(f"review.{name}", *parts)


# -- team (admin) page ---------------------------------------------------------------------
TEAM_NOTICE = "team.notice"
TEAM_ADD_FORM = "team.add.form"
TEAM_ADD_NAME = "team.add.name"
TEAM_ADD_DISPLAY = "team.add.display"
TEAM_ADD_ROLE = "team.add.role"
TEAM_ADD_PASSWORD = "team.add.password"
TEAM_ADD_PROJECTS = "team.add.projects"
TEAM_USER = "team.user"                # the account the change form acts on
TEAM_CHANGE_FORM = "team.change.form"
TEAM_CHANGE_PASSWORD = "team.change.password"
TEAM_CHANGE_PROJECTS = "team.change.projects"
TEAM_CHANGE_DISABLED = "team.change.disabled"

# -- audit page ---------------------------------------------------------------------------
AUDIT_OFFSET = "audit.offset"          # how many undecided issues the reviewer skipped past
ARGILLA_AUTO_PUSH = "argilla.auto_push"
ARGILLA_CONN_FORM = "argilla.connection.form"
ARGILLA_DATASET = "argilla.dataset"
ARGILLA_KEY = "argilla.key"
ARGILLA_LIMIT = "argilla.limit"
ARGILLA_LINK_FORM = "argilla.link.form"
ARGILLA_NOTICE = "argilla.notice"
ARGILLA_ONLY = "argilla.only"
ARGILLA_PULL = "argilla.pull"
ARGILLA_PUSH = "argilla.push"
ARGILLA_UNLINK = "argilla.unlink"
ARGILLA_UNLINK_CONFIRM = "argilla.unlink.confirm"
ARGILLA_URL = "argilla.url"
ARGILLA_VECTORS = "argilla.vectors"
ARGILLA_WORKSPACE = "argilla.workspace"
AUDIT_PUSH_ARGILLA = "audit.push_argilla"
BROWSE_SELECTION = "browse.selection"      # record ids selected on the Explore map
BROWSE_SELECTION_CLEAR = "browse.selection.clear"
EXPLORE_BUILD = "explore.build"
EXPLORE_BULK = "explore.bulk"
EXPLORE_BULK_CONFIRM = "explore.bulk.confirm"
EXPLORE_BULK_LABEL = "explore.bulk.label"
EXPLORE_CHART = "explore.chart"
EXPLORE_COLOUR = "explore.colour"
EXPLORE_NEXT = "explore.next"
EXPLORE_NOTICE = "explore.notice"
EXPLORE_OPEN = "explore.open"
EXPLORE_REPRESENTATIVES = "explore.representatives"
EXPLORE_SORT = "explore.sort"
EXPLORE_TABLE = "explore.table"
EXPLORE_UNDO = "explore.undo"
AUDIT_NOTICE = "audit.notice"          # (level, text) shown once after a decision
EXPORT_BUNDLE = "export.bundle"        # (project id, format, source, split, seed, Bundle) of the last prepared export
EXPORT_DOWNLOAD = "export.download"
EXPORT_DOWNLOAD_ZIP = "export.download.zip"
EXPORT_FORMAT = "export.format"
EXPORT_GO = "export.go"
EXPORT_SEED = "export.seed"
EXPORT_SOURCE = "export.source"
EXPORT_SPLIT = "export.split"


# -- page widgets: <page>.<widget> ------------------------------------------------------
AL_RETRAIN = "al.retrain"
AL_SETTINGS = "al.settings"
AUDIT_ACCEPT = "audit.accept"
AUDIT_AMBIGUOUS = "audit.ambiguous"
AUDIT_EXCLUDE = "audit.exclude"
AUDIT_FOLDS = "audit.folds"
AUDIT_KEEP = "audit.keep"
AUDIT_KEYS = "audit.keys"
AUDIT_LATER = "audit.later"
AUDIT_MODEL = "audit.model"
AUDIT_ENCODER = "audit.encoder"
AUDIT_ALSO_ENCODERS = "audit.also_encoders"
AUDIT_RUN = "audit.run"
AUDIT_SOURCE = "audit.source"
BROWSE_ANNOTATOR = "browse.annotator"
BROWSE_LABEL = "browse.label"
BROWSE_NEXT = "browse.next"
BROWSE_PREV = "browse.prev"
BROWSE_QUALITY = "browse.quality"
BROWSE_SCORE = "browse.score"
BROWSE_STATUS = "browse.status"
BROWSE_TEXT = "browse.text"
PROGRESS_FREQ = "progress.freq"
PROJECTS_ADD = "projects.add"
PROJECTS_ADD_FORM = "projects.add.form"
PROJECTS_CREATE = "projects.create"
PROJECTS_GUIDELINES_FORM = "projects.guidelines.form"
PROJECTS_IMPORT_FILE = "projects.import.file"
PROJECTS_IMPORT_FORM = "projects.import.form"
PROJECTS_IMPORT_GO = "projects.import.go"
PROJECTS_IMPORT_ID = "projects.import.id"
PROJECTS_IMPORT_LABEL = "projects.import.label"
PROJECTS_IMPORT_LABELS = "projects.import.labels"
PROJECTS_IMPORT_META = "projects.import.meta"
PROJECTS_IMPORT_NAME = "projects.import.name"
PROJECTS_IMPORT_PATH = "projects.import.path"
PROJECTS_IMPORT_PROJECT = "projects.import.project"
PROJECTS_IMPORT_SOURCE = "projects.import.source"
PROJECTS_IMPORT_TASK = "projects.import.task"
PROJECTS_IMPORT_TEXT = "projects.import.text"
PROJECTS_MERGE_FORM = "projects.merge.form"
PROJECTS_MERGE_SOURCE = "projects.merge.source"
PROJECTS_MERGE_TARGET = "projects.merge.target"
PROJECTS_NEW_GUIDELINES = "projects.new.guidelines"
PROJECTS_NEW_LABELS = "projects.new.labels"
PROJECTS_NEW_NAME = "projects.new.name"
PROJECTS_NEW_TASK = "projects.new.task"
PROJECTS_ORDER_FORM = "projects.order.form"
PROJECTS_RENAME_FORM = "projects.rename.form"
PROJECTS_RENAME_NEW = "projects.rename.new"
PROJECTS_RENAME_OLD = "projects.rename.old"
PROJECTS_OVERLAP = "projects.overlap"
PROJECTS_OVERLAP_FORM = "projects.overlap.form"
PROJECTS_SHOW_REFERENCE = "projects.show_reference"
PROJECTS_LABEL_KEYS = "projects.label_keys"

AUDIT_RELABEL = "audit.relabel"
BROWSE_OPEN = "browse.open"
EXPLAIN_WORDS = "explain.words"
PROJECTS_GUIDELINES = "projects.guidelines"
PROJECTS_ORDER = "projects.order"


def page_key(name: str, *parts: object) -> str:
    """A per-item widget key, e.g. ``page_key("browse.open", 12)`` -> ``"browse.open.12"``."""
    return ".".join([name, *(str(p) for p in parts)])

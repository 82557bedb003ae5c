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
ANNOTATOR = "annotator"               # annotator name
PROJECT_WIDGET = "sidebar.project"    # the sidebar selectbox
ANNOTATOR_WIDGET = "sidebar.annotator"  # the sidebar text input
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

# -- projects page --------------------------------------------------------------------
PROJECTS_NOTICE = "projects.notice"    # (level, text) shown once after a form action


def annotate_key(name: str, *parts: object) -> str:
    """A widget key on the annotate page, e.g. ``annotate_key("label", 2)`` -> ``"annotate.label.2"``."""
    return ".".join(["annotate", name, *(str(p) for p in parts)])

# -- active learning page ----------------------------------------------------------------
AL_NOTICE = "al.notice"                # (level, text) shown once after an action
AL_METRIC = "al.metric"                # metric plotted by the learning curve
AL_WATCHING = "al.watching"            # id of the training job the page is polling

# -- audit page ---------------------------------------------------------------------------
AUDIT_OFFSET = "audit.offset"          # how many undecided issues the reviewer skipped past
AUDIT_NOTICE = "audit.notice"          # (level, text) shown once after a decision

"""Entry point: the page router and the shared sidebar, nothing else.

Run with ``streamlit run app.py`` (``make run``). The database is
``$WORKBENCH_DB`` or ``data/workbench.db``; an empty one gets the demo projects.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from workbench.ui import loaders, sidebar

ROOT = Path(__file__).resolve().parent
# Pages added by later features: listed only when their file is there.
OPTIONAL_PAGES = (("pages/active_learning.py", "Active learning", ":material/model_training:"),
                  ("pages/audit.py", "Audit", ":material/fact_check:"))

st.set_page_config(page_title="Annotation workbench", page_icon=":material/label:", layout="wide")

pages = [
    st.Page("pages/projects.py", title="Projects", icon=":material/folder:", default=True),
    st.Page("pages/annotate.py", title="Annotate", icon=":material/edit:"),
    st.Page("pages/browse.py", title="Browse", icon=":material/search:"),
    st.Page("pages/progress.py", title="Progress", icon=":material/monitoring:"),
]
pages += [st.Page(path, title=title, icon=icon) for path, title, icon in OPTIONAL_PAGES if (ROOT / path).exists()]
navigation = st.navigation(pages)

with loaders.ui_store() as store:
    loaders.ensure_demo_once(store)
    sidebar.render(store)

loaders.mark_routed()
navigation.run()

"""Entry point: the page router and the shared sidebar, nothing else.

Run with ``streamlit run app.py`` (``make run``). The database is
``$WORKBENCH_DB`` or ``data/workbench.db``; an empty one gets the demo projects.
"""

from __future__ import annotations

import streamlit as st

from pages.ui import loaders, sidebar

st.set_page_config(page_title="Annotation workbench", page_icon=":material/label:", layout="wide")

pages = [
    st.Page("pages/projects.py", title="Projects", icon=":material/folder:", default=True),
    st.Page("pages/annotate.py", title="Annotate", icon=":material/edit:"),
    st.Page("pages/browse.py", title="Browse", icon=":material/search:"),
    st.Page("pages/progress.py", title="Progress", icon=":material/monitoring:"),
    st.Page("pages/active_learning.py", title="Active learning", icon=":material/model_training:"),
    st.Page("pages/audit.py", title="Audit", icon=":material/fact_check:"),
]
navigation = st.navigation(pages)

with loaders.ui_store() as store:
    loaders.ensure_demo_once(store)
    sidebar.render(store)

loaders.mark_routed()
navigation.run()

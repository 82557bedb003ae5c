"""Entry point: the page router and the shared sidebar, nothing else.

Run with ``streamlit run app.py`` (``make run``). The database is
``$WORKBENCH_DB`` or ``data/workbench.db``; an empty one gets the demo projects.
"""

from __future__ import annotations

import streamlit as st

from pages.ui import loaders, router, sidebar

st.set_page_config(page_title="Annotation workbench", page_icon=":material/label:", layout="wide")

navigation = router.navigation()

with loaders.ui_store() as store:
    loaders.ensure_demo_once(store)
    sidebar.render(store)

loaders.mark_routed()
navigation.run()

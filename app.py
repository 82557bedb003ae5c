"""Entry point: who is acting (sign-in), the page router and the shared sidebar, nothing else.

Run with ``streamlit run app.py`` (``make run``). The database is
``$WORKBENCH_DB`` or ``data/workbench.db``; an empty one gets the demo projects.
"""

from __future__ import annotations

import streamlit as st

from pages.ui import auth, loaders, router, sidebar

st.set_page_config(page_title="Annotation workbench", page_icon=":material/label:", layout="wide")

with loaders.ui_store() as store:
    loaders.ensure_demo_once(store)
    user = auth.gate(store)  # None: signed out, only the sign-in page is routed
    navigation = router.navigation(user)
    if user is not None:
        sidebar.render(store, user)

loaders.mark_routed()
navigation.run()

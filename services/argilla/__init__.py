"""Two-way sync with an Argilla server: push records, suggestions and scores; pull responses back.

See :mod:`services.argilla.mapping` for how a project maps onto a dataset, :mod:`~.push` and
:mod:`~.pull` for the sync, :mod:`~.server` for the local server ``make argilla`` runs.
"""

from services.argilla.connection import ArgillaClient, ArgillaSettings, connect, masked, resolve_settings
from services.argilla.pull import PullReport, pull
from services.argilla.push import PUSH_SETS, PushReport, push
from services.argilla.sync import link, retrain_if_due, start_pull, start_push, start_refresh, status

__all__ = [
    "PUSH_SETS", "ArgillaClient", "ArgillaSettings", "PullReport", "PushReport", "connect", "link", "masked", "pull",
    "push", "resolve_settings", "retrain_if_due", "start_pull", "start_push", "start_refresh",
    "status",
]

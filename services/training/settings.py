"""Changing a project's active-learning settings: one check for the page, the API and the CLI.

:class:`workbench.config.ProjectSettings` checks each value alone; this adds what needs the services:
the adapter must train the project's task (``logreg`` cannot do NER), the strategy must be registered,
and a new encoder or base model must be loadable now rather than at the next training.
"""

from __future__ import annotations

from typing import Any

from services.active_learning import STRATEGIES
from services.embeddings import resolve_model
from services.models import adapters_for
from workbench.config import ProjectSettings
from workbench.errors import ValidationError


def change_settings(store, project, changes: dict[str, Any]):
    """Validate ``changes`` against ``project`` and save them in one step; nothing is written on error.

    Parameters
    ----------
    store : Store
    project : Project
    changes : dict
        ``ProjectSettings`` fields and their new values; unknown names are refused with the valid ones.

    Returns
    -------
    Project
        The project as stored, with its new settings.
    """
    old = project.settings
    new = ProjectSettings.from_dict({**old.to_dict(), **changes})
    adapters = adapters_for(project.task)
    if new.adapter not in adapters:
        raise ValidationError(f"adapter {new.adapter!r} cannot train a {project.task} project; "
                              f"choose one of: {', '.join(adapters)}")
    if new.strategy not in STRATEGIES:
        raise ValidationError(f"unknown strategy {new.strategy!r}; choose one of: {', '.join(STRATEGIES)}")
    for name in ("encoder", "base_model"):
        if getattr(new, name) != getattr(old, name):
            resolve_model(getattr(new, name))  # a hub id without network or an unfetched encoder: refused now
    return store.update_project(project, settings=new)

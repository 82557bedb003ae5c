"""Which server folders a browser user may import from.

A path typed into the app is resolved (symlinks and ``..`` included) and must fall
inside one of the import folders: the project's ``data/`` folder and any listed in
``$WORKBENCH_IMPORT_DIRS`` (``os.pathsep``-separated). Anything else gets one neutral
error that does not say whether the path exists. The CLI is not confined: whoever runs
it can read the files anyway.
"""

from __future__ import annotations

import os
from pathlib import Path

from workbench import config
from workbench.errors import ValidationError

IMPORT_DIRS_ENV = "WORKBENCH_IMPORT_DIRS"


def import_dirs() -> list[Path]:
    """The resolved import folders, ``data/`` first."""
    extra = [p for p in os.environ.get(IMPORT_DIRS_ENV, "").split(os.pathsep) if p.strip()]
    return [Path(p).expanduser().resolve() for p in [config.DATA_DIR, *extra]]


def confine_to_import_dirs(path: str | Path) -> Path:
    """The resolved ``path`` when it lies inside an import folder.

    Raises
    ------
    ValidationError
        Outside every import folder (the same message whether or not it exists).
    """
    resolved = Path(path).expanduser()
    if not resolved.is_absolute():
        resolved = config.DATA_DIR / resolved  # relative paths are relative to data/
    resolved = resolved.resolve()
    if any(resolved == d or resolved.is_relative_to(d) for d in import_dirs()):
        return resolved
    raise ValidationError(
        "server paths must be inside the import folders (the data/ folder"
        f"{' and $' + IMPORT_DIRS_ENV if os.environ.get(IMPORT_DIRS_ENV) else ''}); upload the file instead, "
        f"or ask whoever runs the server to add its folder to {IMPORT_DIRS_ENV}")

"""One exception root for everything the workbench raises on purpose.

The UI and the CLI catch :class:`WorkbenchError` and show its message; any
other exception is a bug. Messages say what was expected, what was found and
how to fix it.
"""

from __future__ import annotations


class WorkbenchError(Exception):
    """Root of every error the workbench raises deliberately."""


class ValidationError(WorkbenchError, ValueError):
    """A value, form field or CLI argument is invalid."""


class DataFileError(ValidationError):
    """An imported file is malformed; the message names file, line and problem.

    Parameters
    ----------
    path : str
        File being read.
    line : int or None
        1-based line (or row) number where the problem is, if known.
    problem : str
        What is wrong and how to fix it.
    """

    def __init__(self, path: str, line: int | None, problem: str):
        self.path, self.line, self.problem = str(path), line, problem
        where = f"{self.path}, line {line}" if line is not None else self.path
        super().__init__(f"{where}: {problem}")


class NotFoundError(WorkbenchError, LookupError):
    """A named project, record, model version or job does not exist."""


class ConflictError(WorkbenchError):
    """The change clashes with existing state (duplicate name, running job...)."""


class OfflineError(WorkbenchError):
    """Something needed the network (a hub id, a package download) and there is none."""


class MissingDependencyError(WorkbenchError, ImportError):
    """An optional integration is not installed; the message gives the pip command."""


class PoolError(WorkbenchError):
    """Active learning cannot pick: the pool is empty or exhausted."""


class EmptyPoolError(PoolError):
    """There are no candidates at all."""


class PoolExhaustedError(PoolError):
    """Fewer candidates remain than the batch asks for."""


class JobError(WorkbenchError):
    """A background job failed; the previous model version stays in place."""


class UnknownNameError(ValidationError, NotFoundError):
    """A name looked up in a :class:`workbench.registry.Registry` is not registered; the message lists the valid ones."""


class AuthError(WorkbenchError):
    """A sign-in failed (unknown user, wrong password, disabled account, too many attempts) or a session
    is no longer valid. The message never says which of user or password was wrong."""


class PermissionDeniedError(WorkbenchError):
    """The signed-in user's role or project membership does not allow this action."""


class ArgillaError(WorkbenchError):
    """The Argilla server is unreachable, refused the key, or holds a dataset that does not fit the project.
    The message names the server URL (never the key) and the fix."""

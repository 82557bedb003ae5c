"""``python -m workbench``: the same functions the UI calls, from a shell.

Each ``commands_*.py`` module in this package exposes ``register(subparsers)``
that adds its sub-commands with ``set_defaults(func=handler)``; a handler takes
``(args, store)`` and returns an exit code (or None for 0). A
:class:`~workbench.errors.WorkbenchError` becomes a one-line message on stderr
and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
from pathlib import Path

from workbench.errors import WorkbenchError

EXIT_BAD_INPUT = 2
EXIT_BUG = 1


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as one line with exit code 2."""

    def error(self, message: str):  # noqa: D401 - argparse API
        self.exit(EXIT_BAD_INPUT, f"error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m workbench", description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="SQLite file (default: $WORKBENCH_DB or data/workbench.db)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    package_dir = Path(__file__).parent
    for info in sorted(pkgutil.iter_modules([str(package_dir)]), key=lambda i: i.name):
        if info.name.startswith("commands_"):
            importlib.import_module(f"{__name__}.{info.name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from workbench import jobs
    from workbench.store import open_store

    try:
        store = open_store(args.db)
        try:
            jobs.recover(store)  # a job killed earlier is marked failed before any command looks at it
            code = args.func(args, store)
        finally:
            store.close()
    except WorkbenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (`... | head`): not a failure of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so exit's flush does not raise again
        return 0
    except Exception as exc:  # a bug, not bad input: still one line, never a traceback (unless asked for)
        if os.environ.get("WORKBENCH_DEBUG"):
            raise
        print(f"error: unexpected failure ({type(exc).__name__}: {str(exc)[:200]}); this is a bug, please report "
              "it with the command you ran (WORKBENCH_DEBUG=1 shows the traceback)", file=sys.stderr)
        return EXIT_BUG
    return int(code or 0)

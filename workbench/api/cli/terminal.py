"""What the CLI shows beside its results: a progress bar on stderr, so stdout stays the result alone."""

from __future__ import annotations

import shutil
import sys

#: characters of the bar itself; the whole line is "[bar] 100% message"
WIDTH = 30
#: the fewest characters of message shown, however narrow the terminal
MIN_MESSAGE_WIDTH = 20


def say(message: str) -> None:
    """One line of news on stderr (a phase, a download), so stdout stays the result alone."""
    print(message, file=sys.stderr, flush=True)


def message_width() -> int:
    """Characters left for the message on one terminal line (``COLUMNS`` or the terminal's width, 100 when
    there is none): a longer message is cut, as a line that wraps cannot be redrawn in place."""
    return max(MIN_MESSAGE_WIDTH, shutil.get_terminal_size((100, 24)).columns - WIDTH - 9)


class ProgressBar:
    """A one-line bar on stderr redrawn in place; usable as a :data:`~workbench.types.ProgressFn`.

    As a context manager it ends its line on the way out, also when the command fails, so an error
    message starts on a line of its own. ``enabled=False`` draws nothing (e.g. under ``--json``).
    """

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self.drawn = False

    def __call__(self, fraction: float, message: str) -> None:
        if not self.enabled:
            return
        fraction = min(max(float(fraction), 0.0), 1.0)
        filled = int(round(fraction * WIDTH))
        room = message_width()
        text = message if len(message) <= room else message[:room - 3] + "..."
        print(f"\r[{'#' * filled}{' ' * (WIDTH - filled)}] {fraction:4.0%} {text:<{room}}", end="",
              file=sys.stderr, flush=True)
        self.drawn = True

    def close(self) -> None:
        """End the bar's line if one was drawn."""
        if self.drawn:
            print("", file=sys.stderr, flush=True)
            self.drawn = False

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

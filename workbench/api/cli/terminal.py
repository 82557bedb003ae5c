"""What the CLI shows beside its results: a progress bar on stderr, so stdout stays the result alone."""

from __future__ import annotations

import sys

#: characters of the bar itself, and of the message after it (longer ones are cut so the line never wraps,
#: which would break redrawing it in place)
WIDTH, MESSAGE_WIDTH = 30, 60


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
        text = message if len(message) <= MESSAGE_WIDTH else message[:MESSAGE_WIDTH - 3] + "..."
        print(f"\r[{'#' * filled}{' ' * (WIDTH - filled)}] {fraction:4.0%} {text:<{MESSAGE_WIDTH}}", end="",
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

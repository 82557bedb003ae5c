"""``python -m workbench ...``: an interfaces-layer entry point that dispatches to the CLI."""

import sys

from workbench.api.cli import main

sys.exit(main())

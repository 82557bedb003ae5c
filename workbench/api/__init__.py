"""Interfaces layer inside the package: the public Python API and, in ``cli/``, the command line.

>>> from workbench import api
>>> wb = api.connect("data/workbench.db")
>>> item = wb.next("Movie reviews", "alice")
>>> wb.label("Movie reviews", item.id, "alice", "fresh")
"""

from workbench.api.facade import Item, Workbench, connect

__all__ = ["Item", "Workbench", "connect"]

"""CSV injection (OWASP): cells a spreadsheet could run as a formula get a leading ``'``.

Every cell of a CSV/TSV export is checked, headers included. A cell is neutralised
when, after any quotes it already starts with, its first character is a formula
trigger (``= + - @`` and their full-width forms ``＝ ＋ － ＠ ﹦``, ``|``, ``;``) or
a blank a spreadsheet may skip before one (space, TAB, CR, LF, NBSP, BOM, zero-width
space). Files this project writes carry :data:`MARKER_COLUMN`; only such files are
un-neutralised on import, so characters are never stripped from someone else's CSV.
"""

from __future__ import annotations

#: characters that start a formula in common spreadsheets (OWASP, plus full-width and small forms)
TRIGGERS = frozenset("=+-@\uff1d\uff0b\uff0d\uff20\ufe66|;")
#: characters a spreadsheet may skip or act on before a trigger
BLANKS = frozenset(" \t\r\n\u00a0\ufeff\u200b")
#: last header cell of every CSV/TSV export (cells empty): "this file was neutralised by us"
MARKER_COLUMN = "workbench_neutralised_csv"


def neutralise(cell: str) -> str:
    """``cell`` with a leading ``'`` when it is formula-like (see the module docstring).

    Cells that already start with quotes then such a character get one more quote, so
    :func:`unneutralise`, which drops exactly one, restores every cell exactly.
    """
    rest = cell.lstrip("'")
    return "'" + cell if rest and (rest[0] in TRIGGERS or rest[0] in BLANKS) else cell


def unneutralise(cell: str) -> str:
    """Undo :func:`neutralise` (for files with :data:`MARKER_COLUMN` only)."""
    return cell[1:] if cell.startswith("'") and neutralise(cell[1:]) == cell else cell

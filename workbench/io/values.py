"""Values read from data files, made safe to store: JSON-ready, valid Unicode, bounded nesting.

Readers hand over whatever the file holds: Parquet and HF columns of any Arrow type
(timestamps, dates, times, durations, decimals, binary), JSON nested thousands deep,
strings with a lone UTF-16 surrogate from a broken ``\\ud800`` escape. :func:`json_safe`
converts the first kind (metadata is stored, never refused for its type) and refuses
the others with a :class:`ValueError` whose message the importer puts after
"file, line N:".
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import re
from typing import Any

MAX_DEPTH = 64
_SURROGATE = re.compile("[\ud800-\udfff]")


def check_text(value: str, what: str) -> str:
    """``value`` when it is valid Unicode; a ValueError naming the first unpaired surrogate otherwise."""
    bad = _SURROGATE.search(value)
    if bad:
        raise ValueError(f"{what} holds an unpaired UTF-16 surrogate \\u{ord(bad.group()):04x} at character "
                         f"{bad.start() + 1} (a broken \\u escape); fix or remove it")
    return value


def json_safe(value: Any, what: str = "metadata", _depth: int = 0) -> Any:
    """``value`` as JSON-ready Python (str/int/float/bool/None, lists, str-keyed dicts).

    Dates and times become ISO-8601 strings, durations seconds (float), decimals their exact
    text, binary base64 text; non-finite floats stay floats (stored as JSON ``NaN``/``Infinity``).

    Raises
    ------
    ValueError
        Nesting deeper than :data:`MAX_DEPTH`, a lone surrogate, or a type with no JSON form.
    """
    if _depth > MAX_DEPTH:
        raise ValueError(f"{what} is nested deeper than {MAX_DEPTH} levels; flatten it")
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        return check_text(value, what)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, dict):
        return {check_text(str(k), f"{what} key"): json_safe(v, what, _depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v, what, _depth + 1) for v in value]
    raise ValueError(f"{what} of type {type(value).__name__} has no JSON form; convert the column to text")

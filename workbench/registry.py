"""The one registry shape for pluggable things (adapters, strategies, formats, sources, audit models).

Every registry maps a name to an entry; an unknown name raises
:class:`~workbench.errors.UnknownNameError` listing the valid names, so every
"unknown ...; valid: ..." message in the product reads the same.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

from workbench.errors import ConflictError, UnknownNameError

T = TypeVar("T")


class Registry(Generic[T]):
    """Name -> entry, in registration order.

    Parameters
    ----------
    kind : str
        What the entries are, for messages: ``"model"``, ``"query strategy"``.
    """

    def __init__(self, kind: str):
        self.kind = kind
        self._entries: dict[str, T] = {}

    def register(self, name: str, entry: T | None = None, *, replace: bool = False):
        """Add ``entry`` under ``name``; without ``entry``, return a decorator that registers what it wraps."""
        if entry is None:
            def wrap(obj):
                self.register(name, obj, replace=replace)
                return obj
            return wrap
        if name in self._entries and not replace:
            raise ConflictError(f"{self.kind} {name!r} is already registered")
        self._entries[name] = entry
        return entry

    def get(self, name: str) -> T:
        """The entry called ``name``; :class:`UnknownNameError` listing the valid names otherwise."""
        try:
            return self._entries[name]
        except (KeyError, TypeError):
            raise UnknownNameError(f"unknown {self.kind} {name!r}; valid: {', '.join(self.names()) or '(none)'}") \
                from None

    def names(self) -> list[str]:
        return list(self._entries)

    def items(self) -> list[tuple[str, T]]:
        return list(self._entries.items())

    def values(self) -> list[T]:
        return list(self._entries.values())

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._entries))

    def __len__(self) -> int:
        return len(self._entries)

    def __getitem__(self, name: str) -> T:
        return self.get(name)

    @contextmanager
    def scoped(self) -> Iterator[Registry[T]]:
        """Registrations made inside the block are undone at its end (tests register throw-away entries)."""
        saved = dict(self._entries)
        try:
            yield self
        finally:
            self._entries = saved

    def where(self, test: Callable[[T], bool]) -> list[str]:
        """Names whose entry passes ``test`` (e.g. adapters that support a task)."""
        return [name for name, entry in self._entries.items() if test(entry)]


def one_of(value: object, valid: Iterable[str], what: str) -> str:
    """``value`` when it is one of ``valid`` (a fixed set: tasks, statuses, kinds), else :class:`UnknownNameError`
    in the registry's words: ``unknown task 'x'; valid: classification, multilabel, ner``."""
    valid = list(valid)
    if value not in valid:
        raise UnknownNameError(f"unknown {what} {value!r}; valid: {', '.join(valid)}")
    return value  # type: ignore[return-value]

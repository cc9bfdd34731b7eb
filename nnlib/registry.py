"""Name -> factory tables: adding an activation or an optimizer is one line, and the UI lists what they hold."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Entry:
    """One choice a student can make, with the words and formula the lecture uses for it."""

    name: str
    factory: Callable[..., Any]
    label: str
    description: str
    formula: str = ""
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def help(self) -> str:
        """Tooltip text: one sentence plus the formula when there is one."""
        return f"{self.description} Formula: {self.formula}" if self.formula else self.description

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "label": self.label, "description": self.description,
                "formula": self.formula, "params": dict(self.params)}


class Registry(Mapping[str, Entry]):
    """An ordered, read-mostly table of entries; order is the order the UI shows them in."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, Entry] = {}

    def add(self, name: str, factory: Callable[..., Any], description: str, formula: str = "",
            label: str | None = None, **params: Any) -> None:
        if name in self._entries:
            raise ValueError(f"{self.kind} {name!r} is registered twice")
        self._entries[name] = Entry(name, factory, label or name, description, formula, params)

    def __getitem__(self, name: str) -> Entry:
        try:
            return self._entries[name]
        except KeyError:
            raise KeyError(f"unknown {self.kind} {name!r}; choose one of: {', '.join(self._entries)}") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def names(self) -> list[str]:
        return list(self._entries)

    def to_json(self) -> list[dict[str, Any]]:
        return [e.to_json() for e in self._entries.values()]

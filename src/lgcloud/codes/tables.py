"""Versioned code tables loaded from the YAML files in ``lgcloud/codes/data``.

Codes are zero-padded strings, never ints: the loader refuses a table whose codes YAML parsed as numbers (an
unquoted ``01`` would silently become 1) or whose codes differ in width.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any

import yaml

from lgcloud.codes.errors import CodesError

#: Table file names, and the Japanese titles accepted as aliases by `code_table`.
TABLE_NAMES = ("era", "sex", "resident_type", "resident_status", "idou_reason", "zokugara")


@dataclass(frozen=True)
class CodeEntry:
    code: str
    name: str
    #: Every other key of the entry in the data file (e.g. ``class`` of an 異動事由).
    attrs: Mapping[str, Any] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Any:
        return self.attrs[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.attrs.get(key, default)


@dataclass(frozen=True)
class CodeTable:
    name: str
    title: str
    version: str
    source: str
    entries: tuple[CodeEntry, ...]
    #: Top-level keys other than the standard ones (e.g. ``forbidden`` of 続柄).
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __iter__(self) -> Iterator[CodeEntry]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def __contains__(self, code: object) -> bool:
        return any(e.code == code for e in self.entries)

    def codes(self) -> tuple[str, ...]:
        return tuple(e.code for e in self.entries)

    def get(self, code: str) -> CodeEntry:
        """The entry for ``code``; raises `CodesError` for an unknown code."""
        for entry in self.entries:
            if entry.code == code:
                return entry
        raise CodesError(f"{self.title}コード {code!r} はありません", code="codes-unknown-code", table=self.name)

    def label(self, code: str) -> str:
        return self.get(code).name

    def by_name(self, name: str) -> list[CodeEntry]:
        """Entries with this name (a list: 改製 is both a 記載 and a 消除 事由)."""
        return [e for e in self.entries if e.name == name]


def _entry(raw: Mapping[str, Any], table: str) -> CodeEntry:
    code, name = raw.get("code"), raw.get("name")
    if not isinstance(code, str) or not code.isascii() or not code.isdigit():
        raise CodesError(f"{table}: code {code!r} must be a quoted digit string", code="codes-bad-table")
    if not isinstance(name, str) or not name:
        raise CodesError(f"{table}: code {code} has no name", code="codes-bad-table")
    attrs = {k: v for k, v in raw.items() if k not in ("code", "name")}
    return CodeEntry(code=code, name=name, attrs=MappingProxyType(attrs))


def _check_table(table: CodeTable) -> None:
    codes = table.codes()
    if len(set(codes)) != len(codes):
        raise CodesError(f"{table.name}: duplicate codes", code="codes-bad-table")
    if len({len(c) for c in codes}) != 1:
        raise CodesError(f"{table.name}: codes must share one width", code="codes-bad-table")
    if not table.version or not table.source:
        raise CodesError(f"{table.name}: version and source are required", code="codes-bad-table")


def _load(name: str) -> CodeTable:
    text = resources.files("lgcloud.codes").joinpath("data", f"{name}.yaml").read_text(encoding="utf-8")
    raw = yaml.safe_load(text)
    standard = ("name", "title", "version", "source", "entries")
    table = CodeTable(
        name=raw["name"],
        title=raw["title"],
        version=str(raw.get("version") or ""),
        source=str(raw.get("source") or ""),
        entries=tuple(_entry(e, name) for e in raw["entries"]),
        extra=MappingProxyType({k: v for k, v in raw.items() if k not in standard}),
    )
    _check_table(table)
    return table


@cache
def _tables() -> Mapping[str, CodeTable]:
    return {name: _load(name) for name in TABLE_NAMES}


def code_table(name: str) -> CodeTable:
    """A code table by file name (``"zokugara"``) or Japanese title (``"続柄"``)."""
    tables = _tables()
    if name in tables:
        return tables[name]
    for table in tables.values():
        if table.title == name:
            return table
    raise CodesError(f"コード表 {name!r} はありません", code="codes-unknown-table", known=list(TABLE_NAMES))


def all_code_tables() -> tuple[CodeTable, ...]:
    return tuple(_tables().values())

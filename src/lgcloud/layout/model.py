"""Layouts as data: the YAML format, loaded into small frozen dataclasses.

A *layout* describes the logical content of a migration (files, items, keys, references, rules); a
*dialect* (:mod:`lgcloud.layout.dialect`) describes how one source wrote it down (encoding, CSV or
fixed-length, dates). ``load_layout("juki")`` loads a built-in layout; ``load_layout(path)`` any file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from lgcloud.layout.schema import LayoutError, schema_errors

BUILTIN_DIR = Path(__file__).parent / "layouts"


@dataclass(frozen=True)
class Item:
    name: str  # データ項目名称
    type: str
    length: int | None = None  # 桁数
    min_length: int | None = None
    length_unit: str = "chars"  # chars | bytes (bytes of the source encoding)
    width: int | None = None  # fixed-length field width in bytes
    required: bool = False
    gaiji: bool = False  # 外字使用の有無
    code: str | None = None
    pattern: str | None = None
    check_digit: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    date_style: str | None = None
    unknown_allowed: bool = False
    non_calendar_allowed: bool = False
    sensitive: bool = False
    description: str = ""
    id: str | None = None
    source: str = ""

    def fixed_width(self, date_style: str = "seireki") -> int:
        """Bytes this item takes in a fixed-length record: ``width``, else derived from the type and 桁数
        (dates: 8/10/7/8 bytes by style; flags 1; otherwise 桁数 bytes, or 2 × 桁数 for 桁数 in characters)."""
        if self.width:
            return self.width
        if self.type == "date":
            return {"seireki": 8, "seireki-sep": 10, "wareki1": 7, "wareki2": 8}[self.date_style or date_style]
        if self.type == "flag":
            return 1
        if self.length is None:
            raise LayoutError(f"項目「{self.name}」に固定長の幅(width)がありません", code="layout-no-width")
        return self.length if self.length_unit == "bytes" else self.length * 2


@dataclass(frozen=True)
class Condition:
    item: str
    values: tuple[str, ...] | None = None
    negate: bool = False
    present: bool | None = None


@dataclass(frozen=True)
class Rule:
    id: str
    type: str
    title: str = ""
    when: Condition | None = None
    items: tuple[str, ...] = ()
    item: str | None = None
    group_by: tuple[str, ...] = ()
    latest_key: tuple[str, ...] = ()
    latest_order: str | None = None
    where: Condition | None = None
    count: Condition | None = None
    min: int | None = None
    max: int | None = None
    start: int = 1

    def touched_items(self) -> set[str]:
        names = set(self.items) | set(self.group_by) | set(self.latest_key)
        for extra in (self.item, self.latest_order):
            if extra:
                names.add(extra)
        for cond in (self.when, self.where, self.count):
            if cond:
                names.add(cond.item)
        return names


@dataclass(frozen=True)
class Reference:
    items: tuple[str, ...]
    file: str
    target: tuple[str, ...]
    id: str = ""


@dataclass(frozen=True)
class FileSpec:
    name: str
    title: str
    items: tuple[Item, ...]
    description: str = ""
    match: tuple[str, ...] = ()
    primary_key: tuple[str, ...] = ()
    references: tuple[Reference, ...] = ()
    rules: tuple[Rule, ...] = ()

    @property
    def names(self) -> list[str]:
        return [i.name for i in self.items]

    def item(self, name: str) -> Item:
        for it in self.items:
            if it.name == name:
                return it
        raise KeyError(name)


@dataclass(frozen=True)
class CodeTable:
    name: str
    values: dict[str, str]
    title: str = ""
    source: str = ""


@dataclass(frozen=True)
class Layout:
    name: str
    version: str
    title: str
    files: tuple[FileSpec, ...]
    code_tables: dict[str, CodeTable] = field(default_factory=dict)
    dialects: dict[str, dict[str, Any]] = field(default_factory=dict)
    description: str = ""

    def file(self, name: str) -> FileSpec:
        for f in self.files:
            if f.name == name:
                return f
        raise LayoutError(f"レイアウト「{self.name}」にファイル「{name}」はありません", code="layout-unknown-file")


def _cond(raw: dict[str, Any] | None) -> Condition | None:
    if raw is None:
        return None
    if "in" in raw:
        return Condition(raw["item"], tuple(raw["in"]))
    if "not_in" in raw:
        return Condition(raw["item"], tuple(raw["not_in"]), negate=True)
    return Condition(raw["item"], present=raw.get("present", True))


def _rule(raw: dict[str, Any]) -> Rule:
    latest = raw.get("latest") or {}
    equals = raw.get("equals")
    return Rule(
        id=raw["id"],
        type=raw["type"],
        title=raw.get("title", ""),
        when=_cond(raw.get("when")),
        items=tuple(raw.get("items", ())),
        item=raw.get("item"),
        group_by=tuple(raw.get("group_by", ())),
        latest_key=tuple(latest.get("key", ())),
        latest_order=latest.get("order"),
        where=_cond(raw.get("where")),
        count=_cond(raw.get("count")),
        min=equals if equals is not None else raw.get("min"),
        max=equals if equals is not None else raw.get("max"),
        start=raw.get("start", 1),
    )


def _file(raw: dict[str, Any]) -> FileSpec:
    return FileSpec(
        name=raw["name"],
        title=raw["title"],
        description=raw.get("description", ""),
        match=tuple(raw.get("match", ())),
        items=tuple(Item(**it) for it in raw["items"]),
        primary_key=tuple(raw.get("primary_key", ())),
        references=tuple(
            Reference(tuple(r["items"]), r["file"], tuple(r["target"]), r.get("id", ""))
            for r in raw.get("references", ())
        ),
        rules=tuple(_rule(r) for r in raw.get("rules", ())),
    )


def _semantic_errors(layout: Layout) -> list[str]:
    errors: list[str] = []
    files = {f.name: f for f in layout.files}
    if len(files) != len(layout.files):
        errors.append("files: file names must be unique")
    for fi, f in enumerate(layout.files):
        where = f"files[{fi}] ({f.name})"
        names = f.names
        if len(set(names)) != len(names):
            dupes = sorted({n for n in names if names.count(n) > 1})
            errors.append(f"{where}.items: duplicate item names {dupes}")
        for it in f.items:
            if it.code and it.code not in layout.code_tables:
                errors.append(f"{where}.items[{it.name}].code: unknown code table '{it.code}'")
            if it.type == "code" and not it.code:
                errors.append(f"{where}.items[{it.name}]: type 'code' needs a 'code' table")
            if it.pattern:
                try:
                    re.compile(it.pattern)
                except re.error as exc:
                    errors.append(f"{where}.items[{it.name}].pattern: invalid regular expression ({exc})")
        for key in f.primary_key:
            if key not in names:
                errors.append(f"{where}.primary_key: unknown item '{key}'")
        for ri, ref in enumerate(f.references):
            errors += _reference_errors(f"{where}.references[{ri}]", ref, names, files)
        for ri, rule in enumerate(f.rules):
            for n in sorted(rule.touched_items() - set(names)):
                errors.append(f"{where}.rules[{ri}] ({rule.id}): unknown item '{n}'")
            errors += _rule_shape_errors(f"{where}.rules[{ri}] ({rule.id})", rule)
    return errors


def _reference_errors(where: str, ref: Reference, names: list[str], files: dict[str, FileSpec]) -> list[str]:
    errors = [f"{where}.items: unknown item '{n}'" for n in ref.items if n not in names]
    target = files.get(ref.file)
    if target is None:
        return [*errors, f"{where}.file: unknown file '{ref.file}'"]
    errors += [f"{where}.target: unknown item '{n}' in '{ref.file}'" for n in ref.target if n not in target.names]
    if len(ref.items) != len(ref.target):
        errors.append(f"{where}: 'items' and 'target' must have the same length")
    return errors


_RULE_NEEDS = {
    "required_if": ("when", "items"),
    "date_order": ("items",),
    "group_count": ("group_by", "count"),
    "sequence": ("group_by", "item"),
    "unique": ("items",),
}


def _rule_shape_errors(where: str, rule: Rule) -> list[str]:
    errors = [f"{where}: rule type '{rule.type}' needs '{need}'" for need in _RULE_NEEDS[rule.type]
              if not getattr(rule, need)]
    if rule.type == "group_count" and rule.min is None and rule.max is None:
        errors.append(f"{where}: group_count needs 'equals', 'min' or 'max'")
    if rule.type == "date_order" and len(rule.items) < 2:
        errors.append(f"{where}: date_order needs at least two items")
    return errors


def parse_layout(data: Any, source: str = "<layout>") -> Layout:
    """Build a :class:`Layout` from already-parsed YAML/JSON; raise :class:`LayoutError` listing every problem."""
    problems = schema_errors(data)
    if not problems:
        layout = Layout(
            name=data["layout"],
            version=data["version"],
            title=data["title"],
            description=data.get("description", ""),
            files=tuple(_file(f) for f in data["files"]),
            code_tables={
                k: CodeTable(k, {str(c): str(v) for c, v in t["values"].items()}, t.get("title", ""),
                             t.get("source", ""))
                for k, t in (data.get("code_tables") or {}).items()
            },
            dialects=dict(data.get("dialects") or {}),
        )
        problems = _semantic_errors(layout)
    if problems:
        text = "\n".join(f"  - {p}" for p in problems)
        raise LayoutError(f"レイアウト定義 {source} に誤りがあります:\n{text}", problems=problems)
    return layout


def builtin_layouts() -> list[str]:
    return sorted(p.stem for p in BUILTIN_DIR.glob("*.yaml"))


def load_layout(name_or_path: str | Path) -> Layout:
    """Load a built-in layout by name (``"juki"``) or a layout YAML file by path."""
    path = Path(name_or_path)
    if not path.suffix and (BUILTIN_DIR / f"{name_or_path}.yaml").exists():
        path = BUILTIN_DIR / f"{name_or_path}.yaml"
    if not path.exists():
        raise LayoutError(
            f"レイアウト「{name_or_path}」が見つかりません(組込み: {', '.join(builtin_layouts())})",
            code="layout-not-found",
        )
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise LayoutError(f"レイアウト定義 {path} はYAMLとして読めません: {exc}") from exc
    return parse_layout(data, str(path))

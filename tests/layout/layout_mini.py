"""Helpers for layout tests: a small layout touching every rule type, and a validate-a-string shortcut."""

from __future__ import annotations

from pathlib import Path

from lgcloud.codes import mynumber_check_digit
from lgcloud.layout import Dialect, Layout, ValidationResult, Validator, parse_layout

MINI = {
    "layout": "mini",
    "version": "1",
    "title": "mini",
    "code_tables": {"性別": {"values": {"1": "男", "2": "女"}}, "続柄": {"values": {"02": "世帯主", "20": "子"}}},
    "files": [
        {
            "name": "people",
            "title": "人",
            "primary_key": ["番号"],
            "references": [{"items": ["世帯"], "file": "homes", "target": ["世帯"]}],
            "rules": [
                {"id": "woman-needs-post", "type": "required_if", "when": {"item": "性別", "in": ["2"]},
                 "items": ["郵便"]},
                {"id": "born-first", "type": "date_order", "items": ["生年月日", "届出日"]},
                {"id": "one-head", "type": "group_count", "group_by": ["世帯"],
                 "count": {"item": "続柄", "in": ["02"]}, "equals": 1},
            ],
            "items": [
                {"name": "番号", "type": "digits", "length": 12, "required": True, "check_digit": "mynumber",
                 "sensitive": True},
                {"name": "氏名", "type": "text", "length": 10, "required": True, "gaiji": True},
                {"name": "カナ", "type": "kana", "length": 20},
                {"name": "性別", "type": "code", "code": "性別"},
                {"name": "生年月日", "type": "date"},
                {"name": "届出日", "type": "date"},
                {"name": "住所", "type": "text", "length": 9, "length_unit": "bytes"},
                {"name": "郵便", "type": "string", "pattern": "[0-9]{3}-[0-9]{4}"},
                {"name": "人数", "type": "integer", "minimum": 1, "maximum": 9},
                {"name": "世帯", "type": "digits", "length": 4},
                {"name": "続柄", "type": "code", "code": "続柄"},
            ],
        },
        {"name": "homes", "title": "世帯", "primary_key": ["世帯"],
         "items": [{"name": "世帯", "type": "digits", "length": 4, "required": True}]},
    ],
}
HEADER = "番号,氏名,カナ,性別,生年月日,届出日,住所,郵便,人数,世帯,続柄"
GOOD = "123456789018,山田太郎,ヤマダ　タロウ,1,19800101,20200101,東京都,100-0001,2,1000,02"


def num(i: int) -> str:
    """A distinct valid 個人番号 (synthetic)."""
    body = f"{i:011d}"
    return body + mynumber_check_digit(body)


def row(**changes: str) -> str:
    """The good row with some fields changed (by item name); a household member (続柄 20) unless given."""
    names = HEADER.split(",")
    values = dict(zip(names, GOOD.split(","), strict=True))
    values.update({"続柄": "20", **changes})
    return ",".join(values[n] for n in names)


def mini_layout() -> Layout:
    return parse_layout(MINI)


def validate_text(layout: Layout, tmp_path: Path, people: list[str] | bytes, *, homes: str = "世帯\n1000\n",
                  dialect: Dialect | None = None, gaiji: dict[str, str] | None = None,
                  batch_bytes: int = 16 << 20) -> ValidationResult:
    dialect = dialect or Dialect(encoding="cp932")
    data = people if isinstance(people, bytes) else ("\n".join([HEADER, *people]) + "\n").encode(dialect.codec)
    (tmp_path / "people.csv").write_bytes(data)
    (tmp_path / "homes.csv").write_bytes(homes.encode(dialect.codec))
    validator = Validator(layout, dialect, gaiji or {}, batch_bytes=batch_bytes)
    return validator.validate([(layout.file("people"), tmp_path / "people.csv"),
                               (layout.file("homes"), tmp_path / "homes.csv")])


def triples(result: ValidationResult) -> set[tuple[int, str | None, str]]:
    return {(r["line"], r["item"], r["rule"]) for r in result.errors.iter_rows(named=True)}

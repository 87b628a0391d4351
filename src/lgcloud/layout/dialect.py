"""Physical dialects: how one source system wrote a layout down.

A dialect is independent of the layout's content: the same ``juki`` layout can arrive as UTF-8 CSV with a
header from one vendor and as header-less cp932 fixed-length records with 和暦 dates from another.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from lgcloud.layout.schema import DATE_STYLES, ENCODINGS, LayoutError

#: Python codec names for the encodings a dialect may name.
PY_CODECS = {
    "utf-8": "utf-8",
    "utf-8-sig": "utf-8",  # the BOM is skipped by the reader, not by the codec
    "cp932": "cp932",
    "shift_jis_2004": "shift_jis_2004",
    "euc-jis-2004": "euc_jis_2004",
}


@dataclass(frozen=True)
class Dialect:
    format: str = "csv"  # csv | tsv | fixed
    encoding: str = "utf-8"
    header: bool = True
    delimiter: str = ","
    quote: str | None = '"'
    line_end: str = "lf"  # lf | crlf | none (fixed-length records only)
    date_style: str = "seireki"
    pad: str = "space"  # fixed-length: values padded with (half- or full-width) spaces on the right
    description: str = ""

    @property
    def codec(self) -> str:
        return PY_CODECS[self.encoding]

    @property
    def sep(self) -> str:
        return "\t" if self.format == "tsv" else self.delimiter

    @property
    def newline(self) -> bytes:
        return {"lf": b"\n", "crlf": b"\r\n", "none": b""}[self.line_end]

    def with_options(self, **options: Any) -> Dialect:
        clean = {k: v for k, v in options.items() if v is not None}
        if "encoding" in clean and clean["encoding"] not in ENCODINGS:
            raise LayoutError(f"未対応の文字コードです: {clean['encoding']}(対応: {', '.join(ENCODINGS)})",
                              code="dialect-invalid")
        if "date_style" in clean and clean["date_style"] not in DATE_STYLES:
            raise LayoutError(f"未対応の日付形式です: {clean['date_style']}", code="dialect-invalid")
        dialect = replace(self, **clean)
        if dialect.format == "tsv":
            dialect = replace(dialect, delimiter="\t")
        if dialect.format != "fixed" and dialect.line_end == "none":
            raise LayoutError("CSV/TSV には改行が必要です(line_end: none は固定長のみ)", code="dialect-invalid")
        return dialect


def dialect_from_mapping(raw: dict[str, Any]) -> Dialect:
    import jsonschema

    from lgcloud.layout.schema import DIALECT_SCHEMA

    try:
        jsonschema.validate(raw, DIALECT_SCHEMA)
    except jsonschema.ValidationError as exc:
        raise LayoutError(f"方言(dialect)の定義に誤りがあります: {exc.message}", code="dialect-invalid") from exc
    return Dialect().with_options(**raw)


def resolve_dialect(layout_dialects: dict[str, dict[str, Any]], spec: str | None, **overrides: Any) -> Dialect:
    """A dialect by name (from the layout's ``dialects``), by YAML path, or the layout's ``default``."""
    if spec is None:
        base = dialect_from_mapping(layout_dialects.get("default", {}))
    elif spec in layout_dialects:
        base = dialect_from_mapping(layout_dialects[spec])
    elif Path(spec).exists():
        base = dialect_from_mapping(yaml.safe_load(Path(spec).read_text(encoding="utf-8")) or {})
    else:
        names = ", ".join(sorted(layout_dialects))
        raise LayoutError(f"方言「{spec}」が見つかりません(定義済み: {names})", code="dialect-not-found")
    return base.with_options(**overrides)

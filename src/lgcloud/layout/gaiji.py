"""Vendor 外字 mapping files (CSV) → the ``dict[str, str]`` the validator takes.

In the application the tenant's mapping comes from the moji package
(``lgcloud.moji.service.load_mapping(session, lg_code, source_system)``: source character → MJ glyph). For
offline validation the same mapping is read from a CSV file, either

- the moji import/export format (``source_system, source_kind, source_code, mj_code, status, …``; only
  ``confirmed`` rows count when a ``status`` column is present; optionally filtered by ``source_system``), or
- a simple two-column file: a key column — ``char`` (the PUA character), ``ucs`` (``U+E000``) or
  ``vendor_code`` (cp932 ``F040``) — and ``mj_code``.
"""

from __future__ import annotations

import csv
from pathlib import Path

from lgcloud.layout.codec import normalise_gaiji_key
from lgcloud.layout.schema import LayoutError

KEY_COLUMNS = ("char", "ucs", "vendor_code")


def _moji_rows(rows: list[dict[str, str]], source_system: str | None) -> dict[str, str]:
    from lgcloud.moji.gaiji import parse_source

    out = {}
    for row in rows:
        if source_system and row.get("source_system", "").strip() != source_system:
            continue
        if row.get("status", "confirmed").strip() not in ("confirmed", "確定"):
            continue
        out[parse_source(row["source_kind"], row["source_code"]).char] = row["mj_code"].strip()
    return out


def load_gaiji_csv(path: str | Path, source_system: str | None = None) -> dict[str, str]:
    """Read a 外字 mapping CSV (UTF-8, with or without BOM) into ``{source character: MJ code}``."""
    with Path(path).open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        fields = reader.fieldnames or []
        rows = list(reader)
    if {"source_kind", "source_code", "mj_code"} <= set(fields):
        return _moji_rows(rows, source_system)
    key = next((k for k in KEY_COLUMNS if k in fields), None)
    if key is None or "mj_code" not in fields:
        raise LayoutError(
            f"外字対応表 {path} の列が不正です: source_kind/source_code/mj_code(moji 形式)、"
            f"または {'/'.join(KEY_COLUMNS)} のいずれかと mj_code が必要です",
            code="gaiji-map-invalid",
        )
    return {normalise_gaiji_key(row[key]): row["mj_code"].strip() for row in rows if row[key]}

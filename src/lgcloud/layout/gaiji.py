"""Vendor 外字 mapping files (CSV) → the ``dict[str, str]`` the validator takes.

The tenant's mapping normally comes from the moji package (``lgcloud.moji.load_mapping(session, lg_code,
source_system)``); this reads the same mapping from a CSV file for offline validation. Columns: one key
column — ``char`` (the PUA character), ``ucs`` (``U+E000``) or ``vendor_code`` (cp932 ``F040``) — and
``mj_code`` (e.g. ``MJ012345``). Extra columns are ignored.
"""

from __future__ import annotations

import csv
from pathlib import Path

from lgcloud.layout.codec import normalise_gaiji_key
from lgcloud.layout.schema import LayoutError

KEY_COLUMNS = ("char", "ucs", "vendor_code")


def load_gaiji_csv(path: str | Path) -> dict[str, str]:
    with Path(path).open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        fields = reader.fieldnames or []
        key = next((k for k in KEY_COLUMNS if k in fields), None)
        if key is None or "mj_code" not in fields:
            raise LayoutError(f"外字対応表 {path} には mj_code 列と {'/'.join(KEY_COLUMNS)} のいずれかの列が必要です",
                              code="gaiji-map-invalid")
        return {normalise_gaiji_key(row[key]): row["mj_code"].strip() for row in reader if row[key]}

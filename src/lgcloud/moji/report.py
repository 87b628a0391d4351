"""What `lgcloud moji show`, the API and the 文字コード照会 page tell about one character."""

from __future__ import annotations

from typing import Any


def codepoints(text: str) -> str:
    return " ".join(f"U+{ord(c):04X}" for c in text)


def describe(query: str) -> dict[str, Any] | None:
    """Everything `show` prints about one query (also used by the web API)."""
    from lgcloud.moji.degrade import degrade_record
    from lgcloud.moji.index import get_index
    from lgcloud.moji.matching import key_group, matching_key

    index = get_index()
    found = index.lookup_all(query)
    if not found:
        return None
    rec = found[0]
    to0208, to0213 = degrade_record(rec), degrade_record(rec, "jisx0213")
    key = matching_key(rec.glyph)
    return {
        "query": query,
        "record": rec.as_dict(),
        "codepoints": codepoints(rec.glyph),
        "jisx0208": {"target": to0208.target, "table": to0208.table},
        "jisx0213": {"target": to0213.target, "table": to0213.table},
        "matching_key": key,
        "key_group": key_group(rec.glyph),
        "glyphs": [{"mj": r.mj, "glyph": r.glyph, "codepoints": codepoints(r.glyph)} for r in found[1:]],
        "shrink": [list(row) for row in index.shrink.get(rec.mj, ())],
    }

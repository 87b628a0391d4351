"""Character foundation (文字情報基盤): MJ lookup, classification, 縮退, matching key, 外字 mapping.

Pure functions (no I/O beyond loading the MJ index once per process)::

    from lgcloud.moji import lookup, classify, inventory, degrade_char, degrade_text, matching_key
    lookup("MJ028902") / lookup("J+9AD9") / lookup("髙") / lookup("1-25-66") / lookup("513280")
    classify("髙橋")            # [CharInfo(offset, text, char_class, mj), …]
    degrade_char("髙")          # Degraded(source, target="高", table="X0213", mj="MJ028902")
    matching_key("渡邉")        # "渡辺" (search only; never store it)
    apply_mapping(text, {"\\ue000": "髙"})   # raises UnmappedGaijiError with offsets

Per-municipality 外字 mappings live in the database: see :mod:`lgcloud.moji.service`.
"""

from __future__ import annotations

from lgcloud.moji.degrade import Degraded, DegradeReport, Target, degrade_char, degrade_text
from lgcloud.moji.gaiji import (
    GaijiMap,
    MappingResult,
    SourceKind,
    UnmappedGaiji,
    UnmappedGaijiError,
    apply_mapping,
    map_and_classify,
    map_gaiji,
    parse_source,
)
from lgcloud.moji.index import MojiIndex, get_index
from lgcloud.moji.matching import key_group, matching_key
from lgcloud.moji.record import MjRecord
from lgcloud.moji.text import CharClass, CharInfo, Inventory, ScanResult, classify, graphemes, inventory, scan


def lookup(query: str) -> MjRecord | None:
    """The MJ record for a character (±IVS/SVS), ``MJxxxxxx``, ``J+XXXX``, ``U+XXXX``, 戸籍統一文字番号 or 面区点."""
    return get_index().lookup(query)


def lookup_all(query: str) -> list[MjRecord]:
    """Every MJ record a query can mean (exact glyph first, then the other glyphs of the same character)."""
    return get_index().lookup_all(query)


__all__ = [
    "CharClass",
    "CharInfo",
    "DegradeReport",
    "Degraded",
    "GaijiMap",
    "Inventory",
    "MappingResult",
    "MjRecord",
    "MojiIndex",
    "ScanResult",
    "SourceKind",
    "Target",
    "UnmappedGaiji",
    "UnmappedGaijiError",
    "apply_mapping",
    "classify",
    "degrade_char",
    "degrade_text",
    "get_index",
    "graphemes",
    "inventory",
    "key_group",
    "lookup",
    "lookup_all",
    "map_and_classify",
    "map_gaiji",
    "matching_key",
    "parse_source",
    "scan",
]

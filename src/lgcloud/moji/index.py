"""The in-memory MJ index: loaded once per process (lazy singleton), never queried per character.

Build it with ``lgcloud moji build-index`` (or :func:`lgcloud.moji.build.build_index`). If it is missing
at run time, :func:`get_index` raises a clear error instead of fetching data behind the caller's back.
"""

from __future__ import annotations

import gzip
import pickle
import re
import threading
from functools import cached_property
from pathlib import Path
from typing import Any

from lgcloud.config import get_settings
from lgcloud.errors import LgcloudError
from lgcloud.moji.build import FORMAT, index_path
from lgcloud.moji.jis import parse_x0213
from lgcloud.moji.record import MjRecord

_MJ = re.compile(r"^\s*MJ(\d{6})\s*$", re.IGNORECASE)
_JUKI = re.compile(r"^\s*J[+ ]([0-9A-F]{4})\s*$", re.IGNORECASE)  # "+" arrives as " " from a raw URL
_UPLUS = re.compile(r"^\s*(?:U\+[0-9A-F]{4,6}\s*)+$", re.IGNORECASE)
_KOSEKI = re.compile(r"^\s*(?:戸籍|K)?\s*(\d{6})\s*$", re.IGNORECASE)
_TOUKI = re.compile(r"^\s*(?:登記)?\s*(\d{8})\s*$")


class IndexMissing(LgcloudError):
    status = 503
    code = "moji-index-missing"


class MojiIndex:
    """Lookups over the MJ data. All methods are pure dictionary work."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.meta: dict[str, str] = data["meta"]
        self.records: dict[str, MjRecord] = data["records"]
        self.by_char: dict[str, str] = data["by_char"]
        self.by_juki: dict[str, str] = data["by_juki"]
        self.by_koseki: dict[str, str] = data["by_koseki"]
        self.by_touki: dict[str, str] = data["by_touki"]
        self.by_x0213: dict[str, list[str]] = data["by_x0213"]
        self.by_base: dict[str, list[str]] = data["by_base"]
        self.shrink: dict[str, list[tuple[str, str, str, int]]] = data["shrink"]
        self.shrink_notes: dict[str, str] = data["shrink_notes"]
        self.ids: dict[str, str] = data["ids"]
        self.radical_names: dict[int, str] = data["radical_names"]
        self.radical_numbers: dict[str, int] = data["radical_numbers"]
        self.key_map: dict[str, str] = data["key_map"]
        self.key_sources: dict[str, tuple[str, str]] = data["key_sources"]

    # -- exact lookups -------------------------------------------------------------------------
    def record(self, mj: str) -> MjRecord | None:
        return self.records.get(mj.strip().upper())

    def by_text(self, text: str) -> MjRecord | None:
        """The MJ glyph that exactly this text (a code point, IVS or SVS sequence) shows."""
        mj = self.by_char.get(text)
        return self.records[mj] if mj else None

    def glyphs_of(self, base: str) -> list[MjRecord]:
        """Every MJ glyph of one abstract character (default glyph first)."""
        return [self.records[mj] for mj in self.by_base.get(base, ())]

    def by_jis(self, code: str) -> list[MjRecord]:
        """MJ glyphs at a JIS X 0213 面区点 (exact glyph first, then glyphs unified by 包摂)."""
        norm = parse_x0213(code)
        return [self.records[mj] for mj in self.by_x0213.get(norm or "", ())]

    def lookup_all(self, query: str) -> list[MjRecord]:
        """Every MJ record a query can mean; the best match first.

        The query is a character (with or without IVS/SVS), ``MJxxxxxx``, ``J+XXXX`` (住基ネット統一文字コード),
        ``U+XXXX`` (one or more, e.g. ``U+795E U+E0103``), a 戸籍統一文字番号 (6 digits), a 登記統一文字番号
        (8 digits) or a JIS X 0213 面区点 ``1-25-66``.
        """
        query = query.strip()
        if not query:
            return []
        for matcher in (self._by_code, self._by_text_query):
            found = matcher(query)
            if found is not None:
                return found
        return []

    def lookup(self, query: str) -> MjRecord | None:
        found = self.lookup_all(query)
        return found[0] if found else None

    def _by_code(self, query: str) -> list[MjRecord] | None:
        if m := _MJ.match(query):
            rec = self.records.get(f"MJ{m.group(1)}")
            return [rec] if rec else []
        if m := _JUKI.match(query):
            mj = self.by_juki.get(f"J+{m.group(1).upper()}")
            return [self.records[mj]] if mj else []
        if _UPLUS.match(query):
            points = [int(p, 16) for p in re.findall(r"[0-9A-Fa-f]{4,6}", query)]
            if any(p > 0x10FFFF for p in points):
                return []
            return self._by_text_query("".join(map(chr, points)))
        if parse_x0213(query):
            return self.by_jis(query)
        if m := _KOSEKI.match(query):
            mj = self.by_koseki.get(m.group(1))
            return [self.records[mj]] if mj else []
        if m := _TOUKI.match(query):
            mj = self.by_touki.get(m.group(1))
            return [self.records[mj]] if mj else []
        return None

    def _by_text_query(self, text: str) -> list[MjRecord]:
        exact = self.by_text(text)
        base = text[0] if text else ""
        others = [rec for rec in self.glyphs_of(self._base_of(base)) if rec is not exact]
        return ([exact] if exact else []) + others

    def _base_of(self, char: str) -> str:
        rec = self.by_text(char)
        return rec.ucs if rec and rec.ucs else char

    # -- derived tables, built on first use ------------------------------------------------------
    @cached_property
    def key_groups(self) -> dict[str, list[str]]:
        """Matching key → the characters (NFC, no VS) that share it, key first."""
        groups: dict[str, list[str]] = {}
        for char, key in self.key_map.items():
            groups.setdefault(key, [key]).append(char)
        return groups


_lock = threading.Lock()
_index: MojiIndex | None = None


def load_index(path: Path) -> MojiIndex:
    with gzip.open(path, "rb") as fh:
        data = pickle.load(fh)  # our own file, written by lgcloud.moji.build
    if data.get("meta", {}).get("format") != str(FORMAT):
        raise IndexMissing(f"MJ 索引 {path} の形式が古いです。lgcloud moji build-index を実行してください")
    return MojiIndex(data)


def get_index() -> MojiIndex:
    """The process-wide index (loaded on first use, about half a second)."""
    global _index
    if _index is None:
        with _lock:
            if _index is None:
                path = index_path(get_settings().cache_dir)
                if not path.exists():
                    raise IndexMissing(
                        f"MJ 索引がありません ({path})。`lgcloud moji build-index` を実行してください",
                    )
                _index = load_index(path)
    return _index


def set_index(index: MojiIndex | None) -> None:
    """Replace (or forget, with None) the process-wide index; for tests and tools."""
    global _index
    with _lock:
        _index = index

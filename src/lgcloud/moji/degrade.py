"""縮退 (degrade): map a character to JIS X 0208 or JIS X 0213, deterministically, saying which table decided.

Order (moji.md §3), first hit wins:

0. the glyph's own JIS X 0213 code is in the target set (identity, or JIS 包摂 such as 髙→高, 𠮷→吉);
1. its abstract character (variation selector stripped, NFC) is in the target set;
2. the MJ縮退マップ tables, keeping only targets inside the target set, lowest 順位/ホップ数 first:
   JIS包摂規準 → 戸籍 親字正字 → 2842 俗字 → 2842 無印 → 5202 → 582 別表第四_一 → 2842 別字,
   then only if the caller allows look-alikes: 582 別表第四_二 (類字) → 読み字形による類推,
   then only if the caller allows dictionary relations: 辞書類等による関連字.

A character with no target is reported (``target is None``), never guessed.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from lgcloud.errors import LgcloudError
from lgcloud.moji.index import MojiIndex, get_index
from lgcloud.moji.jis import in_jis0208, in_jis0213, is_0208_code, x0213_table
from lgcloud.moji.record import MjRecord
from lgcloud.moji.text import graphemes, is_pua, strip_variation_selectors

STRICT_TABLES = (
    "JIS包摂規準UCS統合規則",
    "戸籍統一文字情報_親字正字",
    "民一2842号通達別表_誤字俗字正字一覧表_俗字",
    "民一2842号通達別表_誤字俗字正字一覧表_無印",
    "民二5202号通知別表_正字俗字等対照表",
    "法務省告示582号別表第四_一",
    "民一2842号通達別表_誤字俗字正字一覧表_別字",
)
LOOKALIKE_TABLES = ("法務省告示582号別表第四_二", "読み字形による類推")
RELATED_TABLES = ("辞書類等による関連字",)

#: Names of the steps before the tables.
STEP_IDENTITY = "identity"  # already in the target set
STEP_JIS_CODE = "X0213"  # the glyph's own JIS X 0213 code (incl. 包摂)
STEP_BASE = "IVS除去"  # variation selector stripped / NFC


class Target(StrEnum):
    JISX0208 = "jisx0208"
    JISX0213 = "jisx0213"


@dataclass(frozen=True)
class Degraded:
    source: str  # the character (base + VS)
    target: str | None  # None: no target in the chosen set
    table: str | None  # which step or MJ縮退マップ table decided
    mj: str | None  # MJ glyph of the source, if any


def _in_target(text: str, target: Target) -> bool:
    if len(text) == 1 and (text < "\x80" or "\uff61" <= text <= "\uff9f"):
        return True  # ASCII and JIS X 0201 katakana: every JIS system holds them
    return in_jis0208(text) if target is Target.JISX0208 else in_jis0213(text)


def as_target(value: Target | str) -> Target:
    try:
        return Target(value)
    except ValueError:
        raise LgcloudError(f"縮退先は jisx0208 か jisx0213 です: {value}", code="moji-invalid-target") from None


def _code_in_target(code: str | None, target: Target) -> bool:
    if not code:
        return False
    return is_0208_code(code) if target is Target.JISX0208 else code in x0213_table()


def _tables(allow_lookalike: bool, allow_related: bool) -> tuple[str, ...]:
    tables = STRICT_TABLES
    if allow_lookalike:
        tables += LOOKALIKE_TABLES
    if allow_related:
        tables += RELATED_TABLES
    return tables


def _from_tables(rec: MjRecord, target: Target, tables: tuple[str, ...], index: MojiIndex) -> Degraded | None:
    rows = index.shrink.get(rec.mj, ())
    for table in tables:
        hits = [row for row in rows if row[0] == table and _code_in_target(row[2], target)]
        if hits:
            best = min(hits, key=lambda row: row[3])  # stable: first row among the lowest rank/hop
            return Degraded(rec.glyph, best[1], table, rec.mj)
    return None


def degrade_record(
    rec: MjRecord,
    target: Target | str = Target.JISX0208,
    *,
    allow_lookalike: bool = False,
    allow_related: bool = False,
    index: MojiIndex | None = None,
) -> Degraded:
    idx = index or get_index()
    target = as_target(target)
    if _code_in_target(rec.x0213, target):
        char = x0213_table()[rec.x0213 or ""]
        step = STEP_IDENTITY if char == rec.glyph else STEP_JIS_CODE
        return Degraded(rec.glyph, char, step, rec.mj)
    if rec.ucs:
        base = unicodedata.normalize("NFC", rec.ucs)
        if _in_target(base, target):
            return Degraded(rec.glyph, base, STEP_BASE, rec.mj)
    found = _from_tables(rec, target, _tables(allow_lookalike, allow_related), idx)
    return found or Degraded(rec.glyph, None, None, rec.mj)


def degrade_char(
    char: str,
    target: Target | str = Target.JISX0208,
    *,
    allow_lookalike: bool = False,
    allow_related: bool = False,
    index: MojiIndex | None = None,
) -> Degraded:
    """Degrade one character (base + optional VS). Non-MJ characters pass only if already in the target."""
    target = as_target(target)
    idx = index or get_index()
    if _in_target(char, target):
        return Degraded(char, char, STEP_IDENTITY, idx.by_char.get(char))
    rec = idx.by_text(char)
    if rec is not None:
        result = degrade_record(rec, target, allow_lookalike=allow_lookalike, allow_related=allow_related, index=idx)
        table = STEP_JIS_CODE if result.table == STEP_IDENTITY and result.target != char else result.table
        return Degraded(char, result.target, table, rec.mj)
    base = strip_variation_selectors(char)
    if base != char and not is_pua(base[:1] or "a"):
        inner = degrade_char(base, target, allow_lookalike=allow_lookalike, allow_related=allow_related)
        table = STEP_BASE if inner.table == STEP_IDENTITY else inner.table
        return Degraded(char, inner.target, table, None)
    return Degraded(char, None, None, None)


@dataclass
class DegradeReport:
    text: str  # the degraded text; characters without a target are kept as they were
    changes: list[tuple[int, Degraded]]  # (offset, decision) for every character that changed
    failures: list[tuple[int, Degraded]]  # (offset, decision) for every character without a target

    @property
    def ok(self) -> bool:
        return not self.failures


class NoDegradeTarget(LgcloudError):
    code = "moji-no-degrade-target"


def degrade_text(
    text: str,
    target: Target | str = Target.JISX0208,
    *,
    allow_lookalike: bool = False,
    allow_related: bool = False,
    strict: bool = False,
) -> DegradeReport:
    """Degrade a whole text. With ``strict=True`` a character without a target raises (with offsets)."""
    target = as_target(target)
    idx = get_index()
    out: list[str] = []
    changes: list[tuple[int, Degraded]] = []
    failures: list[tuple[int, Degraded]] = []
    cache: dict[str, Degraded] = {}
    for offset, char in graphemes(text):
        decision = cache.get(char)
        if decision is None:
            decision = cache[char] = degrade_char(
                char, target, allow_lookalike=allow_lookalike, allow_related=allow_related, index=idx
            )
        if decision.target is None:
            failures.append((offset, decision))
            out.append(char)
        else:
            out.append(decision.target)
            if decision.target != char:
                changes.append((offset, decision))
    if strict and failures:
        where = ", ".join(f"{off + 1}文字目「{d.source}」" for off, d in failures[:10])
        raise NoDegradeTarget(
            f"{target.value} に縮退できない文字があります: {where}",
            failures=[{"offset": off, "char": d.source, "mj": d.mj} for off, d in failures],
        )
    return DegradeReport("".join(out), changes, failures)

"""Search keys and date parsing, built on ``lgcloud.codes`` (kana folding, 和暦) and ``lgcloud.moji``
(異体字 matching key). Keys live in their own columns; the stored name is never altered.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from lgcloud.codes import JpDate, fold_kana, to_fullwidth_katakana, to_wareki
from lgcloud.codes.errors import CodesError
from lgcloud.moji import matching_key
from lgcloud.residents.errors import InvalidField
from lgcloud.residents.model import FlexDate

_SPACES = re.compile(r"[\s\u3000]+")


def kana_key(text: str | None) -> str | None:
    """フリガナ folded for fuzzy search (§2.12): 濁点, 小書き, 長音, オウ→オ …, no spaces."""
    if not text:
        return None
    return _SPACES.sub("", fold_kana(text)) or None


def name_key(text: str | None) -> str | None:
    """異体字-insensitive key of a name (moji matching key), no spaces."""
    if not text:
        return None
    return matching_key(_SPACES.sub("", text)) or None


def address_key(text: str | None) -> str | None:
    """Address folded for prefix search: width-folded, no spaces (key only)."""
    if not text:
        return None
    return _SPACES.sub("", unicodedata.normalize("NFKC", text)) or None


def to_katakana(text: str) -> str:
    """フリガナ input to full-width katakana (hiragana and half-width accepted)."""
    return to_fullwidth_katakana(text)


def parse_date(text: str, *, field: str = "date", flexible: bool = True) -> FlexDate:
    """ISO / 和暦 text → FlexDate. Non-calendar and 不詳 wordings only where ``flexible`` (§2.3)."""
    if not text or not text.strip():
        raise InvalidField("日付を入力してください", field=field)
    try:
        parsed = JpDate.parse(text, exact_only=not flexible)
    except CodesError as exc:
        raise InvalidField(f"{exc.message}（例: 2020-04-01, 令和2年4月1日）", field=field) from None
    value = date.fromisoformat(parsed.iso) if parsed.iso else None
    return FlexDate(value, None if parsed.is_exact else parsed.raw)


def wareki(value: date | None) -> str:
    """2020-04-01 → 令和2年4月1日 (display)."""
    return to_wareki(value) if value else ""


def display_date(value: FlexDate | date | None, *, western: bool = False) -> str:
    """和暦 for display (西暦 for 外国人の生年月日 and 在留期間満了日), the 戸籍 wording when not exact."""
    if value is None:
        return ""
    if isinstance(value, FlexDate):
        if value.text:
            return value.text
        value = value.value
    if value is None:
        return ""
    return f"{value.year}年{value.month}月{value.day}日" if western else wareki(value)

"""Vocabularies of the cloud-adoption survey: status, plan, and fiscal-year labels.

The Japanese labels are the values (they are what the 総務省 tables and the import files say);
English aliases and short forms are accepted on input.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum

from lgcloud.errors import LgcloudError


class Status(StrEnum):
    """クラウド導入状況 (Table 1)."""

    NONE = "クラウド未導入"
    STANDALONE = "単独クラウド"
    SHARED = "自治体クラウド"


class Plan(StrEnum):
    """クラウド導入計画 of a municipality not (yet) in a 自治体クラウド (Table 2)."""

    NOT_CONSIDERED = "未検討"
    UNDECIDED = "未定"
    STANDALONE = "単独クラウド"
    SHARED = "自治体クラウド"


class MemberPhase(StrEnum):
    """Migration / go-live phase of a member of the platform's own cloud group."""

    PLANNED = "参加予定"
    MIGRATING = "データ移行中"
    PARALLEL = "並行稼働"
    LIVE = "本番稼働"
    LEFT = "脱退"


#: Label used in tables for a municipality without a row at a reference date.
NO_ANSWER = "未回答"

_STATUS_ALIASES: dict[str, Status] = {
    "未導入": Status.NONE,
    "なし": Status.NONE,
    "none": Status.NONE,
    "単独": Status.STANDALONE,
    "standalone": Status.STANDALONE,
    "自治体": Status.SHARED,
    "shared": Status.SHARED,
}
_PLAN_ALIASES: dict[str, Plan] = {
    "not_considered": Plan.NOT_CONSIDERED,
    "undecided": Plan.UNDECIDED,
    "単独": Plan.STANDALONE,
    "standalone": Plan.STANDALONE,
    "自治体": Plan.SHARED,
    "shared": Plan.SHARED,
}
_PHASE_ALIASES: dict[str, MemberPhase] = {
    "planned": MemberPhase.PLANNED,
    "migrating": MemberPhase.MIGRATING,
    "parallel": MemberPhase.PARALLEL,
    "live": MemberPhase.LIVE,
    "left": MemberPhase.LEFT,
}


def _clean(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def parse_status(text: str) -> Status:
    value = _clean(text)
    try:
        return Status(value)
    except ValueError:
        pass
    if value.lower() in _STATUS_ALIASES:
        return _STATUS_ALIASES[value.lower()]
    allowed = " / ".join(s.value for s in Status)
    raise LgcloudError(f"導入状況「{text}」は不正です（{allowed}）", code="bad-status")


def parse_plan(text: str) -> Plan | None:
    value = _clean(text)
    if not value:
        return None
    try:
        return Plan(value)
    except ValueError:
        pass
    if value.lower() in _PLAN_ALIASES:
        return _PLAN_ALIASES[value.lower()]
    allowed = " / ".join(p.value for p in Plan)
    raise LgcloudError(f"導入計画「{text}」は不正です（{allowed}）", code="bad-plan")


def parse_phase(text: str) -> MemberPhase:
    value = _clean(text)
    try:
        return MemberPhase(value)
    except ValueError:
        pass
    if value.lower() in _PHASE_ALIASES:
        return _PHASE_ALIASES[value.lower()]
    allowed = " / ".join(p.value for p in MemberPhase)
    raise LgcloudError(f"移行段階「{text}」は不正です（{allowed}）", code="bad-phase")


_ERA_START = {"M": 1867, "T": 1911, "S": 1925, "H": 1988, "R": 2018}
_ERA_NAMES = {"明治": "M", "大正": "T", "昭和": "S", "平成": "H", "令和": "R"}
_FY_RE = re.compile(r"^(?P<era>[MTSHR]?)(?P<year>\d{1,4}|元)(?:年度?)?(?:以降)?$")


def parse_fiscal_year(text: str) -> int | None:
    """'2019', 'H31', '平成31年度', 'R1', '令和元年度' → 2019 (西暦 of the fiscal year's start)."""
    value = _clean(text).upper().replace("FY", "")
    if not value:
        return None
    for name, letter in _ERA_NAMES.items():
        value = value.replace(name, letter)
    match = _FY_RE.match(value)
    if not match:
        raise LgcloudError(f"目標年度「{text}」を読めません（例: 2019, H31, R1）", code="bad-fiscal-year")
    year = 1 if match["year"] == "元" else int(match["year"])
    if match["era"]:
        return _ERA_START[match["era"]] + year
    if not 1900 <= year <= 2200:
        raise LgcloudError(f"目標年度「{text}」は範囲外です", code="bad-fiscal-year")
    return year


def fiscal_year_label(year: int) -> str:
    """2019 → '2019年度 (H31/R1)'; the paper's tables keep counting in 平成 past 2019."""
    heisei = year - _ERA_START["H"]
    reiwa = year - _ERA_START["R"]
    if reiwa >= 1:
        return f"{year}年度 (H{heisei}/R{reiwa})"
    return f"{year}年度 (H{heisei})"

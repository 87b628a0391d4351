"""続柄 (relationship to the 世帯主): validation, chains and the household order (standards.md §2.4, §2.11).

The terms, the chain limit and the forbidden list live in ``data/zokugara.yaml``; this module only applies them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import NamedTuple

from lgcloud.codes.dates import JpDate
from lgcloud.codes.errors import CodesError
from lgcloud.codes.tables import CodeEntry, code_table

HEAD = "世帯主"
RELATIVE_BY_CUSTOM = "縁故者"
LODGER = "同居人"
LINK = "の"


@dataclass(frozen=True)
class Zokugara:
    """A valid 続柄: the canonical ``text`` and its links (one per 「の」-separated term)."""

    text: str
    links: tuple[str, ...]

    @property
    def codes(self) -> tuple[str, ...]:
        """One code per link, like the 続柄コード1..n columns of municipal exports."""
        terms = _terms()
        return tuple(terms[link].code for link in self.links)

    @property
    def is_chain(self) -> bool:
        return len(self.links) > 1


@cache
def _terms() -> dict[str, CodeEntry]:
    return {e.name: e for e in code_table("zokugara")}


@cache
def _max_links() -> int:
    return int(code_table("zokugara").extra["max_links"])


@cache
def _forbidden() -> dict[str, str]:
    return dict(code_table("zokugara").extra["forbidden"])


def _canonical(text: str) -> str:
    """Spaces removed and ASCII parentheses made full-width, as the terms are written in the table."""
    return re.sub(r"\s+", "", text).replace("(", "（").replace(")", "）")


def _forbidden_reason(term: str) -> str:
    suggestion = _forbidden()[term]
    hint = f"（「{suggestion}」を使ってください）" if suggestion else ""
    return f"「{term}」は住民票に使えない続柄です{hint}"


def _link_reason(link: str, whole: str) -> str | None:
    terms = _terms()
    if link in _forbidden():
        return _forbidden_reason(link)
    if link not in terms:
        return f"「{link}」は続柄として使えません" if link else f"「{whole}」の「の」の前後が空です"
    if not terms[link].get("link"):
        return f"「{link}」は「の」でつなげず単独で使います"
    return None


def _chain_reason(links: Sequence[str], whole: str) -> str | None:
    for link in links:
        reason = _link_reason(link, whole)
        if reason is not None:
            return reason
    if len(links) > _max_links():
        return f"「の」でつなげるのは{_max_links()}世代までです（それより遠い親族は「{RELATIVE_BY_CUSTOM}」）"
    return None


def _parse_or_reason(text: str) -> Zokugara | str:
    if not isinstance(text, str) or not _canonical(text):
        return "続柄が空です"
    canonical = _canonical(text)
    entry = _terms().get(canonical)
    if entry is not None:
        return Zokugara(canonical, (canonical,))
    if canonical in _forbidden():
        return _forbidden_reason(canonical)
    standalone = [t for t, e in _terms().items() if e.get("standalone") and t in canonical]
    if standalone:
        return f"「{standalone[0]}」は「の」でつなげず単独で使います"
    links = tuple(canonical.split(LINK))
    reason = _chain_reason(links, canonical)
    return reason if reason is not None else Zokugara(canonical, links)


def parse_zokugara(text: str) -> Zokugara:
    """The valid 続柄 for ``text``; raises `CodesError` with the reason otherwise."""
    result = _parse_or_reason(text)
    if isinstance(result, str):
        raise CodesError(result, code="codes-bad-zokugara", value=text)
    return result


def validate_zokugara(text: str) -> str | None:
    """None if ``text`` is an allowed 続柄, else the reason (forbidden terms name their replacement)."""
    result = _parse_or_reason(text)
    return result if isinstance(result, str) else None


def is_valid_zokugara(text: str) -> bool:
    return validate_zokugara(text) is None


def compose_zokugara(links: Sequence[str]) -> str:
    """Join links with 「の」 (子, 子 → 子の子); more than four links become 「縁故者」 as the standard says."""
    canonical = [_canonical(link) for link in links]
    if not canonical:
        raise CodesError("続柄が空です", code="codes-bad-zokugara")
    if len(canonical) == 1 and canonical[0] in _terms():
        return canonical[0]
    for link in canonical:
        reason = _link_reason(link, LINK.join(canonical))
        if reason is not None:
            raise CodesError(reason, code="codes-bad-zokugara", value=links)
    return RELATIVE_BY_CUSTOM if len(canonical) > _max_links() else LINK.join(canonical)


# --- household order (世帯員の並び順, §2.11) -----------------------------------------------------------

_UNKNOWN_DATE = "9999-99-99"
_GRANDPARENTS = {"父の父", "父の母", "母の父", "母の母"}


class HouseholdSortKey(NamedTuple):
    rank: int  #: 第1〜第4順位
    group: int  #: position inside the rank (世帯主 0, 配偶者 1, 子 2 …)
    branch: str  #: 第2順位: birth date of the 子 whose family this is
    generation: int  #: 第2順位: 0 = the 子's spouse, 1 = 孫 …
    spouse: int  #: 1 for a spouse inside a 子's family, so the 子's own children follow the spouse
    koseki_head: int  #: 父母: 0 for the 戸籍筆頭者, who comes first
    birth: str  #: ISO birth date; unknown sorts last
    atena: str  #: 宛名番号, the final tie-break


def _is_spouse(link: str) -> bool:
    return bool(_terms()[link].get("spouse"))


def _rank(z: Zokugara) -> tuple[int, int, int, int]:
    """(rank, group, generation, spouse) of a 続柄 in the default order of the standard."""
    links, text = z.links, z.text
    if text == HEAD:
        return (1, 0, 0, 0)
    if len(links) == 1 and _is_spouse(text):
        return (1, 1, 0, 0)
    if text == "子" or (len(links) == 2 and _is_spouse(links[0]) and links[1] == "子"):
        return (1, 2, 0, 0)  # 妻の子 etc. are children of the household, ordered with the 子 by birth
    if text in ("子（子の夫）", "子（子の妻）"):
        return (2, 0, 0, 1)
    if links[0] == "子" and all(link == "子" for link in links[1:-1]):
        last = links[-1]
        if last == "子" or _is_spouse(last):
            generation = len(links) - 1 - (1 if _is_spouse(last) else 0)
            return (2, 0, generation, 1 if _is_spouse(last) else 0)
    return _rank_outside_children(z)


def _rank_outside_children(z: Zokugara) -> tuple[int, int, int, int]:
    text = z.text
    if text in ("父", "母"):
        return (3, 0, 0, 0)
    if len(z.links) == 1 and _terms()[text].get("sibling"):
        return (3, 1, 0, 0)
    if text in _GRANDPARENTS:
        return (3, 2, 0, 0)
    return (4, {RELATIVE_BY_CUSTOM: 1, LODGER: 2}.get(text, 0), 0, 0)


def _iso(value: JpDate | dt.date | str | None) -> str:
    if value is None:
        return _UNKNOWN_DATE
    if isinstance(value, dt.date):
        return value.isoformat()
    parsed = value if isinstance(value, JpDate) else JpDate.parse(value)
    return parsed.iso or _UNKNOWN_DATE


def household_sort_key(
    zokugara: str,
    birth: JpDate | dt.date | str | None = None,
    atena: str = "",
    *,
    branch_birth: JpDate | dt.date | str | None = None,
    koseki_head: bool = False,
) -> HouseholdSortKey:
    """Sort key for the default 世帯員の並び順 (standards.md §2.11).

    第1順位 世帯主 → 配偶者 → 子 (by birth, then 宛名番号); 第2順位 each 子's family (spouse, then 孫…), the
    families ordered by the 子's birth date (``branch_birth``); 第3順位 父母 (戸籍筆頭者 first), 兄弟姉妹,
    祖父母; 第4順位 other relatives, 縁故者, 同居人. Unknown birth dates sort last in their group.
    A manual order, when the municipality sets one, is kept by the caller and overrides this key.
    """
    z = parse_zokugara(zokugara)
    rank, group, generation, spouse = _rank(z)
    return HouseholdSortKey(
        rank=rank,
        group=group,
        branch=_iso(branch_birth) if rank == 2 else "",
        generation=generation,
        spouse=spouse,
        koseki_head=0 if (koseki_head and group == 0 and rank == 3) else 1,
        birth=_iso(birth),
        atena=atena,
    )


def best_zokugara(candidates: Iterable[str]) -> str:
    """The expression that ranks highest in the household order (e.g. 父の兄の子 who is also 妻 → 妻)."""
    parsed = [parse_zokugara(c) for c in candidates]
    if not parsed:
        raise CodesError("続柄の候補がありません", code="codes-bad-zokugara")
    return min(parsed, key=lambda z: (_rank(z), len(z.links))).text

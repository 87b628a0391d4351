"""Vendor 外字: source codes, and applying a municipality's mapping to text (pure, no I/O).

A 外字 reaches lgcloud in one of three forms; each is normalised to a canonical code and to the
*source character* it becomes in decoded text, which is what a mapping is keyed by:

======== ======================= ==================== ===================================
kind     accepted input          canonical code       source character in decoded text
======== ======================= ==================== ===================================
pua      ``U+E000``, ``E000``    ``U+E000``           U+E000
cp932    ``F040``, ``0xF040``    ``F040``             ``bytes.fromhex("F040").decode("cp932")`` = U+E000
jplus    ``J+AD1D``              ``J+AD1D``           U+AD1D (住基ネット統一文字 code space)
======== ======================= ==================== ===================================

An unmapped 外字 (any private-use character, or a mapped-kind source left without a mapping) is an
error with its position — never a ``?``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, NamedTuple

from lgcloud.errors import LgcloudError

if TYPE_CHECKING:
    from lgcloud.moji.text import Inventory

_HEX = re.compile(r"^(?:U\+|0X)?([0-9A-F]{4,6})$")
_JPLUS = re.compile(r"^J\+([0-9A-F]{4})$")


class SourceKind(StrEnum):
    PUA = "pua"
    CP932 = "cp932"
    JPLUS = "jplus"


class SourceCode(NamedTuple):
    kind: SourceKind
    code: str  # canonical
    char: str  # the character it becomes in decoded text


class InvalidSourceCode(LgcloudError):
    code = "moji-invalid-source-code"


def _is_pua_cp(cp: int) -> bool:
    return 0xE000 <= cp <= 0xF8FF or 0xF0000 <= cp <= 0x10FFFD


def _pua(raw: str) -> SourceCode:
    if len(raw) == 1 and _is_pua_cp(ord(raw)):
        cp = ord(raw)
    else:
        m = _HEX.match(raw.upper())
        if not m or not _is_pua_cp(int(m.group(1), 16)):
            raise InvalidSourceCode(f"私用領域 (PUA) の符号位置ではありません: {raw}")
        cp = int(m.group(1), 16)
    return SourceCode(SourceKind.PUA, f"U+{cp:04X}", chr(cp))


def _cp932(raw: str) -> SourceCode:
    digits = raw.upper().replace("0X", "").replace(" ", "")
    if not re.fullmatch(r"[0-9A-F]{4}", digits):
        raise InvalidSourceCode(f"cp932 の2バイトコード (例 F040) ではありません: {raw}")
    lead, trail = int(digits[:2], 16), int(digits[2:], 16)
    if not (0xF0 <= lead <= 0xF9 and (0x40 <= trail <= 0x7E or 0x80 <= trail <= 0xFC)):
        raise InvalidSourceCode(f"cp932 のユーザー定義領域 (F040–F9FC) ではありません: {raw}")
    return SourceCode(SourceKind.CP932, digits, bytes.fromhex(digits).decode("cp932"))


def _jplus(raw: str) -> SourceCode:
    m = _JPLUS.match(raw.upper())
    if not m:
        raise InvalidSourceCode(f"住基ネット統一文字コード (J+XXXX) ではありません: {raw}")
    return SourceCode(SourceKind.JPLUS, f"J+{m.group(1)}", chr(int(m.group(1), 16)))


_PARSERS = {SourceKind.PUA: _pua, SourceKind.CP932: _cp932, SourceKind.JPLUS: _jplus}


def parse_source(kind: str, code: str) -> SourceCode:
    """Validate and normalise a source code of the given kind."""
    try:
        source_kind = SourceKind(kind.strip().lower())
    except ValueError:
        raise InvalidSourceCode(f"外字の種別が不正です: {kind} (pua / cp932 / jplus)") from None
    return _PARSERS[source_kind](code.strip())


class UnmappedGaiji(NamedTuple):
    offset: int  # code-point offset in the text
    char: str
    code: str  # U+XXXX


class UnmappedGaijiError(LgcloudError):
    code = "moji-unmapped-gaiji"

    def __init__(self, unmapped: list[UnmappedGaiji], **detail: Any) -> None:
        where = ", ".join(f"{u.offset + 1}文字目 {u.code}" for u in unmapped[:10])
        more = f" ほか{len(unmapped) - 10}件" if len(unmapped) > 10 else ""
        super().__init__(
            f"対応づけのない外字があります: {where}{more}",
            unmapped=[u._asdict() for u in unmapped],
            **detail,
        )
        self.unmapped = unmapped


class GaijiMap(dict[str, str]):
    """source character → replacement text, with its scan pattern compiled once.

    Returned by :func:`lgcloud.moji.service.load_mapping`; a plain dict works too (compiled per call).
    """

    _pattern: re.Pattern[str] | None = None

    def pattern(self) -> re.Pattern[str]:
        if self._pattern is None:
            self._pattern = _compile(self)
        return self._pattern

    def _reset(self) -> None:
        self._pattern = None

    def __setitem__(self, key: str, value: str) -> None:
        self._reset()
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        self._reset()
        super().__delitem__(key)

    def update(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        self._reset()
        super().update(*args, **kwargs)

    def pop(self, *args: Any) -> Any:  # type: ignore[override]
        self._reset()
        return super().pop(*args)

    def clear(self) -> None:
        self._reset()
        super().clear()


def _compile(mapping: Mapping[str, str]) -> re.Pattern[str]:
    from lgcloud.moji.text import pattern_for

    return pattern_for(mapping)


@dataclass
class MappingResult:
    text: str
    unmapped: list[UnmappedGaiji] = field(default_factory=list)
    replaced: int = 0


def map_gaiji(text: str, mapping: Mapping[str, str]) -> MappingResult:
    """Replace mapped 外字; list every unmapped private-use character with its offset (left in place)."""
    pattern = mapping.pattern() if isinstance(mapping, GaijiMap) else _compile(mapping)
    pieces: list[str] = []
    unmapped: list[UnmappedGaiji] = []
    last = replaced = 0
    for match in pattern.finditer(text):
        start = match.start()
        char = text[start]
        target = mapping.get(char)
        if target is None:
            if _is_pua_cp(ord(char)):
                unmapped.append(UnmappedGaiji(start, char, f"U+{ord(char):04X}"))
            continue
        pieces.append(text[last:start])
        pieces.append(target)
        last = start + 1
        replaced += 1
    if not replaced:
        return MappingResult(text, unmapped, 0)
    pieces.append(text[last:])
    return MappingResult("".join(pieces), unmapped, replaced)


def map_and_classify(text: str, mapping: Mapping[str, str]) -> tuple[MappingResult, Inventory]:
    """Map 外字 and classify the mapped text in one pass (the migration reader's fast path)."""
    from lgcloud.moji.text import scan

    result = scan(text, mapping)
    unmapped = [UnmappedGaiji(off, text[off], f"U+{ord(text[off]):04X}") for off in result.unmapped]
    return MappingResult(result.text, unmapped, result.replaced), result.inventory


def apply_mapping(text: str, mapping: Mapping[str, str]) -> str:
    """Mapped text; raises :class:`UnmappedGaijiError` (with offsets) if any 外字 has no mapping."""
    result = map_gaiji(text, mapping)
    if result.unmapped:
        raise UnmappedGaijiError(result.unmapped)
    return result.text

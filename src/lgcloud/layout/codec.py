"""Decoding legacy bytes with exact positions, and the character classes the validator needs.

Never let a DataFrame reader decode a legacy encoding: it fails for the whole file with no row number
(reference/migration.md §2.2). We decode each batch ourselves with an error handler that records the byte
offset of every undecodable byte and substitutes U+FFFD *for that byte only*, so a fixed-length record never
shifts (the reader also decodes each fixed-length field between separators of its own).

cp932 traps that decode *without* error are found afterwards in the text: 0x80 → U+0080, 0xA0 → U+F8F0,
0xFD–0xFF → U+F8F1–F8F3. The user-defined area F040–F9FC decodes to U+E000–U+E757 and is routed to the
外字 mapping.
"""

from __future__ import annotations

import codecs
import itertools
import re
import threading

REPLACEMENT = "\ufffd"

#: cp932 bytes that CPython decodes silently to something that is not what the source meant.
CP932_TRAPS: dict[str, int] = {"\u0080": 0x80, "\uf8f0": 0xA0, "\uf8f1": 0xFD, "\uf8f2": 0xFE, "\uf8f3": 0xFF}
TRAP_CLASS = "[\u0080\uf8f0-\uf8f3]"
#: Private-use code points (BMP PUA and planes 15/16), i.e. vendor 外字.
PUA_CLASS = "[\ue000-\uf8ff\U000f0000-\U0010fffd]"
PUA_CLASS_CP932 = "[\ue000-\uf8ef\uf8f4-\uf8ff\U000f0000-\U0010fffd]"
UDA_FIRST, UDA_LAST = 0xE000, 0xE757  # cp932 user-defined area F040–F9FC

_sink = threading.local()


def _mark(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    _sink.bad.append((exc.start, exc.end))
    return REPLACEMENT, exc.end


codecs.register_error("lgcloud-mark", _mark)


def decode_marked(data: bytes, codec: str, boundaries: list[int] | None = None) -> tuple[str, list[tuple[int, int]]]:
    """Decode ``data``; return the text and the (start, end) byte spans that could not be decoded.

    ``boundaries`` (record starts) let a failing batch be re-decoded in small pieces: CPython's error
    handling copies the whole input into every exception, so a large input with many bad bytes is slow.
    """
    try:
        return data.decode(codec), []
    except UnicodeDecodeError:
        pass
    pieces: list[str] = []
    bad: list[tuple[int, int]] = []
    for lo, hi in _pieces(len(data), boundaries):
        part = data[lo:hi]
        try:
            pieces.append(part.decode(codec))
            continue
        except UnicodeDecodeError:
            pass
        _sink.bad = []
        try:
            pieces.append(part.decode(codec, errors="lgcloud-mark"))
            bad += [(lo + s, lo + e) for s, e in _sink.bad]
        finally:
            _sink.bad = []
    return "".join(pieces), bad


def _pieces(size: int, boundaries: list[int] | None, target: int = 1 << 16) -> list[tuple[int, int]]:
    """Split [0, size) at record boundaries into pieces of about ``target`` bytes."""
    if not boundaries:
        return [(0, size)]
    cuts = [0]
    for b in boundaries:
        if b - cuts[-1] >= target:
            cuts.append(b)
    cuts.append(size)
    return list(itertools.pairwise(cuts))


def pua_class(encoding: str) -> str:
    return PUA_CLASS_CP932 if encoding == "cp932" else PUA_CLASS


_HAS_TRAP = re.compile(TRAP_CLASS)

def has_trap(text: str) -> bool:
    return _HAS_TRAP.search(text) is not None


def sjis_code(char: str) -> str | None:
    """The cp932 user-defined-area code (e.g. ``"F040"``) of a PUA character, or None outside the area."""
    if UDA_FIRST <= ord(char) <= UDA_LAST:
        return char.encode("cp932").hex().upper()
    return None


def codepoint(char: str) -> str:
    return f"U+{ord(char):04X}"


def normalise_gaiji_key(key: str) -> str:
    """Mapping keys may be the PUA character, ``U+E000``, or a cp932 code ``F040``: return the character."""
    k = key.strip()
    if len(k) == 1:
        return k
    if k.upper().startswith("U+"):
        return chr(int(k[2:], 16))
    if re.fullmatch(r"[0-9A-Fa-f]{4}", k):
        value = bytes.fromhex(k)
        if 0xF0 <= value[0] <= 0xF9:
            return value.decode("cp932")
    return k


def byte_length_pattern(encoding: str) -> str | None:
    """Regex of characters taking 2 bytes (vs 1) in a DBCS encoding; None means use UTF-8 byte length.

    cp932 / Shift_JIS-2004: ASCII and half-width katakana take 1 byte, everything else 2. EUC-JIS-2004:
    ASCII 1, everything else counted as 2 (JIS X 0213 plane-2 characters, 3 bytes, are undercounted).
    """
    if encoding in ("cp932", "shift_jis_2004"):
        return "[^\\x00-\\x7F\uff61-\uff9f]"
    if encoding == "euc-jis-2004":
        return "[^\\x00-\\x7F]"
    return None

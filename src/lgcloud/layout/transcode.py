"""CP932 → UTF-8 with glibc ``iconv`` through ctypes: about twice CPython's decode + encode, and without the GIL.

The reader's hot path spends most of its time turning cp932 columns into UTF-8. Python's ``str(raw, "cp932")
.encode("utf-8")`` holds the GIL for both steps, so the reader thread and the validator's checks cannot run
side by side; ctypes releases the GIL for the whole ``iconv`` call.

Exactness comes first: the result must be byte for byte what ``data.decode("cp932").encode("utf-8")`` gives.
glibc refuses the bytes CPython decodes silently (the cp932 traps 0x80, 0xA0, 0xFD–0xFF), and a glibc version
may map some sequence differently from CPython's table. So:

* anything ``iconv`` refuses (EILSEQ, EINVAL) or converts irreversibly → ``None``: the caller takes the Python
  path for that piece, which reports error positions and traps exactly as before;
* on first use each process compares ``iconv`` with CPython on every single byte and every lead/trail pair; a
  byte or pair on which they disagree is *unsafe*, and input holding it (anywhere, even where it would not be
  a character boundary: a superset is fine) → ``None`` as well;
* on a non-glibc platform (no ``iconv_open`` or no CP932 converter) → always ``None``.
"""

from __future__ import annotations

import ctypes
import errno
import threading
from functools import cache

import numpy as np

#: The only codec proved equivalent (see tests/layout/test_transcode.py).
CODECS = ("cp932",)
#: Lead bytes of cp932 double-byte characters, and the trail byte range.
LEADS = (*range(0x81, 0xA0), *range(0xE0, 0xFD))
TRAILS = range(0x40, 0xFD)
#: UTF-8 takes at most 3 bytes per cp932 byte (half-width katakana: 1 byte → 3).
_GROWTH = 3
_FAILED = ctypes.c_size_t(-1).value

_c_char_pp = ctypes.POINTER(ctypes.c_char_p)
_c_size_p = ctypes.POINTER(ctypes.c_size_t)


class _Libc:
    """The three iconv entry points of the C library, or nothing when the platform lacks them."""

    def __init__(self) -> None:
        self.ok = False
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            self.open, self.conv, self.close = libc.iconv_open, libc.iconv, libc.iconv_close
        except (OSError, AttributeError):
            return
        self.open.restype, self.open.argtypes = ctypes.c_void_p, [ctypes.c_char_p, ctypes.c_char_p]
        self.conv.restype = ctypes.c_size_t
        self.conv.argtypes = [ctypes.c_void_p, _c_char_pp, _c_size_p, _c_char_pp, _c_size_p]
        self.close.restype, self.close.argtypes = ctypes.c_int, [ctypes.c_void_p]
        self.ok = True


_libc = _Libc()


class _Descriptor:
    """One iconv descriptor: iconv keeps conversion state in it, so a thread never shares its own."""

    def __init__(self) -> None:
        handle = _libc.open(b"UTF-8", b"CP932") if _libc.ok else None
        self.handle = None if handle in (None, _FAILED) else handle

    def __del__(self) -> None:  # the thread-local dies with its thread
        if self.handle is not None and _libc.ok:
            _libc.close(self.handle)
            self.handle = None


_local = threading.local()


def _descriptor() -> _Descriptor:
    d = getattr(_local, "cd", None)
    if d is None:
        d = _local.cd = _Descriptor()
    return d


def available() -> bool:
    return _descriptor().handle is not None


def _run(handle: int, src: int, size: int, out: np.ndarray) -> tuple[int, int, bool]:
    """iconv ``size`` bytes at address ``src`` into ``out`` as far as it goes: (bytes read, bytes written, clean).

    ``clean`` is False when iconv stopped early (EILSEQ/EINVAL/E2BIG) or reported irreversible conversions."""
    in_p, in_left = ctypes.c_char_p(src), ctypes.c_size_t(size)
    out_p, out_left = ctypes.c_char_p(out.ctypes.data), ctypes.c_size_t(out.size)
    _libc.conv(handle, None, None, None, None)  # back to the initial state (a previous call may have failed)
    done = _libc.conv(handle, ctypes.byref(in_p), ctypes.byref(in_left), ctypes.byref(out_p), ctypes.byref(out_left))
    if done == _FAILED and (err := ctypes.get_errno()) not in (errno.EILSEQ, errno.EINVAL, errno.E2BIG):
        raise OSError(err, "iconv")
    return size - in_left.value, out.size - out_left.value, done == 0 and in_left.value == 0


def iconv_cp932(data: bytes | bytearray | memoryview | np.ndarray) -> bytes | None:
    """Raw ``iconv`` CP932 → UTF-8 of the whole input; None when it refuses any of it (no table check)."""
    handle = _descriptor().handle
    if handle is None:
        return None
    src = data if isinstance(data, np.ndarray) else np.frombuffer(data, dtype=np.uint8)
    if src.size == 0:
        return b""
    out = np.empty(src.size * _GROWTH + 4, dtype=np.uint8)
    _read, written, clean = _run(handle, src.ctypes.data, src.size, out)
    return out[:written].tobytes() if clean else None


def transcode(data: bytes | bytearray | memoryview | np.ndarray, codec: str = "cp932") -> bytes | None:
    """``data.decode(codec).encode("utf-8")`` natively, or None: use the Python path for this input."""
    if codec not in CODECS:
        return None
    unsafe = _unsafe()
    if unsafe is None:
        return None
    if unsafe.has_any and unsafe.hit(np.frombuffer(data, dtype=np.uint8)):
        return None
    return iconv_cp932(data)


class _Unsafe:
    """Single bytes and adjacent byte pairs on which iconv and CPython disagree."""

    def __init__(self, singles: list[int], pairs: list[int]) -> None:
        self.single = np.zeros(256, dtype=bool)
        self.single[singles] = True
        self.pair = np.zeros(1 << 16, dtype=bool)
        self.pair[pairs] = True
        self.has_any = bool(singles or pairs)

    def hit(self, arr: np.ndarray) -> bool:
        if self.single[arr].any():
            return True
        return arr.size > 1 and bool(self.pair[(arr[:-1].astype(np.uint16) << 8) | arr[1:]].any())


@cache
def _unsafe() -> _Unsafe | None:
    """Compare iconv with CPython once; None when iconv is not usable at all."""
    handle = _descriptor().handle
    if handle is None:
        return None
    seqs = [bytes([b]) for b in range(256)] + [bytes([lead, trail]) for lead in LEADS for trail in TRAILS]
    wrong = [s for s, got in zip(seqs, _each_line(handle, seqs), strict=True) if not _agrees(s, got)]
    singles = [s[0] for s in wrong if len(s) == 1]
    return _Unsafe(singles, [(s[0] << 8) | s[1] for s in wrong if len(s) == 2])


def _each_line(handle: int, seqs: list[bytes]) -> list[bytes | None]:
    """``[iconv_cp932(s) for s in seqs]`` in a few calls: one per sequence iconv refuses, not one per sequence.

    The sequences are joined with LF (a character of its own in both tables, so each line converts as if
    alone); after a refusal the conversion restarts at the next line."""
    lines = [s for s in seqs if b"\n" not in s]
    src = np.frombuffer(b"".join(s + b"\n" for s in lines), dtype=np.uint8)
    starts = np.cumsum([0] + [len(s) + 1 for s in lines])
    out = np.empty(src.size * _GROWTH + 4, dtype=np.uint8)
    got: dict[bytes, bytes | None] = {s: iconv_cp932(s) for s in seqs if b"\n" in s}
    k, base = 0, src.ctypes.data
    while k < len(lines):
        read, written, _clean = _run(handle, base + int(starts[k]), src.size - int(starts[k]), out)
        reached = int(starts[k]) + read
        m = int(np.searchsorted(starts, reached, side="right")) - 1  # the line iconv stopped in (or len(lines))
        done = out[:written].tobytes().split(b"\n")[: m - k]
        if len(done) != m - k:  # iconv wrote LFs of its own: trust none of these lines
            done = [None] * (m - k)
        got.update(zip(lines[k:m], done, strict=True))
        if m < len(lines):
            got[lines[m]] = None
        k = m + 1
    return [got[s] for s in seqs]


def _agrees(seq: bytes, got: bytes | None) -> bool:
    """iconv refused ``seq`` (the caller then takes the Python path), or gave what CPython gives."""
    if got is None:
        return True
    try:
        return got == seq.decode("cp932").encode("utf-8")
    except UnicodeDecodeError:  # iconv reads what CPython calls an error
        return False


def unsafe_sequences() -> tuple[list[int], list[int]]:
    """The single bytes and (lead << 8 | trail) pairs this process found unsafe (for reports and tests)."""
    table = _unsafe()
    if table is None:
        return [], []
    return np.flatnonzero(table.single).tolist(), np.flatnonzero(table.pair).tolist()

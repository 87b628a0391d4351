"""CP932 → UTF-8 with glibc ``iconv`` through ctypes: in one step instead of two, and without the GIL.

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

import bisect
import ctypes
import errno
import itertools
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

_void_pp = ctypes.POINTER(ctypes.c_void_p)
_size_p = ctypes.POINTER(ctypes.c_size_t)


class _Libc:
    """The three iconv entry points of the C library, or nothing when the platform lacks them."""

    def __init__(self) -> None:
        self.ok = False
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            self.open, self.conv, self.close = libc.iconv_open, libc.iconv, libc.iconv_close
        except (OSError, AttributeError, TypeError):  # no C library to open (Windows), or no iconv in it
            return
        self.open.restype, self.open.argtypes = ctypes.c_void_p, [ctypes.c_char_p, ctypes.c_char_p]
        self.conv.restype = ctypes.c_size_t
        self.conv.argtypes = [ctypes.c_void_p, _void_pp, _size_p, _void_pp, _size_p]
        self.close.restype, self.close.argtypes = ctypes.c_int, [ctypes.c_void_p]
        self.ok = True


_libc = _Libc()


class _Converter:
    """One iconv descriptor and its argument cells. iconv keeps state in the descriptor, so each thread has its
    own (:func:`_converter`); the cells are reused because building ctypes objects costs more than a short call."""

    def __init__(self) -> None:
        handle = _libc.open(b"UTF-8", b"CP932") if _libc.ok else None
        self.handle = None if handle in (None, _FAILED) else handle
        self.close = _libc.close if _libc.ok else None  # module globals may be gone when a thread dies at exit
        self.in_p, self.in_left = ctypes.c_void_p(), ctypes.c_size_t()
        self.out_p, self.out_left = ctypes.c_void_p(), ctypes.c_size_t()
        self.args = tuple(map(ctypes.byref, (self.in_p, self.in_left, self.out_p, self.out_left)))

    def __del__(self) -> None:  # the thread-local dies with its thread
        if self.handle is not None and self.close is not None:
            self.close(self.handle)
            self.handle = None

    def run(self, src: int, size: int, out: int, room: int) -> tuple[int, int, bool]:
        """iconv ``size`` bytes at address ``src`` into ``room`` bytes at ``out`` as far as it goes:
        (bytes read, bytes written, clean). ``clean`` is False when iconv stopped early (EILSEQ/EINVAL/E2BIG)
        or converted irreversibly."""
        self.in_p.value, self.in_left.value = src, size
        self.out_p.value, self.out_left.value = out, room
        _libc.conv(self.handle, None, None, None, None)  # initial state, whatever a previous call left
        done = _libc.conv(self.handle, *self.args)
        if done == _FAILED and (err := ctypes.get_errno()) not in (errno.EILSEQ, errno.EINVAL, errno.E2BIG):
            raise OSError(err, "iconv")
        return size - self.in_left.value, room - self.out_left.value, done == 0 and self.in_left.value == 0


_local = threading.local()


def _converter() -> _Converter:
    conv = getattr(_local, "conv", None)
    if conv is None:
        conv = _local.conv = _Converter()
    return conv


def available() -> bool:
    return _converter().handle is not None


def iconv_cp932(data: bytes | bytearray | memoryview | np.ndarray) -> bytes | None:
    """Raw ``iconv`` CP932 → UTF-8 of the whole input; None when it refuses any of it (no table check)."""
    src = data if isinstance(data, np.ndarray) else np.frombuffer(data, dtype=np.uint8)
    read, utf8, clean = convert_from(src, 0)
    return utf8 if clean and read == src.size else None


def convert_from(src: np.ndarray, start: int) -> tuple[int, bytes, bool]:
    """iconv ``src[start:]`` as far as it goes: (bytes read, their UTF-8, whether iconv reported nothing
    irreversible). Reads nothing without iconv. No table check: see :func:`usable`."""
    conv = _converter()
    size = src.size - start
    if conv.handle is None or size <= 0:
        return 0, b"", True
    out = np.empty(size * _GROWTH + 4, dtype=np.uint8)
    read, written, clean = conv.run(src.ctypes.data + start, size, out.ctypes.data, out.size)
    return read, out[:written].tobytes(), clean or read < size


def usable(src: np.ndarray, codec: str) -> bool:
    """Whether iconv may convert ``src`` from ``codec``: it is cp932, iconv is there, and ``src`` holds no byte
    or pair on which iconv and CPython disagree."""
    if codec not in CODECS:
        return False
    unsafe = _unsafe()
    return unsafe is not None and not (unsafe.has_any and unsafe.hit(src))


def transcode(data: bytes | bytearray | memoryview | np.ndarray, codec: str = "cp932") -> bytes | None:
    """``data.decode(codec).encode("utf-8")`` natively, or None: use the Python path for this input."""
    src = data if isinstance(data, np.ndarray) else np.frombuffer(data, dtype=np.uint8)
    return iconv_cp932(src) if usable(src, codec) else None


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
    """Compare iconv with CPython once per process; None when iconv is not usable at all.

    Unsafe: iconv reads a sequence CPython refuses, or reads it differently. (iconv refusing what CPython
    reads is safe: that input takes the Python path.)"""
    if not available():
        return None
    seqs = [bytes([b]) for b in range(256) if b != 0x0A] + [bytes([lead, t]) for lead in LEADS for t in TRAILS]
    wrong = [
        s for s, py, got in zip(seqs, _python_lines(seqs), _iconv_lines(seqs), strict=True) if got not in (None, py)
    ]
    if iconv_cp932(b"\n") != b"\n":
        wrong.append(b"\n")
    singles = [s[0] for s in wrong if len(s) == 1]
    return _Unsafe(singles, [(s[0] << 8) | s[1] for s in wrong if len(s) == 2])


def _python_lines(seqs: list[bytes]) -> list[bytes | None]:
    """CPython's UTF-8 for each sequence (None: CPython refuses it), decoded in one call when possible."""
    text = b"\n".join(seqs).decode("cp932", errors="replace").split("\n")
    if len(text) != len(seqs):  # an error swallowed a line end: one by one
        return [_python(s) for s in seqs]
    return [None if "\ufffd" in t else t.encode() for t in text]


def _python(seq: bytes) -> bytes | None:
    try:
        return seq.decode("cp932").encode()
    except UnicodeDecodeError:
        return None


def _iconv_lines(seqs: list[bytes]) -> list[bytes | None]:
    """``[iconv_cp932(s) for s in seqs]`` (no LF in any) in one call per sequence iconv refuses, not per sequence.

    The sequences are joined with LF (a character of its own in both tables, so each line converts as if
    alone); after a refusal the conversion restarts at the next line."""
    conv = _converter()
    src = b"".join(s + b"\n" for s in seqs)
    starts = list(itertools.accumulate((len(s) + 1 for s in seqs), initial=0))
    out = ctypes.create_string_buffer(len(src) * _GROWTH + 4)
    src_at, out_at = ctypes.cast(ctypes.c_char_p(src), ctypes.c_void_p).value or 0, ctypes.addressof(out)
    got: list[bytes | None] = []
    while len(got) < len(seqs):
        k = len(got)
        read, written, _clean = conv.run(src_at + starts[k], len(src) - starts[k], out_at, len(out))
        m = bisect.bisect_right(starts, starts[k] + read) - 1  # the line iconv stopped in (len(seqs): none)
        pieces = ctypes.string_at(out_at, written).split(b"\n")  # lines k..m-1, then the start of line m
        if len(pieces) != m - k + 1:  # iconv wrote line ends of its own: take these lines one by one
            pieces = [iconv_cp932(s) for s in seqs[k:m]]
        got += pieces[: m - k]
        if m < len(seqs):
            got.append(None)
    return got


def unsafe_sequences() -> tuple[list[int], list[int]]:
    """The single bytes and (lead << 8 | trail) pairs this process found unsafe (for reports and tests)."""
    table = _unsafe()
    if table is None:
        return [], []
    return np.flatnonzero(table.single).tolist(), np.flatnonzero(table.pair).tolist()

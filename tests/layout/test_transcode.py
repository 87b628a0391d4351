"""The native CP932 → UTF-8 transcoder (glibc iconv) gives exactly what CPython's cp932 codec gives, or None.

Every single byte and every two-byte sequence is transcoded; wherever iconv succeeds the result must be
CPython's ``decode("cp932").encode("utf-8")``, and wherever CPython refuses, iconv must refuse too."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from lgcloud.layout import codec, iter_batches, load_layout, reader, resolve_dialect, transcode
from lgcloud.migration.generate import GenerateOptions, generate

needs_iconv = pytest.mark.skipif(not transcode.available(), reason="no glibc iconv with CP932")


def _python(seq: bytes) -> bytes | None:
    try:
        return seq.decode("cp932").encode("utf-8")
    except UnicodeDecodeError:
        return None


def _singles_and_pairs() -> list[bytes]:
    return [bytes([b]) for b in range(256)] + [bytes([lead, t]) for lead in transcode.LEADS for t in transcode.TRAILS]


@needs_iconv
def test_every_byte_and_pair_one_per_line() -> None:
    seqs = _singles_and_pairs()
    got = {s: transcode.transcode(s + b"\n") for s in seqs}
    for seq, utf8 in got.items():
        if utf8 is not None:
            assert utf8 == _python(seq + b"\n"), seq.hex()
    converted = [s for s, utf8 in got.items() if utf8 is not None]
    assert len(converted) > 9000  # the bulk of the table is done natively, not refused
    joined = b"\n".join(converted)  # all of them in one buffer, as the reader hands over a column
    assert transcode.transcode(joined) == _python(joined)


@needs_iconv
def test_self_check_finds_every_disagreement() -> None:
    """The per-process table (built in a few bulk calls) holds every sequence raw iconv, called on it alone,
    reads differently from CPython or reads where CPython refuses."""
    singles, pairs = transcode.unsafe_sequences()
    for seq in _singles_and_pairs():
        raw = transcode.iconv_cp932(seq)
        listed = seq[0] in singles if len(seq) == 1 else (seq[0] << 8 | seq[1]) in pairs
        assert listed == (raw is not None and raw != _python(seq)), seq.hex()


@needs_iconv
def test_no_pair_iconv_reads_and_python_refuses() -> None:
    """Any first byte ≥ 0x80 with any second byte (trails below 0x40 included: a lead before a separator)."""
    for first in range(0x80, 0x100):
        for second in range(0x100):
            seq = bytes([first, second])
            utf8 = transcode.transcode(seq)
            assert utf8 is None or utf8 == _python(seq), seq.hex()


@needs_iconv
def test_refusals() -> None:
    assert transcode.transcode(b"") == b""
    assert transcode.transcode("ﾔﾏﾀﾞ 山田\ue000".encode("cp932")) == "ﾔﾏﾀﾞ 山田\ue000".encode()
    for bad in (b"\x81", b"ab\x81\n", b"\x85\x40", b"\x82\x0a"):  # lone lead, lead before LF, unmapped pair
        assert transcode.transcode(bad) is None, bad.hex()
    for trap in (0x80, 0xA0, 0xFD, 0xFE, 0xFF):  # CPython decodes these silently: same result or the Python path
        seq = b"x" + bytes([trap])
        assert transcode.transcode(seq) in (None, _python(seq))
    assert transcode.transcode("山田".encode("cp932"), "shift_jis_2004") is None  # only cp932 is proved


def test_unsafe_bytes_and_pairs_go_to_python(monkeypatch: pytest.MonkeyPatch) -> None:
    table = transcode._Unsafe([ord("A")], [0x82A0])
    monkeypatch.setattr(transcode, "_unsafe", lambda: table)
    assert transcode.transcode(b"xAy") is None
    assert transcode.transcode(b"\x82\xa0") is None
    assert transcode.transcode(b"\x82\xa1") in (None, "ぃ".encode())
    assert transcode.transcode("ぃ".encode("cp932")) == ("ぃ".encode() if transcode.available() else None)


def test_without_iconv_always_none(monkeypatch: pytest.MonkeyPatch) -> None:
    missing = transcode._Converter.__new__(transcode._Converter)
    missing.handle = missing.close = None
    monkeypatch.setattr(transcode._local, "conv", missing, raising=False)
    assert transcode.transcode(b"abc") is None
    assert transcode.iconv_cp932("山".encode("cp932")) is None


@needs_iconv
def test_threads_use_their_own_descriptor() -> None:
    text = ("山田ﾀﾛｳ,東京都\ue000\n" * 2000).encode("cp932")
    bad = text + b"\x85\x40"
    results: list[bool] = []
    handles: set[int | None] = set()

    def work() -> None:
        handles.add(transcode._converter().handle)
        for _ in range(20):
            results.append(
                transcode.transcode(text) == text.decode("cp932").encode() and transcode.transcode(bad) is None
            )

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [True] * 80
    assert len(handles) == 4


def _records(rng: np.random.Generator, count: int, bad: float = 0.1) -> bytes:
    """cp932 records of kanji, kana, half-width kana, 外字 and ASCII, with bad bytes and traps here and there."""
    alphabet = [*"山田太郎東京都ｱｲｳﾀﾞ髙﨑\ue000\ue757ー　0123456789abc,-", "\u00a7", "\u0410"]
    out = []
    for _ in range(count):
        raw = "".join(rng.choice(alphabet, size=int(rng.integers(0, 30)))).encode("cp932")
        if raw and rng.random() < bad:  # an undecodable byte, a trap, a lone lead or an unmapped pair
            at = int(rng.integers(0, len(raw) + 1))
            raw = (
                raw[:at]
                + [b"\x80", b"\xa0", b"\xfd", b"\xff", b"\x81", b"\x85\x40", b"\xeb"][rng.integers(0, 7)]
                + raw[at:]
            )
        out.append(raw + b"\n")
    return b"".join(out)


@pytest.mark.parametrize("piece", [1, 200, 1 << 14])
def test_decode_utf8_is_decode_marked(monkeypatch: pytest.MonkeyPatch, piece: int) -> None:
    monkeypatch.setattr(codec, "PYTHON_PIECE", piece)
    rng = np.random.default_rng(piece)
    for count in (0, 1, 50, 3000):
        data = _records(rng, count)
        starts = np.concatenate(([0], np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10)[:-1] + 1))
        text, bad = codec.decode_marked(data, "cp932", starts.tolist())
        assert codec.decode_utf8(data, "cp932", starts) == (text.encode(), bad)
        assert codec.decode_utf8(memoryview(data), "cp932", starts[::7]) == (text.encode(), bad)
        assert codec.decode_utf8(data, "cp932") == (text.encode(), codec.decode_marked(data, "cp932")[1])
        odd = starts[1:] + 1  # records that do not start after a LF: all CPython, as decode_marked cuts them
        text, bad = codec.decode_marked(data, "cp932", odd.tolist())
        assert codec.decode_utf8(data, "cp932", odd) == (text.encode(), bad)


def _fit(value: bytes, width: int) -> bytes:
    """``value`` cut to ``width`` bytes without splitting a character, padded with spaces."""
    text = value.decode("cp932", errors="replace").replace("\ufffd", "")
    while len(text.encode("cp932")) > width:
        text = text[:-1]
    fitted = text.encode("cp932")
    if value != fitted and len(value) <= width:  # keep an injected bad byte when it fits
        fitted = value
    return fitted + b" " * (width - len(fitted))


@pytest.mark.parametrize("fast", [True, False])
def test_reader_same_with_and_without_iconv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fast: bool) -> None:
    """Batches with bad bytes, traps and 外字: identical whether records go through iconv or CPython."""
    layout = load_layout("juki")
    dialect = resolve_dialect(layout.dialects, None)
    result = generate(GenerateOptions(rows=1500, out=tmp_path, errors=0.02, gaiji=0.1, seed=11))
    spec, path = layout.file("person"), result.files["person"]
    monkeypatch.setattr(reader, "FAST_CSV", fast)
    transcode.unsafe_sequences()  # the self-check's own calls must not count below
    native = transcode.convert_from
    stopped: list[bool] = []

    def counted(src: np.ndarray, start: int) -> tuple[int, bytes, bool]:
        read, utf8, clean = native(src, start)
        stopped.append(start + read < src.size)
        return read, utf8, clean

    monkeypatch.setattr(transcode, "convert_from", counted)
    with_iconv = list(iter_batches(path, spec, dialect, batch_bytes=60_000, prefetch=False))
    monkeypatch.setattr(transcode, "usable", lambda src, codec: False)
    python = list(iter_batches(path, spec, dialect, batch_bytes=60_000, prefetch=False))
    if transcode.available():  # iconv read whole pieces, and stopped at bad bytes or traps
        assert True in stopped and False in stopped
    assert len(with_iconv) == len(python)
    for a, b in zip(with_iconv, python, strict=True):
        assert a.frame.equals(b.frame, null_equal=True)
        assert a.issues == b.issues
        assert sorted(a.bad_cells) == sorted(b.bad_cells)
        assert np.array_equal(np.sort(a.special_records), np.sort(b.special_records))


def test_fixed_length_same_with_and_without_iconv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = load_layout("juki").file("person")
    dialect = resolve_dialect(load_layout("juki").dialects, "fixed-cp932")
    widths = [it.fixed_width(dialect.date_style) for it in spec.items]
    rng = np.random.default_rng(3)
    values = _records(rng, 400 * len(widths), bad=0.0005).split(b"\n")
    rows = [b"".join(_fit(values[r * len(widths) + j], w) for j, w in enumerate(widths)) for r in range(400)]
    path = tmp_path / "person.dat"
    path.write_bytes(b"".join(rows) if dialect.line_end == "none" else b"\r\n".join(rows) + b"\r\n")
    transcode.unsafe_sequences()  # the self-check's own calls must not count below
    native = transcode.convert_from
    stopped: list[bool] = []

    def counted(src: np.ndarray, start: int) -> tuple[int, bytes, bool]:
        read, utf8, clean = native(src, start)
        stopped.append(start + read < src.size)
        return read, utf8, clean

    monkeypatch.setattr(transcode, "convert_from", counted)
    with_iconv = list(iter_batches(path, spec, dialect, batch_bytes=50_000, prefetch=False))
    monkeypatch.setattr(transcode, "usable", lambda src, codec: False)
    python = list(iter_batches(path, spec, dialect, batch_bytes=50_000, prefetch=False))
    assert sum(len(b.issues) for b in python) > 0
    if transcode.available():
        assert True in stopped and False in stopped
    for a, b in zip(with_iconv, python, strict=True):
        assert a.frame.equals(b.frame, null_equal=True)
        assert a.issues == b.issues
        assert sorted(a.bad_cells) == sorted(b.bad_cells)
        assert np.array_equal(np.sort(a.special_records), np.sort(b.special_records))

"""Readers: exact positions, encoding errors per record, cp932 traps, fixed-length alignment, streaming."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from layout_mini import GOOD, HEADER, num, row, triples, validate_text

from lgcloud.layout import Dialect, Layout, iter_batches, parse_layout, write_frame

FIXED = parse_layout({
    "layout": "fx", "version": "1", "title": "fixed",
    "files": [{"name": "rec", "title": "rec", "items": [
        {"name": "番号", "type": "digits", "width": 4, "required": True},
        {"name": "氏名", "type": "text", "width": 8, "gaiji": True},
        {"name": "カナ", "type": "kana", "width": 6},
        {"name": "日付", "type": "date", "required": True},
        {"name": "区分", "type": "flag", "required": True},
    ]}],
})


def test_fixed_length_bad_byte_mid_record_does_not_shift_later_fields(tmp_path: Path) -> None:
    dialect = Dialect(format="fixed", encoding="cp932", header=False, line_end="crlf")
    frame = pl.DataFrame({"番号": ["0001", "0002", "0003"], "氏名": ["山田", "佐藤", "鈴木"],
                          "カナ": ["ヤマダ", "サトウ", "スズキ"], "日付": ["20200101"] * 3, "区分": ["1", "0", "1"]})
    path = tmp_path / "rec.dat"
    write_frame(frame, path, FIXED.file("rec"), dialect)
    data = bytearray(path.read_bytes())
    reclen = 4 + 8 + 6 + 8 + 1 + 2
    assert len(data) == 3 * reclen
    # record 2: the first byte of 佐 becomes an invalid lead byte (0x85): its trail byte 0x8D must not be
    # taken as the start of the next character, and カナ/日付/区分 must stay where they are
    data[reclen + 4] = 0x85
    # record 3: a lead byte as the last byte of 氏名 (it would swallow the first byte of カナ)
    data[2 * reclen + 4 + 7] = 0x82
    path.write_bytes(bytes(data))
    from lgcloud.layout import Validator

    result = Validator(FIXED, dialect).validate([(FIXED.file("rec"), path)])
    assert triples(result) == {(2, "氏名", "encoding"), (3, "氏名", "encoding")}
    offsets = sorted(result.errors["byte_offset"].to_list())
    assert offsets == [reclen + 4, 2 * reclen + 11]
    batch = next(iter_batches(path, FIXED.file("rec"), dialect, prefetch=False))
    rows = batch.frame.to_dicts()
    assert [r["カナ"].strip() for r in rows] == ["ヤマダ", "サトウ", "スズキ"]
    assert [r["日付"] for r in rows] == ["20200101"] * 3
    assert [r["区分"] for r in rows] == ["1", "0", "1"]


def test_fixed_length_record_length_and_wareki(tmp_path: Path) -> None:
    dialect = Dialect(format="fixed", encoding="cp932", header=False, line_end="lf", date_style="wareki1")
    good = b"0001" + "山田".encode("cp932").ljust(8) + "ヤマダ".encode("cp932") + b"4310430" + b"1"
    short = good[:-3]
    (tmp_path / "r.dat").write_bytes(b"\n".join([good, short, good.replace(b"4310430", b"4310501")]) + b"\n")
    from lgcloud.layout import Validator

    result = Validator(FIXED, dialect).validate([(FIXED.file("rec"), tmp_path / "r.dat")])
    assert triples(result) == {(2, None, "record-length"), (3, "日付", "date")}


def test_csv_bad_byte_reports_line_item_and_offset(mini: Layout, tmp_path: Path) -> None:
    text = "\n".join([HEADER, GOOD, row(番号=num(2), 住所="東京都")]) + "\n"
    data = text.encode("cp932")
    at = data.index("東京都".encode("cp932"), len(HEADER.encode("cp932")) + len(GOOD.encode("cp932")) + 2)
    data = data[:at] + b"\x85" + data[at + 1:]
    result = validate_text(mini, tmp_path, data)
    assert triples(result) == {(3, "住所", "encoding")}
    [error] = result.errors.to_dicts()
    assert error["byte_offset"] == at and "85" in error["message"]


@pytest.mark.parametrize(("byte", "char"), [(0x80, "\u0080"), (0xA0, "\uf8f0"), (0xFD, "\uf8f1"), (0xFE, "\uf8f2"),
                                             (0xFF, "\uf8f3")])
def test_cp932_traps_are_reported_not_mapped(mini: Layout, tmp_path: Path, byte: int, char: str) -> None:
    data = ("\n".join([HEADER, GOOD, row(番号=num(2), 住所="東京都")]) + "\n").encode("cp932")
    data = data.replace("東京都".encode("cp932"), "東京".encode("cp932") + bytes([byte]))
    result = validate_text(mini, tmp_path, data)
    assert triples(result) == {(2, "住所", "encoding-trap"), (3, "住所", "encoding-trap")}
    assert char in result.errors["value"][0]


def test_trap_in_a_typed_item_is_still_a_trap(mini: Layout, tmp_path: Path) -> None:
    data = ("\n".join([HEADER, GOOD]) + "\n").encode("cp932").replace(b"100-0001", b"100-000\xff")
    assert triples(validate_text(mini, tmp_path, data)) == {(2, "郵便", "encoding-trap")}


def test_quoted_line_breaks_keep_line_numbers(mini: Layout, tmp_path: Path) -> None:
    multi = row(番号=num(2), 住所='"東京\n都"')
    result = validate_text(mini, tmp_path, [GOOD, multi, row(番号=num(3), 性別="9")])
    assert triples(result) == {(5, "性別", "code")}


def test_small_batches_give_the_same_report(mini: Layout, tmp_path: Path) -> None:
    lines = [GOOD] + [row(番号=num(i), 性別="9" if i % 7 == 0 else "1") for i in range(2, 300)]
    whole = validate_text(mini, tmp_path, lines)
    pieces = validate_text(mini, tmp_path, lines, batch_bytes=700)
    assert triples(whole) == triples(pieces) and len(triples(whole)) == 42
    assert whole.errors.sort("line")["byte_offset"].to_list() == pieces.errors.sort("line")["byte_offset"].to_list()


def test_crlf_bom_and_header(mini: Layout, tmp_path: Path) -> None:
    body = "\r\n".join([HEADER, GOOD, row(番号=num(2), 性別="9")]) + "\r\n"
    result = validate_text(mini, tmp_path, b"\xef\xbb\xbf" + body.encode("utf-8"),
                           dialect=Dialect(encoding="utf-8-sig", line_end="crlf"))
    assert triples(result) == {(3, "性別", "code")}
    bad_header = body.replace("番号,氏名", "番号,名前", 1).encode("cp932")
    assert (1, None, "header") in triples(validate_text(mini, tmp_path, bad_header))


@pytest.mark.parametrize("encoding", ["utf-8", "cp932", "shift_jis_2004", "euc-jis-2004"])
def test_writer_reader_round_trip(mini: Layout, tmp_path: Path, encoding: str) -> None:
    spec = mini.file("people")
    name = {"utf-8": "髙橋　﨑子", "cp932": "髙橋　﨑子", "shift_jis_2004": "高橋　﨑子"}.get(encoding, "高橋")
    frame = pl.DataFrame([dict(zip(HEADER.split(","), r.split(","), strict=True))
                          for r in (GOOD, row(番号=num(2), 氏名=name))])
    for fmt in ("csv", "tsv"):
        dialect = Dialect(format=fmt, encoding=encoding).with_options()
        write_frame(frame, tmp_path / "p.csv", spec, dialect)
        back = next(iter_batches(tmp_path / "p.csv", spec, dialect, prefetch=False)).frame
        assert back.select(spec.names).to_dicts() == frame.to_dicts()


def test_writer_refuses_what_the_encoding_cannot_hold(mini: Layout, tmp_path: Path) -> None:
    from lgcloud.layout import EncodeError

    frame = pl.DataFrame([dict(zip(HEADER.split(","), row(氏名="𠮷田").split(","), strict=True))])
    with pytest.raises(EncodeError) as info:
        write_frame(frame, tmp_path / "p.csv", mini.file("people"), Dialect(encoding="cp932"))
    assert "U+20BB7" in info.value.message and "2行目" in info.value.message


def test_writer_numbers_lines_from_where_the_piece_begins(mini: Layout, tmp_path: Path) -> None:
    from lgcloud.layout import EncodeError

    frame = pl.DataFrame([dict(zip(HEADER.split(","), row(氏名=name).split(","), strict=True))
                          for name in ("山田", "𠮷田")])
    with pytest.raises(EncodeError) as info:
        write_frame(frame, tmp_path / "p.csv", mini.file("people"), Dialect(encoding="cp932"), header=False,
                    first_line=101)
    assert "102行目" in info.value.message and info.value.detail["line"] == 102


def test_fixed_length_without_line_ends(tmp_path: Path) -> None:
    from lgcloud.layout import Validator

    dialect = Dialect(format="fixed", encoding="cp932", header=False, line_end="none")
    frame = pl.DataFrame({"番号": ["0001", "0002"], "氏名": ["山田", "髙橋"], "カナ": ["ヤマダ", "タカギ"],
                          "日付": ["20200101", "20201301"], "区分": ["1", "0"]})
    write_frame(frame, tmp_path / "r.dat", FIXED.file("rec"), dialect)
    data = (tmp_path / "r.dat").read_bytes()
    assert b"\n" not in data and len(data) == 2 * 27
    (tmp_path / "r.dat").write_bytes(data + b"0003")  # a truncated last record
    result = Validator(FIXED, dialect).validate([(FIXED.file("rec"), tmp_path / "r.dat")])
    assert triples(result) == {(2, "日付", "date"), (3, None, "record-length")}
    assert result.errors.filter(pl.col("line") == 3)["byte_offset"].item() == 54


def test_empty_and_header_only_files(mini: Layout, tmp_path: Path) -> None:
    assert triples(validate_text(mini, tmp_path, b"")) == {(1, None, "header")}
    result = validate_text(mini, tmp_path, f"{HEADER}\n".encode("cp932"))
    assert result.valid and result.files[0].records == 0

"""差分 / 全件 files in the juki layout: manifest, checksums, cursor ranges, characters, the schedule."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from pathlib import Path

import polars as pl
import pytest
from linkage_helpers import IVS_MEI, IVS_SEI, Clerk

from lgcloud.db.base import utcnow
from lgcloud.errors import LgcloudError
from lgcloud.linkage import files
from lgcloud.residents.commands import MoveOut


def _manifest(export: dict) -> dict:
    return json.loads((Path(export["directory"]) / "manifest.json").read_text(encoding="utf-8"))


def _check_sums(export: dict) -> None:
    manifest = _manifest(export)
    for entry in manifest["files"]:
        data = (Path(export["directory"]) / entry["name"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]
        assert len(data) == entry["bytes"]


def test_diff_files_follow_the_cursor(database, tenants, clerk: Clerk, tmp_path: Path) -> None:
    family = clerk.move_in(f"{IVS_SEI}　{IVS_MEI}", kana="カツラギ　ナベコ", others=1)
    first = files.write_diff(database, tenants.a, tmp_path)
    assert first is not None and (first["from_seq"], first["to_seq"]) == (0, 2)
    assert files.write_diff(database, tenants.a, tmp_path) is None  # nothing new
    clerk.do(MoveOut(atena_nos=[family.rows[1].atena_no], move_out_to="東京都港区芝公園1丁目"))
    second = files.write_diff(database, tenants.a, tmp_path)
    assert second is not None and (second["from_seq"], second["to_seq"]) == (2, 3)
    for export in (first, second):
        _check_sums(export)
    manifest = _manifest(first)
    assert manifest["cursor"] == {"from": 0, "to": 2} and manifest["counts"]["events"] == 2
    people = pl.read_csv(Path(first["directory"]) / "person.csv", infer_schema=False)
    assert people["氏名"].to_list()[0] == f"{IVS_SEI}　{IVS_MEI}"  # UTF-8, IVS intact
    assert people["住所_都道府県"].to_list() == ["福井県", "福井県"]
    assert people["異動事由コード"].to_list() == ["01", "01"]
    assert people["個人番号"].null_count() == 2  # 特定個人情報 never goes into a file
    lines = (Path(second["directory"]) / "events.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(x)["lgcloudseq"] for x in lines] == [3]
    # An on-demand re-export from any cursor does not move the schedule's cursor.
    again = files.write_diff(database, tenants.a, tmp_path, since=0)
    assert again is not None and again["to_seq"] == 3
    assert files.write_diff(database, tenants.a, tmp_path) is None


def test_full_export_is_the_migration_export_with_a_cursor(database, tenants, clerk: Clerk, tmp_path: Path) -> None:
    from linkage_helpers import person

    from lgcloud.residents.commands import AddressInput, MoveIn

    family = clerk.move_in(f"{IVS_SEI}　{IVS_MEI}", kana="カツラギ　ナベコ", others=2)
    clerk.do(MoveIn(persons=[person("鈴木　一", "スズキ　ハジメ", "平成1年2月3日", "世帯主", mynumber="123456789018")],
                    address=AddressInput(address="新町3番地")))  # fmt: skip
    clerk.do(MoveOut(atena_nos=[family.rows[2].atena_no], move_out_to="東京都港区芝公園1丁目"))
    export = files.write_full(database, tenants.a, tmp_path)
    _check_sums(export)
    manifest = _manifest(export)
    assert manifest["cursor"] == {"from": 0, "to": 5}  # 4 転入 events + 1 転出 event
    assert manifest["counts"]["person"] == 5  # every history row, the 除票's included
    names = {f["name"] for f in manifest["files"]}
    assert names == {"person.csv", "foreign.csv", "household.csv"}
    people = pl.read_csv(Path(export["directory"]) / "person.csv", infer_schema=False)
    assert f"{IVS_SEI}　{IVS_MEI}" in people["氏名"].to_list()  # UTF-8, IVS intact
    assert people["個人番号"].null_count() == people.height  # 特定個人情報 never goes into a file
    assert "123456789018" not in (Path(export["directory"]) / "person.csv").read_text(encoding="utf-8")


def test_the_schedule_writes_a_diff_when_due(database, tenants, clerk: Clerk, tmp_path: Path) -> None:
    with database.session(tenants.a) as session, pytest.raises(LgcloudError):
        files.set_schedule(session, tenants.a, 11)
    with database.session(tenants.a) as session:
        files.set_schedule(session, tenants.a, 5)
    clerk.move_in()
    now = utcnow()
    assert files.run_scheduled(database, [tenants.a, tenants.b], tmp_path, now) == 1
    clerk.move_in("鈴木　一", kana="スズキ　ハジメ")
    assert files.run_scheduled(database, [tenants.a], tmp_path, now + timedelta(minutes=1)) == 0  # not yet
    assert files.run_scheduled(database, [tenants.a], tmp_path, now + timedelta(minutes=6)) == 1

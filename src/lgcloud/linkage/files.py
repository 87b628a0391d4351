"""差分 and 全件 files for systems that take files, in the migration layout (``juki``), with a manifest.

- 差分 (``diff``): every history row written by the events in the cursor range ``(from, to]`` — the
  ``person`` file of the juki layout, one row per event — plus the same events as CloudEvents JSON Lines.
  Scheduled every N ≤ 10 minutes per municipality (標準仕様書 j1190: near-real-time at most every 10
  minutes), or on demand from a cursor (``lgcloud linkage files --since``).
- 全件 (``full``): the migration export (every history row, 除票, 外国人, 世帯), cursor = the head read first.

Files are UTF-8 (``csv-utf8`` dialect) so MJ characters and IVS travel unchanged. ``manifest.json`` lists
the layout, the cursor range, the counts and a SHA-256 per file; a set is written to a temporary
directory and renamed into place, so a reader never sees half a set.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lgcloud.config import Settings
from lgcloud.db import Database
from lgcloud.db.base import utcnow
from lgcloud.errors import LgcloudError, NotFound
from lgcloud.layout import load_layout, resolve_dialect, write_frame
from lgcloud.linkage import cloudevents, handoff, outbox, vocabulary
from lgcloud.linkage.models import file_exports, file_settings
from lgcloud.residents import queries
from lgcloud.residents.model import HEAD, FlexDate, Ido, Row, Status
from lgcloud.residents.repository import SqlRegistry
from lgcloud.tenancy.audit import record_audit

LAYOUT = "juki"
DIALECT = "csv-utf8"
DIFF_CURSOR = "files-diff"
MAX_EVERY_MINUTES = 10
STATUS_CODES = {Status.RESIDENT: "1", Status.MOVED_OUT: "2", Status.DECEASED: "3", Status.REMOVED: "9"}
REMOVAL_CODES = {"国内転出": "1", "国外転出": "1", "死亡": "2", "職権消除": "3", "異動の取消し（減）": "6"}


def export_root(settings: Settings) -> Path:
    return Path(settings.data_dir) / "linkage"


# --- rows in the juki layout -------------------------------------------------------------------------


def _ymd(value: date | None) -> str | None:
    return value.strftime("%Y%m%d") if value else None


def _flex(value: FlexDate | None) -> str | None:
    return _ymd(value.value) if value else None


def _flag(value: bool) -> str:
    return "1" if value else "0"


def _paren(text: str) -> str:
    return text.replace("（", "(").replace("）", ")")


@dataclass(frozen=True)
class Codes:
    reason: dict[str, str]
    zokugara: dict[str, str]

    @classmethod
    def of_layout(cls) -> Codes:
        tables = load_layout(LAYOUT).code_tables
        return cls(
            reason={_paren(v): k for k, v in tables["異動事由"].values.items()},
            zokugara={_paren(v): k for k, v in tables["続柄"].values.items()},
        )


def person_row(
    row: Row, ido: Ido | None, place: vocabulary.Municipality, codes: Codes, latest: bool
) -> dict[str, str | None]:
    """One history row as the juki ``person`` file's items (個人番号 left out: 特定個人情報)."""
    p = row.person
    machi, banchi = vocabulary.split_address(p.address) if p.address else (None, None)
    reason = ido.reason if ido else None
    return {
        "市区町村コード": place.lg_code,
        "宛名番号": p.atena_no,
        "履歴番号": str(row.rireki_no),
        "最新フラグ": _flag(latest),
        "世帯番号": p.setai_no,
        "住民種別": p.kind.value,
        "住民状態": STATUS_CODES[p.status],
        "住民票コード": p.juminhyo_code,
        "個人番号": None,
        "異動事由コード": codes.reason.get(_paren(reason or "")),
        "異動年月日": _flex(ido.ido_date) if ido else None,
        "届出年月日": _ymd(ido.todokede_date) if ido else None,
        "処理年月日": _ymd(ido.shori_date) if ido else None,
        "通知年月日": _ymd(ido.notice_date) if ido else None,
        "記載の事由": codes.reason.get(_paren(reason or "")) if ido and ido.reason_class.value == "記載" else None,
        "記載年月日": _flex(p.became_resident_on),
        "消除の事由": REMOVAL_CODES.get(p.removal_reason or ""),
        "消除年月日": _flex(p.removed_on),
        "消除の届出年月日": None,
        "氏名": p.shimei,
        "氏": p.sei,
        "名": p.mei or None,
        "氏名_フリガナ": p.shimei_kana or None,
        "氏名_フリガナ確認状況": _flag(p.shimei_kana_confirmed),
        "旧氏": p.kyushi,
        "旧氏_フリガナ": p.kyushi_kana,
        "旧氏_フリガナ確認状況": _flag(p.kyushi_kana_confirmed),
        "氏名_外国人ローマ字": p.alpha_name,
        "通称": p.tsusho,
        "通称_フリガナ": p.tsusho_kana,
        "性別": p.sex.value,
        "生年月日": _flex(p.birth_date),
        "生年月日_不詳フラグ": _flag(p.birth_date.text is not None),
        **zokugara_codes(p.zokugara, codes),
        "続柄表記": p.zokugara,
        "世帯主氏名": p.head_name or None,
        "記載順位": str(p.household_order),
        "住所_市区町村コード": place.lg_code,
        "住所_町字コード": p.address_code,
        "住所_都道府県": place.prefecture,
        "住所_市区郡町村名": place.name,
        "住所_町字": machi,
        "住所_番地号表記": banchi,
        "住所_方書": p.katagaki,
        "住所_郵便番号": _postal(p.postal_code),
        "住民となった年月日": _flex(p.became_resident_on),
        "住所を定めた年月日": _flex(p.address_set_on),
        "転入前住所_郵便番号": _postal(p.prev_postal_code),
        "転入前住所": p.prev_address,
        "本籍": p.honseki,
        "筆頭者": p.hittosha,
        "転出予定年月日": _ymd(p.move_out_planned_on),
        "転出年月日": _ymd(p.move_out_on),
        "転出先住所": p.move_out_confirmed_to or p.move_out_to,
        "選挙人名簿登録有無": _flag(p.elector),
        "国保資格有無": _flag(p.kokuho),
        "後期高齢資格有無": _flag(p.kouki),
        "介護資格有無": _flag(p.kaigo),
        "年金資格種別": None,
        "基礎年金番号": p.pension_no,
        "児童手当受給開始年月": (p.child_allowance_from or "").replace("-", "") or None,
        "成年被後見人該当有無": _flag(p.adult_guardianship),
        "備考": p.remarks,
    }


def zokugara_codes(zokugara: str, codes: Codes) -> dict[str, str | None]:
    """続柄コード1–4: one code per link of a chain (子の妻 → 20, 12); unknown links stay blank (表記 keeps them)."""
    links = ["世帯主"] if zokugara == HEAD else [_paren(x) for x in zokugara.split("の")]
    return {f"続柄コード{i + 1}": codes.zokugara.get(links[i]) if i < len(links) else None for i in range(4)}


def _postal(code: str | None) -> str | None:
    digits = re.sub(r"\D", "", code or "")
    return f"{digits[:3]}-{digits[3:]}" if len(digits) == 7 else None


# --- writing a set --------------------------------------------------------------------------------------


def _frame(rows: list[dict[str, str | None]], names: list[str]) -> pl.DataFrame:
    return pl.DataFrame({n: [r.get(n) for r in rows] for n in names}, schema={n: pl.String for n in names})


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _write_set(
    directory: Path,
    tables: dict[str, list[dict[str, str | None]]],
    jsonl: list[dict[str, Any]] | None,
    manifest: dict[str, Any],
) -> str:
    """Write the files and the manifest into a temporary sibling, then rename it to ``directory``."""
    layout = load_layout(LAYOUT)
    dialect = resolve_dialect(layout.dialects, DIALECT)
    tmp = directory.with_name(directory.name + ".tmp")
    tmp.mkdir(parents=True, exist_ok=False)
    entries = []
    for spec_name, rows in tables.items():
        spec = layout.file(spec_name)
        path = tmp / f"{spec_name}.csv"
        size = write_frame(_frame(rows, spec.names), path, spec, dialect)
        entries.append(
            {"name": path.name, "layout_file": spec_name, "rows": len(rows), "bytes": size, "sha256": _sha256(path)}
        )
    if jsonl is not None:
        path = tmp / "events.jsonl"
        path.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in jsonl), encoding="utf-8")
        entries.append(
            {
                "name": path.name,
                "format": "CloudEvents JSON Lines",
                "rows": len(jsonl),
                "bytes": path.stat().st_size,
                "sha256": _sha256(path),
            }
        )
    manifest = {
        **manifest,
        "layout": LAYOUT,
        "layout_version": layout.version,
        "dialect": DIALECT,
        "encoding": dialect.encoding,
        "files": entries,
    }
    text = json.dumps(manifest, ensure_ascii=False, indent=2, default=str)
    (tmp / "manifest.json").write_text(text, encoding="utf-8")
    os.replace(tmp, directory)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _record(
    session: Session, lg_code: str, kind: str, lo: int, hi: int, rows: int, directory: Path, sha: str, actor: str
) -> dict[str, Any]:
    export_id = handoff.counter_next(session, lg_code, "file-export")
    values = {
        "lg_code": lg_code,
        "export_id": export_id,
        "kind": kind,
        "from_seq": lo,
        "to_seq": hi,
        "rows": rows,
        "directory": str(directory),
        "manifest_sha256": sha,
        "created_at": utcnow(),
    }
    session.execute(file_exports.insert().values(**values))
    record_audit(
        session,
        lg_code=lg_code,
        actor=actor,
        action=f"linkage:file:{kind}",
        target=f"export:{export_id}",
        detail={"from": lo, "to": hi, "rows": rows},
    )
    return values


def _dir(root: Path, lg_code: str, kind: str, lo: int, hi: int, now: datetime) -> Path:
    return root / lg_code / f"{kind}-{now:%Y%m%dT%H%M%S%f}-{lo}-{hi}"


def write_diff(
    database: Database,
    lg_code: str,
    root: Path,
    *,
    since: int | None = None,
    actor: str = "system",
    limit: int = 100_000,
) -> dict[str, Any] | None:
    """The 差分 after ``since`` (default: where the last scheduled 差分 ended). None if nothing is new."""
    with database.session(lg_code) as session:
        lo = handoff.get_cursor(session, lg_code, DIFF_CURSOR, lock=True) if since is None else since
        _, events = outbox.read_with_head(session, lg_code, after=lo, limit=limit)
        if not events:
            return None
        hi = events[-1].seq
        envelopes = cloudevents.envelopes(session, lg_code, events)
        rows = _diff_rows(session, lg_code, events)
        now = utcnow()
        directory = _dir(root, lg_code, "diff", lo, hi, now)
        manifest = {
            "kind": "diff",
            "lg_code": lg_code,
            "created_at": now.isoformat(),
            "cursor": {"from": lo, "to": hi},
            "counts": {"events": len(events), "persons": len({e.subject for e in events})},
        }
        sha = _write_set(directory, {"person": rows}, envelopes, manifest)
        if since is None:
            handoff.set_cursor(session, lg_code, DIFF_CURSOR, hi)
        return _record(session, lg_code, "diff", lo, hi, len(rows), directory, sha, actor)


def _diff_rows(session: Session, lg_code: str, events: list[outbox.OutboxEvent]) -> list[dict[str, str | None]]:
    registry = SqlRegistry(session, lg_code)
    place, codes = cloudevents.municipality(session, lg_code), Codes.of_layout()
    idos = queries.ido_records(
        session, lg_code, sorted({int(e.payload["ido_id"]) for e in events if "ido_id" in e.payload})
    )
    last = {e.subject: e.seq for e in events}
    out = []
    for e in events:
        row = (
            registry.history_row(e.payload["atena_no"], int(e.payload["rireki_no"]))
            if "rireki_no" in e.payload
            else None
        )
        if row is not None:
            out.append(person_row(row, idos.get(row.ido_id), place, codes, last[e.subject] == e.seq))
    return out


def write_full(database: Database, lg_code: str, root: Path, *, actor: str = "system") -> dict[str, Any]:
    """全件 by the migration export (lgcloud.migration): every history row incl. 除票, 外国人, 世帯 — the same
    files a vendor switch would take — with 個人番号 left blank, plus this module's manifest with the cursor.

    The cursor ``to`` is read first: the files hold at least everything up to it (a 異動 committed while
    exporting may be in them too), so a consumer loads the set, then applies 差分 from ``to``
    (idempotent by 宛名番号 + 履歴番号)."""
    from lgcloud.migration.exporter import ExportRequest, export

    with database.session(lg_code) as session:
        head = outbox.head(session, lg_code)
    now = utcnow()
    directory = _dir(root, lg_code, "full", 0, head, now)
    tmp = directory.with_name(directory.name + ".tmp")
    result = export(database, ExportRequest(lg_code=lg_code, out=tmp, dialect=DIALECT, actor=actor))
    result.manifest.unlink()  # this module's manifest replaces it (its hash of person.csv changes below)
    _blank_mynumber(result.files["person"])
    rows = {path.name: result.counts[name] for name, path in result.files.items()}
    entries = [
        {"name": path.name, "rows": rows.get(path.name), "bytes": path.stat().st_size, "sha256": _sha256(path)}
        for path in sorted(tmp.iterdir())
    ]
    manifest = {
        "kind": "full",
        "lg_code": lg_code,
        "created_at": now.isoformat(),
        "cursor": {"from": 0, "to": head},
        "counts": result.counts,
        "layout": LAYOUT,
        "layout_version": load_layout(LAYOUT).version,
        "dialect": DIALECT,
        "encoding": "utf-8",
        "files": entries,
    }
    text = json.dumps(manifest, ensure_ascii=False, indent=2, default=str)
    (tmp / "manifest.json").write_text(text, encoding="utf-8")
    os.replace(tmp, directory)
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    with database.session(lg_code) as session:
        return _record(session, lg_code, "full", 0, head, result.counts.get("person", 0), directory, sha, actor)


def _blank_mynumber(path: Path) -> None:
    """個人番号 is 特定個人情報: linked systems get it through the feed with ``mynumber:read``, never in a file."""
    layout = load_layout(LAYOUT)
    spec, dialect = layout.file("person"), resolve_dialect(layout.dialects, DIALECT)
    frame = pl.read_csv(path, infer_schema=False, encoding="utf8")
    if frame.height and frame["個人番号"].null_count() < frame.height:
        write_frame(frame.with_columns(pl.lit(None, dtype=pl.String).alias("個人番号")), path, spec, dialect)


# --- the schedule ----------------------------------------------------------------------------------


def set_schedule(
    session: Session, lg_code: str, every_minutes: int, *, enabled: bool = True, actor: str = "system"
) -> None:
    if not 1 <= every_minutes <= MAX_EVERY_MINUTES:
        raise LgcloudError(f"差分ファイルの間隔は1〜{MAX_EVERY_MINUTES}分で指定してください", code="interval-invalid")
    session.execute(file_settings.delete().where(file_settings.c.lg_code == lg_code))
    session.execute(file_settings.insert().values(lg_code=lg_code, every_minutes=every_minutes, enabled=enabled))
    record_audit(
        session,
        lg_code=lg_code,
        actor=actor,
        action="linkage:file:schedule",
        detail={"every_minutes": every_minutes, "enabled": enabled},
    )


def _due(session: Session, lg_code: str, now: datetime) -> bool:
    setting = session.execute(select(file_settings).where(file_settings.c.lg_code == lg_code)).mappings().first()
    if setting is None or not setting["enabled"]:
        return False
    last = session.execute(
        select(func.max(file_exports.c.created_at)).where(
            file_exports.c.lg_code == lg_code, file_exports.c.kind == "diff"
        )
    ).scalar()
    if last is None:
        return True
    last = last if last.tzinfo else last.replace(tzinfo=now.tzinfo)
    return now - last >= timedelta(minutes=setting["every_minutes"])


def run_scheduled(database: Database, lg_codes: Iterable[str], root: Path, now: datetime | None = None) -> int:
    """Scheduler hook: write the 差分 of every municipality whose interval has passed. Returns sets written."""
    now = now or utcnow()
    written = 0
    for lg_code in lg_codes:
        with database.session(lg_code) as session:
            due = _due(session, lg_code, now)
        if due and write_diff(database, lg_code, root) is not None:
            written += 1
    return written


def list_exports(session: Session, lg_code: str, limit: int = 100) -> list[dict[str, Any]]:
    stmt = (
        select(file_exports)
        .where(file_exports.c.lg_code == lg_code)
        .order_by(file_exports.c.export_id.desc())
        .limit(limit)
    )
    return [dict(m) for m in session.execute(stmt).mappings()]


def file_path(session: Session, lg_code: str, export_id: int, name: str) -> Path:
    m = (
        session.execute(
            select(file_exports).where(file_exports.c.lg_code == lg_code, file_exports.c.export_id == export_id)
        )
        .mappings()
        .first()
    )
    if m is None or "/" in name or name.startswith("."):
        raise NotFound("ファイルは見つかりません", code="file-not-found")
    path = Path(m["directory"]) / name
    if not path.is_file():
        raise NotFound("ファイルは見つかりません", code="file-not-found")
    return path

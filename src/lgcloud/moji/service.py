"""外字 mapping services: propose / confirm / reject, history, load for migrations, CSV and xlsx.

Every function takes a SQLAlchemy ``Session`` opened for ``lg_code`` (``database.session(lg_code)``)
and filters by ``lg_code`` explicitly. Writes append a new version and an audit-log entry.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lgcloud.db.base import utcnow
from lgcloud.errors import Conflict, LgcloudError, NotFound
from lgcloud.moji.gaiji import GaijiMap, InvalidSourceCode, SourceCode, parse_source
from lgcloud.moji.index import get_index
from lgcloud.moji.models import GaijiMapping, MappingStatus

EXPORT_COLUMNS = (
    "source_system",
    "source_kind",
    "source_code",
    "mj_code",
    "status",
    "reason",
    "version",
    "glyph",
    "actor",
    "recorded_at",
)
IMPORT_COLUMNS = ("source_system", "source_kind", "source_code", "mj_code", "status", "reason")
#: Japanese column headings accepted on import (and written as the second header in xlsx exports).
HEADER_ALIASES = {
    "移行元システム": "source_system",
    "種別": "source_kind",
    "外字コード": "source_code",
    "MJ文字図形名": "mj_code",
    "状態": "status",
    "理由": "reason",
    "版": "version",
    "字形": "glyph",
    "登録者": "actor",
    "登録日時": "recorded_at",
}
MAX_SYSTEM_LEN = 64

Key = tuple[str, str, str]  # (source_system, source_kind, source_code)


def _audit(session: Session, lg_code: str, actor: str, action: str, target: str, detail: dict[str, Any]) -> None:
    from lgcloud.tenancy.audit import record_audit

    record_audit(session, lg_code=lg_code, actor=actor, action=action, target=target, outcome="ok", detail=detail)


def _check_system(source_system: str) -> str:
    system = source_system.strip()
    if not system or len(system) > MAX_SYSTEM_LEN:
        raise LgcloudError(f"移行元システム名は1〜{MAX_SYSTEM_LEN}文字で指定してください", code="moji-invalid-system")
    return system


def _check_mj(mj_code: str) -> str:
    code = mj_code.strip().upper()
    if get_index().record(code) is None:
        raise LgcloudError(f"MJ文字図形名が見つかりません: {mj_code}", code="moji-unknown-mj")
    return code


def _rows(session: Session, lg_code: str, source_system: str | None = None) -> list[GaijiMapping]:
    query = select(GaijiMapping).where(GaijiMapping.lg_code == lg_code)
    if source_system is not None:
        query = query.where(GaijiMapping.source_system == source_system)
    query = query.order_by(
        GaijiMapping.source_system, GaijiMapping.source_kind, GaijiMapping.source_code, GaijiMapping.version
    )
    return list(session.scalars(query))


def _latest(rows: Iterable[GaijiMapping]) -> dict[Key, GaijiMapping]:
    latest: dict[Key, GaijiMapping] = {}
    for row in rows:  # ordered by version
        latest[(row.source_system, row.source_kind, row.source_code)] = row
    return latest


def current_mappings(
    session: Session, lg_code: str, *, source_system: str | None = None, status: str | None = None
) -> list[GaijiMapping]:
    """The latest version of every mapping of the municipality (optionally one system / one status)."""
    latest = _latest(_rows(session, lg_code, source_system)).values()
    return [row for row in latest if status is None or row.status == status]


def mapping_history(
    session: Session, lg_code: str, *, source_system: str, source_kind: str, source_code: str
) -> list[GaijiMapping]:
    source = parse_source(source_kind, source_code)
    query = (
        select(GaijiMapping)
        .where(
            GaijiMapping.lg_code == lg_code,
            GaijiMapping.source_system == source_system,
            GaijiMapping.source_kind == source.kind.value,
            GaijiMapping.source_code == source.code,
        )
        .order_by(GaijiMapping.version)
    )
    return list(session.scalars(query))


def _append(
    session: Session,
    lg_code: str,
    source_system: str,
    source: SourceCode,
    *,
    mj_code: str,
    status: MappingStatus,
    actor: str,
    reason: str | None,
    previous: GaijiMapping | None,
) -> GaijiMapping:
    row = GaijiMapping(
        lg_code=lg_code,
        source_system=source_system,
        source_kind=source.kind.value,
        source_code=source.code,
        version=(previous.version + 1) if previous else 1,
        mj_code=mj_code,
        status=status.value,
        reason=reason or None,
        actor=actor,
        recorded_at=utcnow(),
    )
    session.add(row)
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict(
            "同じ外字の対応づけが同時に更新されました。やり直してください", code="moji-mapping-race"
        ) from exc
    return row


def _current(session: Session, lg_code: str, source_system: str, source: SourceCode) -> GaijiMapping | None:
    history = mapping_history(
        session, lg_code, source_system=source_system, source_kind=source.kind.value, source_code=source.code
    )
    return history[-1] if history else None


def propose_mapping(
    session: Session,
    lg_code: str,
    *,
    source_system: str,
    source_kind: str,
    source_code: str,
    mj_code: str,
    actor: str,
    reason: str | None = None,
) -> GaijiMapping:
    """Propose (or correct) the MJ glyph of one vendor 外字: a new version with status ``proposed``."""
    system, source, mj = _check_system(source_system), parse_source(source_kind, source_code), _check_mj(mj_code)
    previous = _current(session, lg_code, system, source)
    row = _append(
        session, lg_code, system, source,
        mj_code=mj, status=MappingStatus.PROPOSED, actor=actor, reason=reason, previous=previous,
    )  # fmt: skip
    _audit(session, lg_code, actor, "moji.mapping.propose", f"{system}:{source.code}", {"mj": mj, "v": row.version})
    return row


def _review(
    session: Session, lg_code: str, status: MappingStatus, *, source_system: str, source_kind: str,
    source_code: str, actor: str, reason: str | None,
) -> GaijiMapping:  # fmt: skip
    system, source = _check_system(source_system), parse_source(source_kind, source_code)
    previous = _current(session, lg_code, system, source)
    if previous is None:
        raise NotFound(f"対応づけがありません: {system} {source.code}", code="moji-mapping-not-found")
    if previous.status != MappingStatus.PROPOSED:
        raise Conflict(
            f"提案中の対応づけだけを確定・却下できます (現在: {previous.status})", code="moji-mapping-not-proposed"
        )
    row = _append(
        session, lg_code, system, source,
        mj_code=previous.mj_code, status=status, actor=actor, reason=reason, previous=previous,
    )  # fmt: skip
    action = "moji.mapping.confirm" if status is MappingStatus.CONFIRMED else "moji.mapping.reject"
    _audit(session, lg_code, actor, action, f"{system}:{source.code}", {"mj": row.mj_code, "v": row.version})
    return row


def confirm_mapping(
    session: Session, lg_code: str, *, source_system: str, source_kind: str, source_code: str, actor: str,
    reason: str | None = None,
) -> GaijiMapping:  # fmt: skip
    """proposed → confirmed (a new version; the proposal row stays in the history)."""
    return _review(
        session, lg_code, MappingStatus.CONFIRMED, source_system=source_system, source_kind=source_kind,
        source_code=source_code, actor=actor, reason=reason,
    )  # fmt: skip


def reject_mapping(
    session: Session, lg_code: str, *, source_system: str, source_kind: str, source_code: str, actor: str,
    reason: str | None = None,
) -> GaijiMapping:  # fmt: skip
    """proposed → rejected. An earlier confirmed version, if any, stays in force."""
    return _review(
        session, lg_code, MappingStatus.REJECTED, source_system=source_system, source_kind=source_kind,
        source_code=source_code, actor=actor, reason=reason,
    )  # fmt: skip


def confirmed_rows(session: Session, lg_code: str, source_system: str) -> list[GaijiMapping]:
    """Per source character, its latest *confirmed* version (a pending correction does not apply yet)."""
    confirmed: dict[Key, GaijiMapping] = {}
    for row in _rows(session, lg_code, source_system):
        if row.status == MappingStatus.CONFIRMED:
            confirmed[(row.source_system, row.source_kind, row.source_code)] = row
    return list(confirmed.values())


def source_systems(session: Session, lg_code: str) -> list[str]:
    """The source systems the municipality has confirmed 外字 mappings of (for the migration forms)."""
    query = (
        select(GaijiMapping.source_system)
        .where(GaijiMapping.lg_code == lg_code, GaijiMapping.status == MappingStatus.CONFIRMED)
        .distinct()
        .order_by(GaijiMapping.source_system)
    )
    return list(session.scalars(query))


def load_mapping(session: Session, lg_code: str, source_system: str) -> GaijiMap:
    """The confirmed mapping of one source system, for the migration reader.

    Keys are source characters as they appear in decoded text (a PUA code point; a cp932 user-defined
    byte pair decodes to one; a J+ code is its code point), values the Unicode text of the MJ glyph
    (its code point, or base + IVS). Use with :func:`lgcloud.moji.gaiji.apply_mapping`.
    """
    index = get_index()
    mapping = GaijiMap()
    for row in confirmed_rows(session, lg_code, source_system):
        char = parse_source(row.source_kind, row.source_code).char
        rec = index.record(row.mj_code)
        if rec is None:
            raise LgcloudError(f"MJ文字図形名が見つかりません: {row.mj_code}", code="moji-unknown-mj")
        if mapping.get(char, rec.glyph) != rec.glyph:
            raise Conflict(
                f"同じ外字 {row.source_code} に異なる確定済み対応づけがあります", code="moji-mapping-conflict"
            )
        mapping[char] = rec.glyph
    return mapping


# -- import / export ------------------------------------------------------------------------------


@dataclass
class ImportReport:
    added: int = 0
    unchanged: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class _ImportRow:
    line: int
    system: str
    source: SourceCode
    mj: str
    status: MappingStatus
    reason: str | None


def _normalise_header(name: Any) -> str:
    text = str(name or "").strip().lstrip("\ufeff")
    return HEADER_ALIASES.get(text, text)


def _parse_row(line: int, raw: Mapping[str, Any]) -> _ImportRow:
    def cell(name: str) -> str:
        value = raw.get(name)
        return "" if value is None else str(value).strip()

    status_text = cell("status") or MappingStatus.PROPOSED.value
    if status_text not in (MappingStatus.PROPOSED, MappingStatus.CONFIRMED):
        raise LgcloudError(f"状態は proposed か confirmed です: {status_text}", code="moji-invalid-status")
    return _ImportRow(
        line,
        _check_system(cell("source_system")),
        parse_source(cell("source_kind"), cell("source_code")),
        _check_mj(cell("mj_code")),
        MappingStatus(status_text),
        cell("reason") or None,
    )


def _validate(rows: list[dict[str, Any]]) -> tuple[list[_ImportRow], list[dict[str, Any]]]:
    parsed: list[_ImportRow] = []
    errors: list[dict[str, Any]] = []
    seen: dict[Key, int] = {}
    for line, raw in enumerate(rows, start=2):
        try:
            row = _parse_row(line, raw)
        except (LgcloudError, InvalidSourceCode) as exc:
            errors.append({"line": line, "code": exc.code, "message": exc.message})
            continue
        key = (row.system, row.source.kind.value, row.source.code)
        if key in seen:
            errors.append({"line": line, "code": "moji-duplicate-row", "message": f"{seen[key]}行目と重複しています"})
            continue
        seen[key] = line
        parsed.append(row)
    return parsed, errors


def import_rows(session: Session, lg_code: str, rows: list[dict[str, Any]], *, actor: str) -> ImportReport:
    """Import mapping rows (dicts keyed by :data:`IMPORT_COLUMNS`); all or nothing.

    A row equal to the current version (same MJ, status and reason) is skipped, so importing the same
    file twice adds nothing. Any invalid row rejects the whole file with every error and its line.
    """
    parsed, errors = _validate(rows)
    if errors:
        raise LgcloudError(
            f"{len(errors)}行に誤りがあるため取り込みませんでした", code="moji-import-invalid", errors=errors
        )
    report = ImportReport()
    latest = _latest(_rows(session, lg_code))
    for row in parsed:
        previous = latest.get((row.system, row.source.kind.value, row.source.code))
        if previous and (previous.mj_code, previous.status, previous.reason) == (row.mj, row.status, row.reason):
            report.unchanged += 1
            continue
        _append(
            session, lg_code, row.system, row.source,
            mj_code=row.mj, status=row.status, actor=actor, reason=row.reason, previous=previous,
        )  # fmt: skip
        report.added += 1
    _audit(
        session, lg_code, actor, "moji.mapping.import", "moji_gaiji_mappings",
        {"added": report.added, "unchanged": report.unchanged},
    )  # fmt: skip
    return report


def _decode_csv(data: bytes) -> str:
    """UTF-8 (with or without BOM), or Shift_JIS/cp932 as Excel saves 「CSV (コンマ区切り)」."""
    for encoding in ("utf-8-sig", "cp932"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise LgcloudError(
        "CSV の文字コードを判別できません (UTF-8 または Shift_JIS にしてください)", code="moji-csv-encoding"
    )


def read_csv(data: bytes | str) -> list[dict[str, Any]]:
    text = _decode_csv(data) if isinstance(data, bytes) else data.lstrip("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [_normalise_header(h) for h in next(reader, [])]
    return [dict(zip(header, values, strict=False)) for values in reader if any(v.strip() for v in values)]


def read_xlsx(data: bytes) -> list[dict[str, Any]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a broken file
        raise LgcloudError("xlsx ファイルを読めません", code="moji-invalid-xlsx") from exc
    sheet = book.active
    rows = list(sheet.iter_rows(values_only=True)) if sheet is not None else []
    book.close()
    if not rows:
        return []
    header = [_normalise_header(h) for h in rows[0]]
    start = 2 if rows[1:] and _normalise_header(rows[1][0]) == header[0] else 1  # optional 2nd header
    return [
        dict(zip(header, values, strict=False)) for values in rows[start:] if any(v not in (None, "") for v in values)
    ]


def import_csv(session: Session, lg_code: str, data: bytes | str, *, actor: str) -> ImportReport:
    return import_rows(session, lg_code, read_csv(data), actor=actor)


def import_xlsx(session: Session, lg_code: str, data: bytes, *, actor: str) -> ImportReport:
    return import_rows(session, lg_code, read_xlsx(data), actor=actor)


def export_rows(session: Session, lg_code: str, *, source_system: str | None = None) -> list[dict[str, Any]]:
    """The current version of every mapping, one dict per row (:data:`EXPORT_COLUMNS`)."""
    index = get_index()
    out = []
    for row in current_mappings(session, lg_code, source_system=source_system):
        rec = index.record(row.mj_code)
        out.append(
            {
                "source_system": row.source_system,
                "source_kind": row.source_kind,
                "source_code": row.source_code,
                "mj_code": row.mj_code,
                "status": row.status,
                "reason": row.reason or "",
                "version": row.version,
                "glyph": rec.glyph if rec else "",
                "actor": row.actor,
                "recorded_at": row.recorded_at.isoformat() if row.recorded_at else "",
            }
        )
    return out


def export_csv(session: Session, lg_code: str, *, source_system: str | None = None) -> str:
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=EXPORT_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(export_rows(session, lg_code, source_system=source_system))
    return buffer.getvalue()


def export_xlsx(session: Session, lg_code: str, *, source_system: str | None = None) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "外字対応表"
    japanese = {v: k for k, v in HEADER_ALIASES.items()}
    sheet.append(list(EXPORT_COLUMNS))
    sheet.append([japanese.get(c, c) for c in EXPORT_COLUMNS])
    for row in export_rows(session, lg_code, source_system=source_system):
        sheet.append([row[c] for c in EXPORT_COLUMNS])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()

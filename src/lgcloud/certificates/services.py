"""Certificate services: preview, issue (交付履歴), download, 再交付, 処分, verification.

Call inside ``database.session(lg_code)``. Every read of a certificate's content passes the
protection gate (:func:`lgcloud.protection.services.check_disclosure`, process 証明書発行): a 支援対象者
is refused unless the 支援措置責任者 released that request. A refusal is a *result*, not an
exception, so that the refusal, its review request and the audit entry are committed; the caller
raises ``outcome.disclosure.error()`` after the transaction.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from lgcloud.certificates import render, verification
from lgcloud.certificates.compose import CertificateError, compose
from lgcloud.certificates.model import CERT_LABELS, CertificateOptions, CertType, Document, Overflow
from lgcloud.certificates.models import counters, disposals, issue_subjects, issues
from lgcloud.certificates.subjects import household_members, load_subjects
from lgcloud.db.base import utcnow
from lgcloud.db.counters import next_counter
from lgcloud.errors import Conflict, NotFound, PermissionDenied
from lgcloud.protection import services as protection
from lgcloud.protection.domain import Process
from lgcloud.protection.repository import aware
from lgcloud.tenancy.audit import record_audit
from lgcloud.tenancy.models import Municipality

JST = ZoneInfo("Asia/Tokyo")
NAME_PATTERN = re.compile(r"^[0-9A-Za-z０-９Ａ-Ｚａ-ｚ\u3041-\u30ff\u4e00-\u9fff_\-]{1,20}$")
MAX_COPIES = 10


def today_jst() -> date:
    return datetime.now(JST).date()


@dataclass(frozen=True)
class Staff:
    user: str
    can_read_mynumber: bool = False
    source_ip: str | None = None

    @property
    def actor(self) -> protection.Actor:
        return protection.Actor(self.user, self.source_ip)


@dataclass(frozen=True)
class IssueRequest:
    cert_type: CertType
    atena_nos: tuple[str, ...] = ()
    setai_no: str | None = None  # 世帯連記式: the 世帯 (members chosen in options.members, or all)
    options: CertificateOptions = field(default_factory=CertificateOptions)
    terminal: str = "本庁1"
    printer: str = "プリンタ001"
    place: str = "本庁舎 窓口"
    copies: int = 1
    release_id: int | None = None

    def audit_detail(self) -> dict[str, Any]:
        return {"type": self.cert_type.value, "setai_no": self.setai_no, "atena_nos": list(self.atena_nos)}


def _audit(session: Session, lg_code: str, staff: Staff, action: str, target: str, **detail: Any) -> None:
    outcome = detail.pop("outcome", "ok")
    record_audit(
        session,
        lg_code=lg_code,
        actor=staff.user,
        action=action,
        target=target[:200],
        outcome=outcome,
        detail=detail,
        source_ip=staff.source_ip,
    )


def _municipality(session: Session, lg_code: str) -> Municipality:
    found = session.get(Municipality, lg_code)
    if found is None:
        raise NotFound(f"市区町村 {lg_code} は登録されていません", code="municipality-not-found")
    return found


def _persons(session: Session, lg_code: str, request: IssueRequest) -> list[str]:
    if request.cert_type is CertType.JUMINHYO_SETAI:
        if not request.setai_no:
            raise CertificateError("世帯連記式は世帯番号を指定してください", code="certificate-no-household")
        members = household_members(session, lg_code, request.setai_no)
        chosen = request.options.members
        if chosen is None:
            return members
        outside = [a for a in chosen if a not in members]
        if outside or not chosen:
            raise CertificateError(
                f"宛名番号 {', '.join(outside) or '(なし)'} はこの世帯の世帯員ではありません",
                code="certificate-not-member",
            )
        return [a for a in members if a in chosen]
    if not request.atena_nos:
        raise CertificateError("証明書の対象者を選んでください", code="certificate-no-subject")
    return list(dict.fromkeys(request.atena_nos))


def _validate(request: IssueRequest, staff: Staff) -> None:
    if request.options.include_mynumber and not staff.can_read_mynumber:
        raise PermissionDenied("個人番号を記載するには個人番号の閲覧権限が必要です", code="mynumber-forbidden")
    for label, value in (("発行端末", request.terminal), ("プリンタ", request.printer)):
        if not NAME_PATTERN.match(value):
            raise CertificateError(
                f"{label}名は英数字・かな・漢字20文字以内で指定してください", code="certificate-bad-name"
            )
    if not 1 <= request.copies <= MAX_COPIES:
        raise CertificateError(f"通数は1〜{MAX_COPIES}で指定してください", code="certificate-bad-copies")


def compose_for(
    session: Session, lg_code: str, request: IssueRequest, staff: Staff, *, today: date, persons: list[str]
) -> Document:
    _validate(request, staff)
    municipality = _municipality(session, lg_code)
    subjects = load_subjects(session, lg_code, persons, with_history=request.options.with_history)
    return compose(
        request.cert_type,
        subjects,
        request.options,
        issued_on=today,
        municipality=municipality.name,
        prefecture=municipality.prefecture,
    )


@dataclass
class Preview:
    disclosure: protection.Disclosure
    document: Document | None = None
    pdf: bytes = b""
    pages: int = 0
    overflows: tuple[str, ...] = ()


def preview(
    session: Session, lg_code: str, request: IssueRequest, staff: Staff, *, today: date | None = None
) -> Preview:
    """Compose and render a 見本 (not issued, no 発行番号): checks characters and protection first."""
    today = today or today_jst()
    persons = _persons(session, lg_code, request)
    _validate(request, staff)
    disclosure = protection.check_disclosure(
        session,
        lg_code,
        persons,
        Process.CERTIFICATE,
        request.release_id,
        actor=staff.actor,
        purpose="証明書のプレビュー",
        consume=False,
    )
    if not disclosure.allowed:
        return Preview(disclosure)
    doc = compose_for(session, lg_code, request, staff, today=today, persons=persons)
    rendered = render.render_pdf(doc, footer="見本（未発行）", preview=True, policy=request.options.overflow)
    _audit(
        session,
        lg_code,
        staff,
        "certificate:preview",
        ",".join(doc.subjects),
        **request.audit_detail(),
        pages=rendered.pages,
        mynumber_printed=request.options.include_mynumber,
    )
    return Preview(disclosure, doc, rendered.pdf, rendered.pages, rendered.overflows)


@dataclass(frozen=True)
class IssuedCertificate:
    issue_id: int
    issue_no: str
    cert_type: CertType
    issued_at: datetime
    issued_by: str
    place: str
    terminal: str
    printer: str
    subjects: list[str]
    items: list[str]
    pages: int
    pdf_sha256: str
    verification: str
    release_id: int | None = None
    reissue_of: int | None = None
    disposed: dict[str, Any] | None = None

    @property
    def label(self) -> str:
        return CERT_LABELS[self.cert_type]

    def summary(self) -> dict[str, Any]:
        return {
            "issue_id": self.issue_id,
            "issue_no": self.issue_no,
            "type": self.cert_type.value,
            "type_label": self.label,
            "issued_at": self.issued_at.isoformat(),
            "issued_by": self.issued_by,
            "place": self.place,
            "terminal": self.terminal,
            "printer": self.printer,
            "subjects": self.subjects,
            "items": self.items,
            "pages": self.pages,
            "pdf_sha256": self.pdf_sha256,
            "verification": self.verification,
            "release_id": self.release_id,
            "reissue_of": self.reissue_of,
            "disposed": self.disposed,
        }


@dataclass
class IssueOutcome:
    disclosure: protection.Disclosure
    issued: list[IssuedCertificate] = field(default_factory=list)
    overflows: tuple[str, ...] = ()


def issue(
    session: Session,
    lg_code: str,
    request: IssueRequest,
    staff: Staff,
    *,
    secret: str,
    today: date | None = None,
) -> IssueOutcome:
    """Issue ``copies`` certificates, each with its own 発行番号 and 交付履歴 row."""
    today = today or today_jst()
    persons = _persons(session, lg_code, request)
    _validate(request, staff)
    disclosure = protection.check_disclosure(
        session, lg_code, persons, Process.CERTIFICATE, request.release_id, actor=staff.actor, purpose="証明書の発行"
    )
    if not disclosure.allowed:
        return IssueOutcome(disclosure)
    doc = compose_for(session, lg_code, request, staff, today=today, persons=persons)
    outcome = IssueOutcome(disclosure)
    for _ in range(request.copies):
        issued, overflows = _issue_one(session, lg_code, doc, request, staff, secret, today, disclosure.request_id)
        outcome.issued.append(issued)
        outcome.overflows = overflows
    return outcome


def _issue_one(
    session: Session,
    lg_code: str,
    doc: Document,
    request: IssueRequest,
    staff: Staff,
    secret: str,
    today: date,
    release_id: int | None,
    reissue_of: int | None = None,
) -> tuple[IssuedCertificate, tuple[str, ...]]:
    issue_id = _next(session, lg_code, "issue")
    serial = _next(session, lg_code, f"serial:{today:%Y%m%d}")
    issue_no = f"{today:%Y%m%d} {doc.municipality} {request.terminal} {request.printer} {serial:03d}"
    issued_at = utcnow()
    inputs = {"document": doc.to_json(), "policy": request.options.overflow.value}
    digest = verification.content_hash(inputs, issue_no, _utc_iso(issued_at))
    code = verification.make_code(secret, lg_code, issue_id, digest)
    rendered = render.render_pdf(doc, footer=issue_no, code=code, policy=request.options.overflow)
    record = IssuedCertificate(
        issue_id=issue_id,
        issue_no=issue_no,
        cert_type=doc.cert_type,
        issued_at=issued_at,
        issued_by=staff.user,
        place=request.place,
        terminal=request.terminal,
        printer=request.printer,
        subjects=list(doc.subjects),
        items=list(doc.items),
        pages=rendered.pages,
        pdf_sha256=hashlib.sha256(rendered.pdf).hexdigest(),
        verification=code,
        release_id=release_id,
        reissue_of=reissue_of,
    )
    mynumber_printed = any(f.key == "mynumber" and f.value for b in doc.blocks for f in b.fields)
    session.execute(
        insert(issues).values(
            lg_code=lg_code,
            issue_id=issue_id,
            issue_no=issue_no,
            serial=serial,
            cert_type=doc.cert_type.value,
            issued_at=issued_at,
            issued_on=today,
            issued_by=staff.user,
            place=request.place,
            terminal=request.terminal,
            printer=request.printer,
            subjects=record.subjects,
            items=record.items,
            pages=rendered.pages,
            options=request.options.to_json(),
            inputs=inputs,
            content_hash=digest,
            pdf_sha256=record.pdf_sha256,
            pdf=rendered.pdf,
            verification=code,
            mynumber_printed=int(mynumber_printed),
            release_id=release_id,
            reissue_of=reissue_of,
        )
    )
    for atena_no in dict.fromkeys(record.subjects):
        session.execute(insert(issue_subjects).values(lg_code=lg_code, issue_id=issue_id, atena_no=atena_no))
    _audit(
        session,
        lg_code,
        staff,
        "certificate:issue",
        ",".join(doc.subjects),
        issue_id=issue_id,
        issue_no=issue_no,
        type=doc.cert_type.value,
        pages=rendered.pages,
        items=record.items,
        mynumber_printed=mynumber_printed,
        release_id=release_id,
        reissue_of=reissue_of,
    )
    return record, rendered.overflows


def _next(session: Session, lg_code: str, name: str) -> int:
    return next_counter(session, counters, lg_code, name)


def _utc_iso(value: datetime) -> str:
    return aware(value).astimezone(UTC).isoformat()


# --- 交付履歴 ---------------------------------------------------------------------------------------


def _record_from(m: Any, disposed: dict[str, Any] | None) -> IssuedCertificate:
    return IssuedCertificate(
        issue_id=m["issue_id"],
        issue_no=m["issue_no"],
        cert_type=CertType(m["cert_type"]),
        issued_at=aware(m["issued_at"]),
        issued_by=m["issued_by"],
        place=m["place"],
        terminal=m["terminal"],
        printer=m["printer"],
        subjects=list(m["subjects"]),
        items=list(m["items"]),
        pages=m["pages"],
        pdf_sha256=m["pdf_sha256"],
        verification=m["verification"],
        release_id=m["release_id"],
        reissue_of=m["reissue_of"],
        disposed=disposed,
    )


def _disposals(session: Session, lg_code: str, ids: list[int]) -> dict[int, dict[str, Any]]:
    if not ids:
        return {}
    stmt = select(disposals).where(disposals.c.lg_code == lg_code, disposals.c.issue_id.in_(ids))
    return {
        m["issue_id"]: {"reason": m["reason"], "by": m["disposed_by"], "at": aware(m["disposed_at"]).isoformat()}
        for m in session.execute(stmt).mappings()
    }


_SUMMARY_COLUMNS = [c for c in issues.c if c.name not in ("pdf", "inputs", "options")]


def list_issues(
    session: Session, lg_code: str, *, atena_no: str | None = None, limit: int = 100
) -> list[IssuedCertificate]:
    """交付履歴, newest first; ``atena_no``: the certificates on which that person is printed."""
    stmt = select(*_SUMMARY_COLUMNS).where(issues.c.lg_code == lg_code)
    if atena_no is not None:
        mine = select(issue_subjects.c.issue_id).where(
            issue_subjects.c.lg_code == lg_code, issue_subjects.c.atena_no == atena_no
        )
        stmt = stmt.where(issues.c.issue_id.in_(mine))
    rows = list(session.execute(stmt.order_by(issues.c.issue_id.desc()).limit(limit)).mappings())
    found = _disposals(session, lg_code, [r["issue_id"] for r in rows])
    return [_record_from(r, found.get(r["issue_id"])) for r in rows]


def _row(session: Session, lg_code: str, issue_id: int) -> Any:
    stmt = select(issues).where(issues.c.lg_code == lg_code, issues.c.issue_id == issue_id)
    row = session.execute(stmt).mappings().first()
    if row is None:
        raise NotFound(f"交付履歴 {issue_id} は見つかりません", code="certificate-not-found")
    return row


def get_issue(session: Session, lg_code: str, issue_id: int) -> IssuedCertificate:
    row = _row(session, lg_code, issue_id)
    return _record_from(row, _disposals(session, lg_code, [issue_id]).get(issue_id))


@dataclass
class Download:
    disclosure: protection.Disclosure
    record: IssuedCertificate | None = None
    pdf: bytes = b""


def download(session: Session, lg_code: str, issue_id: int, staff: Staff, *, release_id: int | None = None) -> Download:
    """The stored PDF, byte for byte (printing again after a printer fault); gated like an issue."""
    row = _row(session, lg_code, issue_id)
    _require_mynumber_permission(row, staff)
    disclosure = protection.check_disclosure(
        session,
        lg_code,
        list(row["subjects"]),
        Process.CERTIFICATE,
        release_id,
        actor=staff.actor,
        purpose="交付済み証明書の再出力",
    )
    if not disclosure.allowed:
        return Download(disclosure)
    _audit(
        session,
        lg_code,
        staff,
        "certificate:download",
        ",".join(row["subjects"]),
        issue_id=issue_id,
        issue_no=row["issue_no"],
    )
    return Download(disclosure, get_issue(session, lg_code, issue_id), bytes(row["pdf"]))


def dispose(session: Session, lg_code: str, issue_id: int, staff: Staff, reason: str) -> IssuedCertificate:
    """処分: a spoiled or wrongly issued copy was destroyed. Recorded once, with the reason."""
    record = get_issue(session, lg_code, issue_id)
    if record.disposed is not None:
        raise Conflict(f"発行番号 {record.issue_no} は既に処分済みです", code="certificate-already-disposed")
    if not reason.strip():
        raise CertificateError("処分の理由を入力してください", code="certificate-no-reason")
    session.execute(
        insert(disposals).values(
            lg_code=lg_code, issue_id=issue_id, reason=reason.strip(), disposed_by=staff.user, disposed_at=utcnow()
        )
    )
    _audit(
        session,
        lg_code,
        staff,
        "certificate:dispose",
        ",".join(record.subjects),
        issue_id=issue_id,
        issue_no=record.issue_no,
        reason=reason.strip(),
    )
    return get_issue(session, lg_code, issue_id)


def reissue(
    session: Session,
    lg_code: str,
    issue_id: int,
    staff: Staff,
    *,
    secret: str,
    terminal: str = "本庁1",
    printer: str = "プリンタ001",
    place: str = "本庁舎 窓口",
    release_id: int | None = None,
    today: date | None = None,
) -> IssueOutcome:
    """再交付: a new copy (new 発行番号, marked 「再交付」) of exactly what was issued, not today's registry."""
    today = today or today_jst()
    row = _row(session, lg_code, issue_id)
    original = Document.from_json(row["inputs"]["document"])
    request = IssueRequest(
        original.cert_type,
        tuple(original.subjects),
        options=_options_from(row["options"]),
        terminal=terminal,
        printer=printer,
        place=place,
    )
    _require_mynumber_permission(row, staff)
    _validate(request, staff)
    disclosure = protection.check_disclosure(
        session,
        lg_code,
        list(row["subjects"]),
        Process.CERTIFICATE,
        release_id,
        actor=staff.actor,
        purpose="証明書の再交付",
    )
    if not disclosure.allowed:
        return IssueOutcome(disclosure)
    doc = replace(original, reissue=True)
    issued, overflows = _issue_one(
        session, lg_code, doc, request, staff, secret, today, disclosure.request_id, reissue_of=issue_id
    )
    return IssueOutcome(disclosure, [issued], overflows)


def _require_mynumber_permission(row: Any, staff: Staff) -> None:
    if row["mynumber_printed"] and not staff.can_read_mynumber:
        raise PermissionDenied(
            "個人番号が記載された証明書です。個人番号の閲覧権限が必要です", code="mynumber-forbidden"
        )


def _options_from(data: dict[str, Any]) -> CertificateOptions:
    values = dict(data)
    values["members"] = tuple(values["members"]) if values.get("members") is not None else None
    values["items"] = tuple(values.get("items") or ())
    values["overflow"] = Overflow(values.get("overflow") or Overflow.TRUNCATE.value)
    return CertificateOptions(**values)


def rerender(session: Session, lg_code: str, issue_id: int) -> bytes:
    """Render the stored input again (no audit, no output to anyone): proves the PDF is reproducible."""
    row = _row(session, lg_code, issue_id)
    doc = Document.from_json(row["inputs"]["document"])
    policy = Overflow(row["inputs"]["policy"])
    return render.render_pdf(doc, footer=row["issue_no"], code=row["verification"], policy=policy).pdf


# --- verification ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verification:
    valid: bool
    message: str
    record: IssuedCertificate | None = None
    names: tuple[str, ...] = ()


def verify(session: Session, lg_code: str, code: str, staff: Staff, *, secret: str) -> Verification:
    """Confirm a paper copy: the code's MAC, the stored content hash, and whether it was disposed.

    The answer names the certificate (type, 発行番号, date, 氏名) for comparison with the paper, but
    never an address: verifying a copy must not disclose where a 支援対象者 lives.
    """
    parsed = verification.parse_code(code)
    result = _verify(session, lg_code, parsed, secret)
    _audit(
        session,
        lg_code,
        staff,
        "certificate:verify",
        (parsed and str(parsed.issue_id)) or "-",
        outcome="ok" if result.valid else "invalid",
        message=result.message,
    )
    return result


def _verify(session: Session, lg_code: str, parsed: verification.ParsedCode | None, secret: str) -> Verification:
    if parsed is None:
        return Verification(False, "照合番号の形式が正しくありません")
    if parsed.lg_code != lg_code:
        return Verification(False, "この市区町村が発行した証明書の照合番号ではありません")
    stmt = select(issues).where(issues.c.lg_code == lg_code, issues.c.issue_id == parsed.issue_id)
    row = session.execute(stmt).mappings().first()
    if row is None:
        return Verification(False, "該当する交付履歴がありません（偽造の疑いがあります）")
    digest = verification.content_hash(row["inputs"], row["issue_no"], _utc_iso(row["issued_at"]))
    if digest != row["content_hash"] or not verification.check_code(secret, parsed, digest):
        return Verification(False, "照合番号が交付履歴と一致しません（偽造または改ざんの疑いがあります）")
    record = _record_from(row, _disposals(session, lg_code, [parsed.issue_id]).get(parsed.issue_id))
    doc = Document.from_json(row["inputs"]["document"])
    names = tuple(f.value for b in doc.blocks for f in b.fields if f.key == "shimei")
    if record.disposed is not None:
        return Verification(False, f"この証明書（発行番号 {record.issue_no}）は処分済みです", record, names)
    return Verification(True, f"本市区町村が発行した証明書です（発行番号 {record.issue_no}）", record, names)

"""抑止 / 支援措置 services on SQLite and PostgreSQL: state, linkage flags, the disclosure gate and its review."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from lgcloud.db.base import utcnow
from lgcloud.errors import PermissionDenied
from lgcloud.protection import domain, services
from lgcloud.protection.domain import Level, Process, Scope
from lgcloud.protection.services import Actor
from lgcloud.tenancy.models import AuditEntry

LG = "182079"
SUPERVISOR = Actor("supervisor-182079")
CLERK = Actor("clerk-182079")


def _actions(session) -> list[str]:  # type: ignore[no-untyped-def]
    return list(session.execute(select(AuditEntry.action).where(AuditEntry.lg_code == LG)).scalars())


def _suppress(session, level: Level = Level.ERROR, process: Process = Process.CERTIFICATE, **kw):  # type: ignore[no-untyped-def]
    values = {"scope": Scope.PERSON, "target": "A1", "process": process, "level": level, "start_on": date(2025, 1, 1)}
    return services.set_suppression(session, LG, SUPERVISOR, **{**values, **kw})


def test_suppression_release_and_state(database, tenants) -> None:  # type: ignore[no-untyped-def]
    with database.session(LG) as session:
        s = _suppress(session, end_on=date(2025, 2, 1))
        state = services.is_protected(session, LG, "A1")
        assert state.protected and state.levels == {Process.CERTIFICATE: Level.ERROR}
        assert state.alerts  # past its end date, still in force
        assert not services.is_protected(session, LG, "A2").protected
        services.release_suppression(session, LG, SUPERVISOR, s.suppression_id, "誤設定")
        assert not services.is_protected(session, LG, "A1").protected
        with pytest.raises(domain.ProtectionError):
            services.release_suppression(session, LG, SUPERVISOR, s.suppression_id, "again")
        assert "protection:suppression:release" in _actions(session)


def test_household_scope_uses_the_persons_household(database, tenants) -> None:  # type: ignore[no-untyped-def]
    with database.session(LG) as session:
        _suppress(session, scope=Scope.HOUSEHOLD, target="S9", level=Level.ALERT)
        assert services.is_protected(session, LG, "A7", setai_no="S9").levels == {Process.CERTIFICATE: Level.ALERT}
        assert not services.is_protected(session, LG, "A7", setai_no="S8").protected


def test_temporary_release_reverts_and_is_never_sent_as_a_release(database, tenants) -> None:  # type: ignore[no-untyped-def]
    with database.session(LG) as session:
        s = _suppress(session)
        now = utcnow()
        services.temporarily_release(session, LG, SUPERVISOR, s.suppression_id, "本人確認済み", minutes=15, now=now)
        during = services.is_protected(session, LG, "A1", now=now + timedelta(minutes=5))
        assert during.temporarily_released and during.levels == {}
        assert during.linkage_flags() == {"support_target": False, "suppressions": {"証明書発行": "エラー"}}
        after = services.is_protected(session, LG, "A1", now=now + timedelta(minutes=15))
        assert after.levels == {Process.CERTIFICATE: Level.ERROR} and not after.temporarily_released
        with pytest.raises(domain.ProtectionError):
            services.temporarily_release(session, LG, SUPERVISOR, s.suppression_id, "x", minutes=0)


def _register(session, *subjects: str):  # type: ignore[no-untyped-def]
    applicant = domain.Party(name="支援　花子", atena_no=subjects[0])
    companions = tuple(domain.Party(name="同伴", atena_no=a, relation="子") for a in subjects[1:])
    measure = domain.apply(applicant, date(2025, 6, 1), companions=companions)
    return services.register_measure(session, LG, SUPERVISOR, measure, today=date(2025, 6, 30))


def test_support_measure_lifecycle_is_append_only(database, tenants) -> None:  # type: ignore[no-untyped-def]
    from lgcloud.protection import repository

    with database.session(LG) as session:
        m = _register(session, "A1", "A2")
        assert services.is_protected(session, LG, "A2").support_target
        services.decide_measure(session, LG, SUPERVISOR, m.support_id, date(2024, 7, 1))
        with pytest.raises(domain.ProtectionError):
            services.extend_measure(session, LG, SUPERVISOR, m.support_id, date(2025, 5, 29))
        extended = services.extend_measure(session, LG, SUPERVISOR, m.support_id, date(2025, 5, 30))
        assert (extended.start_on, extended.end_on) == (date(2025, 7, 1), date(2026, 6, 30))
        services.end_measure(session, LG, SUPERVISOR, m.support_id, date(2025, 8, 1), "申出の取下げ")
        assert not services.is_protected(session, LG, "A1").protected
        statuses = [r["status"] for r in repository.measure_history(session, LG, m.support_id)]
        assert statuses == ["仮支援措置", "支援措置", "支援措置", "終了"]


def test_disclosure_refused_reviewed_released_used_once(database, tenants) -> None:  # type: ignore[no-untyped-def]
    with database.session(LG) as session:
        _register(session, "A1")
        refused = services.check_disclosure(session, LG, ["A1", "B1"], Process.CERTIFICATE, actor=CLERK)
        assert not refused.allowed and refused.blocked == ("A1",) and refused.request_id
        assert "protection:disclosure:refused" in _actions(session)
    with pytest.raises(PermissionDenied) as raised:
        refused.raise_if_refused()
    assert raised.value.code == "protection-refused" and raised.value.detail["request_id"] == refused.request_id
    request_id = refused.request_id
    with database.session(LG) as session, pytest.raises(PermissionDenied):  # no self-review
        services.review_request(session, LG, CLERK, request_id, release=True, reason="自分で")
    with database.session(LG) as session:
        with pytest.raises(domain.ProtectionError):
            services.review_request(session, LG, SUPERVISOR, request_id, release=True, reason="")
        released = services.review_request(session, LG, SUPERVISOR, request_id, release=True, reason="本人請求を確認")
        assert released.status == "released"
        other = services.check_disclosure(session, LG, ["A1"], Process.INQUIRY, request_id, actor=CLERK)
        assert not other.allowed  # released for 証明書発行, not for 照会
        peek = services.check_disclosure(
            session, LG, ["A1"], Process.CERTIFICATE, request_id, actor=CLERK, consume=False
        )
        assert peek.allowed
        used = services.check_disclosure(session, LG, ["A1"], Process.CERTIFICATE, request_id, actor=CLERK)
        assert used.allowed and used.request_id == request_id
        again = services.check_disclosure(session, LG, ["A1"], Process.CERTIFICATE, request_id, actor=CLERK)
        assert not again.allowed and "解除されていません" in again.message
        actions = _actions(session)
        assert {"protection:disclosure:release", "protection:disclosure:released"} <= set(actions)


def test_expired_release_is_refused_and_rejection_is_final(database, tenants) -> None:  # type: ignore[no-untyped-def]
    with database.session(LG) as session:
        _register(session, "A1")
        first = services.check_disclosure(session, LG, ["A1"], Process.CERTIFICATE, actor=CLERK).request_id
        second = services.check_disclosure(session, LG, ["A1"], Process.CERTIFICATE, actor=CLERK).request_id
        now = utcnow()
        services.review_request(session, LG, SUPERVISOR, first, release=True, reason="確認", valid_minutes=10, now=now)
        late = services.check_disclosure(
            session, LG, ["A1"], Process.CERTIFICATE, first, actor=CLERK, now=now + timedelta(minutes=11)
        )
        assert not late.allowed and "有効期限" in late.message
        services.review_request(session, LG, SUPERVISOR, second, release=False, reason="請求理由が不十分")
        assert not services.check_disclosure(session, LG, ["A1"], Process.CERTIFICATE, second, actor=CLERK).allowed


def test_alert_level_lets_through_with_an_alert(database, tenants) -> None:  # type: ignore[no-untyped-def]
    with database.session(LG) as session:
        _suppress(session, level=Level.ALERT, process=Process.INQUIRY)
        result = services.check_disclosure(session, LG, ["A1"], Process.INQUIRY, actor=CLERK)
        assert result.allowed and result.alerts
        assert services.check_disclosure(session, LG, ["A1"], Process.CERTIFICATE, actor=CLERK).allowed


def test_changes_are_told_to_other_systems_but_never_a_temporary_release(database, tenants) -> None:  # type: ignore[no-untyped-def]
    from lgcloud.residents.models import outbox

    def published(session) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
        rows = session.execute(
            select(outbox.c.type, outbox.c.subject).where(outbox.c.lg_code == LG).order_by(outbox.c.seq)
        )
        return [(t.rsplit(".", 1)[1], subject) for t, subject in rows]

    with database.session(LG) as session:
        s = _suppress(session)
        services.temporarily_release(session, LG, SUPERVISOR, s.suppression_id, "窓口で確認")
        services.release_suppression(session, LG, SUPERVISOR, s.suppression_id, "終了")
        m = _register(session, "A2", "A3")
        services.decide_measure(session, LG, SUPERVISOR, m.support_id, date(2025, 7, 1))
        services.end_measure(session, LG, SUPERVISOR, m.support_id, date(2025, 8, 1), "取下げ")
        assert published(session) == [
            ("yokushi-settei", "A1"),
            ("yokushi-kaijo", "A1"),
            ("shien-kaishi", "A2"), ("shien-kaishi", "A3"),
            ("shien-kaishi", "A2"), ("shien-kaishi", "A3"),
            ("shien-shuryo", "A2"), ("shien-shuryo", "A3"),
        ]  # fmt: skip
        payloads = session.execute(select(outbox.c.payload).where(outbox.c.lg_code == LG)).scalars().all()
    assert all("住所" not in str(p) and "支援　花子" not in str(p) for p in payloads)


def test_cli_shows_alerts_state_and_requests(database, tenants, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from lgcloud.protection import cli

    with database.session(LG) as session:
        _suppress(session, end_on=date(2025, 2, 1))
        _register(session, "A2")
        services.check_disclosure(session, LG, ["A2"], Process.CERTIFICATE, actor=CLERK)
    monkeypatch.setattr(cli, "_database", lambda: database)
    runner = CliRunner()
    assert "終了日経過" in runner.invoke(cli.app, ["alerts", "--tenant", LG]).output
    assert "支援対象者" in runner.invoke(cli.app, ["state", "A2", "--tenant", LG]).output
    listing = runner.invoke(cli.app, ["requests", "--tenant", LG])
    assert listing.exit_code == 0 and "審査待ち" in listing.output

"""抑止 and 支援措置 rules (pure)."""

from datetime import UTC, date, datetime, timedelta

import pytest

from lgcloud.protection import domain
from lgcloud.protection.domain import Level, MeasureStatus, Process, ProtectionError, Scope, Suppression

NOW = datetime(2025, 6, 30, 3, 0, tzinfo=UTC)


def _suppression(**kw) -> Suppression:  # type: ignore[no-untyped-def]
    values = {
        "suppression_id": 1,
        "scope": Scope.PERSON,
        "target": "A1",
        "process": Process.CERTIFICATE,
        "level": Level.ERROR,
        "start_on": date(2025, 1, 1),
    }
    return Suppression(**{**values, **kw})


def test_end_date_passing_does_not_end_a_suppression() -> None:
    s = _suppression(end_on=date(2025, 3, 31))
    assert s.in_force(date(2026, 1, 1))
    assert s.past_end(date(2026, 1, 1))
    alerts = domain.suppression_alerts([s], date(2026, 1, 1))
    assert alerts and alerts[0].kind is domain.AlertKind.PAST_END


def test_not_in_force_before_start_or_after_release() -> None:
    assert not _suppression(start_on=date(2025, 7, 1)).in_force(date(2025, 6, 30))
    assert not _suppression(released_at=NOW).in_force(date(2025, 6, 30))


def test_end_before_start_is_refused() -> None:
    with pytest.raises(ProtectionError):
        _suppression(end_on=date(2024, 12, 31))


def test_person_and_household_scope_and_process() -> None:
    person, household = _suppression(), _suppression(suppression_id=2, scope=Scope.HOUSEHOLD, target="S1")
    found = domain.findings([person, household], [], atena_no="B2", setai_no="S1", process=Process.CERTIFICATE, now=NOW)
    assert [f.suppression.suppression_id for f in found] == [2]
    assert domain.findings([person], [], atena_no="A1", setai_no=None, process=Process.IDO, now=NOW) == []


def test_temporary_release_suspends_then_lapses_by_itself() -> None:
    s = _suppression()
    temp = domain.TemporaryRelease(1, NOW, NOW + timedelta(minutes=30))
    during = domain.findings([s], [temp], atena_no="A1", setai_no=None, process=Process.CERTIFICATE, now=NOW)
    assert during[0].temporarily_released and during[0].effective_level is None
    later = NOW + timedelta(minutes=30)
    after = domain.findings([s], [temp], atena_no="A1", setai_no=None, process=Process.CERTIFICATE, now=later)
    assert not after[0].temporarily_released and after[0].effective_level is Level.ERROR


def test_several_suppressions_strongest_level_wins() -> None:
    assert domain.strongest([Level.ALERT, Level.ERROR, None]) is Level.ERROR
    assert domain.strongest([Level.ALLOW, Level.ALERT]) is Level.ALERT
    assert domain.strongest([None]) is None


def _measure() -> domain.SupportMeasure:
    applicant = domain.Party(name="支援　花子", atena_no="A1", address="秘匿町1")
    return domain.apply(
        applicant,
        date(2020, 3, 20),
        companions=(domain.Party(name="支援　一郎", atena_no="A2", relation="子"),),
        perpetrators=(domain.Perpetrator(name="加害　太郎"),),
    )


def test_application_is_provisional_until_decided() -> None:
    m = _measure()
    assert m.status is MeasureStatus.PROVISIONAL and m.in_force
    assert m.provisional == domain.Provisional(date(2020, 3, 20), "")
    assert m.subjects == ("A1", "A2")
    assert m.suppressed_addresses == ("現住所", "前住所", "本籍", "前本籍", "前々本籍")


def test_decision_sets_one_year() -> None:
    m = domain.decide(_measure(), date(2020, 4, 1))
    assert (m.start_on, m.end_on, m.status) == (date(2020, 4, 1), date(2021, 3, 31), MeasureStatus.ACTIVE)
    with pytest.raises(ProtectionError):
        domain.decide(m, date(2020, 5, 1))


def test_extension_only_from_one_month_before_expiry() -> None:
    m = domain.decide(_measure(), date(2020, 4, 1))
    with pytest.raises(ProtectionError) as too_early:
        domain.extend(m, date(2021, 2, 27))
    assert too_early.value.code == "protection-extension-too-early"
    extended = domain.extend(m, date(2021, 2, 28))
    assert (extended.start_on, extended.end_on, extended.extensions) == (date(2021, 4, 1), date(2022, 3, 31), 1)
    late = domain.extend(m, date(2021, 5, 10))  # after expiry: still from the day after the old end
    assert late.start_on == date(2021, 4, 1)
    with pytest.raises(ProtectionError):
        domain.extend(_measure(), date(2021, 3, 1))  # provisional: nothing to extend


def test_alerts_in_the_last_month_and_after_expiry() -> None:
    m = domain.decide(_measure(), date(2020, 4, 1))
    assert domain.measure_alerts(m, date(2021, 2, 27)) == []
    assert domain.measure_alerts(m, date(2021, 2, 28))[0].kind is domain.AlertKind.EXPIRING
    assert "残り31日" in domain.measure_alerts(m, date(2021, 2, 28))[0].message
    assert domain.measure_alerts(m, date(2021, 4, 1))[0].kind is domain.AlertKind.EXPIRED
    assert m.in_force  # expiry alone does not lift the protection
    ended = domain.end(m, date(2021, 4, 2), "期間満了")
    assert domain.measure_alerts(ended, date(2021, 4, 3)) == []


def test_end_needs_a_reason_and_ends_once() -> None:
    m = _measure()
    with pytest.raises(ProtectionError):
        domain.end(m, date(2020, 4, 1), " ")
    ended = domain.end(m, date(2020, 4, 1), "申出の取下げ")
    assert not ended.in_force
    with pytest.raises(ProtectionError):
        domain.end(ended, date(2020, 4, 2), "再度")


def test_end_notice_only_after_the_period() -> None:
    m = domain.decide(_measure(), date(2020, 4, 1))
    with pytest.raises(ProtectionError):
        domain.end_notice(m, date(2021, 3, 31), "福井県鯖江市長")
    notice = domain.end_notice(m, date(2021, 4, 1), "福井県鯖江市長")
    assert notice.addressee == "支援　花子" and "終了しました" in notice.lines[1]


def test_transfer_and_provisional_measure_at_the_new_municipality() -> None:
    m = domain.transfer(_measure(), domain.Transfer("越前市", date(2020, 6, 1), date(2020, 6, 2)))
    assert m.transfers[0].to_municipality == "越前市"
    moved = domain.provisional_on_move_in(domain.Party(name="支援　花子"), date(2020, 6, 2), "鯖江市")
    assert moved.status is MeasureStatus.PROVISIONAL and moved.provisional.original_municipality == "鯖江市"  # type: ignore[union-attr]

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from lgcloud.db import Database
from lgcloud.errors import LgcloudError
from lgcloud.tenancy import services
from lgcloud.tenancy.models import PLATFORM_CHAIN, AuditEntry, GroupMembership, User
from lgcloud.tenancy.permissions import PERSONAL_DATA, ROLE_PERMISSIONS, Role


def test_operator_role_holds_no_personal_data_permission() -> None:
    assert not ROLE_PERMISSIONS[Role.OPERATOR] & PERSONAL_DATA


def _group(database: Database, code: str) -> None:
    with database.session(PLATFORM_CHAIN) as session:
        services.create_group(session, code=code, name=code)


def test_membership_is_dated_and_exclusive(database: Database) -> None:
    _group(database, "g1")
    _group(database, "g2")
    with database.session("182079") as session:
        services.add_municipality(session, group_code="g1", lg_code="182079", joined_on=date(2024, 4, 1))
    with pytest.raises(LgcloudError) as excinfo, database.session("182079") as session:
        services.add_municipality(session, group_code="g2", lg_code="182079")
    assert excinfo.value.code == "already-member"
    with database.session("182079") as session:
        services.leave_group(session, lg_code="182079", left_on=date(2026, 3, 31))
        services.add_municipality(session, group_code="g2", lg_code="182079", joined_on=date(2026, 4, 1))
    with database.session() as session:
        rows = session.execute(select(GroupMembership).order_by(GroupMembership.joined_on)).scalars().all()
        history = [(r.group_id, r.joined_on, r.left_on) for r in rows]
    assert history == [(1, date(2024, 4, 1), date(2026, 3, 31)), (2, date(2026, 4, 1), None)]


def test_add_municipality_rejects_invalid_codes_and_changes_nothing(database: Database) -> None:
    _group(database, "g1")
    for code in ("182078", "999997", "011011"):
        with pytest.raises(LgcloudError), database.session(PLATFORM_CHAIN) as session:
            services.add_municipality(session, group_code="g1", lg_code=code)
    with database.session() as session:
        assert services.list_municipalities(session) == []


def test_lockout_after_repeated_failures(database: Database, tenants) -> None:  # type: ignore[no-untyped-def]
    def attempt(password: str) -> object:
        with database.session(PLATFORM_CHAIN) as session:
            return services.authenticate(
                session,
                username="clerk-182079",
                password=password,
                max_failures=3,
                lockout=timedelta(minutes=15),
            )

    for _ in range(3):
        assert isinstance(attempt("wrong-password"), services.LoginFailed)
    locked = attempt("test-password-123")  # right password, but locked now
    assert isinstance(locked, services.LoginFailed) and locked.code == "login-locked"
    with database.session() as session:
        user = session.execute(select(User).where(User.username == "clerk-182079")).scalar_one()
        assert user.locked_until is not None


def test_token_lifecycle(database: Database, tenants) -> None:  # type: ignore[no-untyped-def]
    with database.session(tenants.a) as session:
        text, record = services.create_token(
            session, lg_code=tenants.a, name="国保システム", scopes=["resident:read"], days=30
        )
    assert record.secret_hash not in text and text.startswith(f"lgc_{tenants.a}_")
    lg_code, token_id, secret = services.parse_token(text)  # type: ignore[misc]
    with database.session(lg_code) as session:
        assert services.resolve_token(session, lg_code, token_id, secret) is not None
        assert services.resolve_token(session, lg_code, token_id, secret + "x") is None
        services.revoke_token(session, lg_code=lg_code, token_id=token_id)
    with database.session(lg_code) as session:
        assert services.resolve_token(session, lg_code, token_id, secret) is None


def test_token_use_is_noted_once_a_minute(database: Database, tenants) -> None:  # type: ignore[no-untyped-def]
    """A feed consumer calls many times a second: last_used_at and the token.use entry move once a minute."""
    with database.session(tenants.a) as session:
        text, _ = services.create_token(session, lg_code=tenants.a, name="国保", scopes=["resident:read"], days=30)
    lg_code, token_id, secret = services.parse_token(text)  # type: ignore[misc]

    def use() -> bool:
        with database.session(lg_code) as session:
            record = services.resolve_token(session, lg_code, token_id, secret)
            assert record is not None
            return services.note_token_use(session, record, path="/api/v1/x", source_ip="192.0.2.1")

    def uses() -> int:
        with database.session(lg_code) as session:
            entries = session.execute(select(AuditEntry).where(AuditEntry.action == "token.use")).scalars().all()
            return len([e for e in entries if e.actor == f"token:{token_id}"])

    assert [use(), use(), use()] == [True, False, False]
    assert uses() == 1
    with database.session(lg_code) as session:  # a minute later
        record = services.resolve_token(session, lg_code, token_id, secret)
        assert record is not None and record.last_used_at is not None
        record.last_used_at = record.last_used_at - services.TOKEN_USE_GRANULARITY
    assert use() is True
    assert uses() == 2


@pytest.mark.parametrize(("scopes", "days"), [(["no-such-scope"], 30), ([], 30), (["resident:read"], 0)])
def test_token_rejects_bad_scopes_and_expiry(database: Database, tenants, scopes, days) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(LgcloudError), database.session(tenants.a) as session:
        services.create_token(session, lg_code=tenants.a, name="x", scopes=scopes, days=days)

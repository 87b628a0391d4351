"""Tenancy services: cloud groups and their members, users, login sessions, API tokens.

Every function takes the caller's ``Session`` (one transaction) and records security-relevant
actions in the audit log of the municipality concerned.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import date, timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from lgcloud.db.base import as_utc, utcnow
from lgcloud.db.session import use_tenant
from lgcloud.errors import Conflict, LgcloudError, NotFound
from lgcloud.tenancy.audit import record_audit
from lgcloud.tenancy.directory import lookup_municipality
from lgcloud.tenancy.models import (
    PLATFORM_CHAIN,
    ApiToken,
    CloudGroup,
    GroupMembership,
    Municipality,
    User,
    WebSession,
)
from lgcloud.tenancy.passwords import MIN_PASSWORD_LENGTH, hash_password, verify_password
from lgcloud.tenancy.permissions import TOKEN_SCOPES, Role
from lgcloud.tenancy.principal import Principal

MUNICIPALITY_STATUSES = {"onboarding": "移行準備", "migrating": "移行中", "live": "稼働中", "left": "離脱"}
SESSION_LIFETIME = timedelta(hours=8)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


# --- cloud groups and municipalities -------------------------------------------------------


def create_group(session: Session, *, code: str, name: str, actor: str = "system") -> CloudGroup:
    if not code or not name:
        raise LgcloudError("グループコードと名称は必須です", code="group-invalid")
    if session.execute(select(CloudGroup).where(CloudGroup.code == code)).scalar_one_or_none():
        raise Conflict(f"クラウドグループ {code} は既に存在します", code="group-exists")
    group = CloudGroup(code=code, name=name)
    session.add(group)
    session.flush()
    _audit_in(session, PLATFORM_CHAIN, actor=actor, action="group.create", target=code)
    return group


def get_group(session: Session, code: str) -> CloudGroup:
    group = session.execute(select(CloudGroup).where(CloudGroup.code == code)).scalar_one_or_none()
    if group is None:
        raise NotFound(f"クラウドグループ {code} はありません", code="group-not-found")
    return group


def list_groups(session: Session) -> list[CloudGroup]:
    return list(session.execute(select(CloudGroup).order_by(CloudGroup.code)).scalars())


def current_membership(session: Session, lg_code: str) -> GroupMembership | None:
    return session.execute(
        select(GroupMembership).where(GroupMembership.lg_code == lg_code, GroupMembership.left_on.is_(None))
    ).scalar_one_or_none()


def require_member(session: Session, group_id: int | None, lg_code: str) -> None:
    """404 for a municipality outside the group: an operator acts only for its own group's members."""
    membership = current_membership(session, lg_code)
    if membership is None or membership.group_id != group_id:
        raise NotFound("このグループの市区町村ではありません", code="not-in-group")


def add_municipality(
    session: Session, *, group_code: str, lg_code: str, joined_on: date | None = None, actor: str = "system"
) -> Municipality:
    """Register a real municipality (check digit and national list) and join it to a group."""
    gov = lookup_municipality(lg_code)
    group = get_group(session, group_code)
    if current_membership(session, lg_code) is not None:
        raise Conflict(f"{gov.name} は既に別のクラウドグループに所属しています", code="already-member")
    municipality = session.get(Municipality, lg_code)
    if municipality is None:
        municipality = Municipality(lg_code=lg_code, name=gov.name, name_kana=gov.name_kana, prefecture=gov.prefecture)
        session.add(municipality)
        session.flush()
    session.add(GroupMembership(group_id=group.group_id, lg_code=lg_code, joined_on=joined_on or date.today()))
    session.flush()
    _audit_in(session, lg_code, actor=actor, action="municipality.join", target=group_code)
    return municipality


def _audit_in(session: Session, chain: str, **entry: object) -> None:
    """Audit into ``chain`` from an administrative flow, then return to the original context."""
    original = str(session.info.get("lg_code", ""))
    use_tenant(session, chain)
    record_audit(session, lg_code=chain, **entry)  # type: ignore[arg-type]
    use_tenant(session, original)


def leave_group(session: Session, *, lg_code: str, left_on: date | None = None, actor: str = "system") -> None:
    membership = current_membership(session, lg_code)
    if membership is None:
        raise NotFound(f"{lg_code} はどのクラウドグループにも所属していません", code="not-member")
    membership.left_on = left_on or date.today()
    _audit_in(session, lg_code, actor=actor, action="municipality.leave")


def list_municipalities(session: Session, group_id: int | None = None) -> list[tuple[Municipality, CloudGroup]]:
    query = (
        select(Municipality, CloudGroup)
        .join(GroupMembership, GroupMembership.lg_code == Municipality.lg_code)
        .join(CloudGroup, CloudGroup.group_id == GroupMembership.group_id)
        .where(GroupMembership.left_on.is_(None))
        .order_by(Municipality.lg_code)
    )
    if group_id is not None:
        query = query.where(CloudGroup.group_id == group_id)
    return [(m, g) for m, g in session.execute(query).all()]


def get_municipality(session: Session, lg_code: str) -> Municipality:
    municipality = session.get(Municipality, lg_code)
    if municipality is None:
        raise NotFound(f"市区町村 {lg_code} は登録されていません", code="municipality-not-found")
    return municipality


def set_municipality_status(session: Session, *, lg_code: str, status: str, actor: str) -> None:
    if status not in MUNICIPALITY_STATUSES:
        raise LgcloudError(f"不明な状態です: {status}", code="status-invalid")
    get_municipality(session, lg_code).status = status
    _audit_in(session, lg_code, actor=actor, action="municipality.status", detail={"status": status})


# --- users ---------------------------------------------------------------------------------


def add_user(
    session: Session,
    *,
    username: str,
    password: str,
    role: str,
    display_name: str = "",
    lg_code: str | None = None,
    group_code: str | None = None,
    actor: str = "system",
) -> User:
    role_ = _parse_role(role)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise LgcloudError(f"パスワードは{MIN_PASSWORD_LENGTH}文字以上にしてください", code="password-too-short")
    if not username or session.execute(select(User).where(User.username == username)).scalar_one_or_none():
        raise Conflict(f"ユーザー名 {username!r} は使用できません", code="username-taken")
    group_id = _user_scope(session, role_, lg_code, group_code)
    user = User(
        username=username,
        display_name=display_name or username,
        role=role_.value,
        lg_code=None if role_ is Role.OPERATOR else lg_code,
        group_id=group_id,
        password_hash=hash_password(password),
    )
    session.add(user)
    session.flush()
    chain = lg_code if role_ is not Role.OPERATOR and lg_code else PLATFORM_CHAIN
    _audit_in(session, chain, actor=actor, action="user.add", target=username, detail={"role": role})
    return user


def _parse_role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise LgcloudError(f"不明な権限です: {role}", code="role-invalid") from None


def _user_scope(session: Session, role: Role, lg_code: str | None, group_code: str | None) -> int | None:
    if role is Role.OPERATOR:
        if not group_code:
            raise LgcloudError("運用者にはクラウドグループの指定が必要です", code="group-required")
        return get_group(session, group_code).group_id
    if not lg_code:
        raise LgcloudError("職員には市区町村コードの指定が必要です", code="municipality-required")
    get_municipality(session, lg_code)
    return None


def list_users(session: Session, lg_code: str | None = None) -> list[User]:
    query = select(User).order_by(User.username)
    if lg_code is not None:
        query = query.where(User.lg_code == lg_code)
    return list(session.execute(query).scalars())


def set_user_active(session: Session, *, lg_code: str, username: str, active: bool, actor: str) -> User:
    """Disable or re-enable a municipality's user; a disabled user's sessions stop working at once."""
    user = session.execute(select(User).where(User.username == username, User.lg_code == lg_code)).scalar_one_or_none()
    if user is None:
        raise NotFound(f"利用者 {username} はいません", code="user-not-found")
    if user.username == actor and not active:
        raise LgcloudError("自分自身を無効にすることはできません", code="self-disable")
    user.active = active
    record_audit(
        session, lg_code=lg_code, actor=actor, action="user.enable" if active else "user.disable", target=username
    )
    return user


def principal_of(user: User) -> Principal:
    return Principal.for_user(
        user_id=user.user_id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        lg_code=user.lg_code,
        group_id=user.group_id,
    )


# --- login ---------------------------------------------------------------------------------


class LoginFailed(LgcloudError):
    status = 401
    code = "login-failed"


def authenticate(
    session: Session,
    *,
    username: str,
    password: str,
    max_failures: int,
    lockout: timedelta,
    source_ip: str | None = None,
) -> User | LoginFailed:
    """Check a password; count failures and lock the account for ``lockout`` after too many.

    A failure is *returned*, not raised, so that the caller commits the failure count and the
    audit entry before reporting it (raising would roll both back).
    """
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    now = utcnow()
    ok = verify_password(user.password_hash if user else None, password)
    chain = (user.lg_code or PLATFORM_CHAIN) if user else PLATFORM_CHAIN
    use_tenant(session, chain)
    if user is not None and user.locked_until is not None and as_utc(user.locked_until) > now:
        record_audit(session, lg_code=chain, actor=username, action="login", outcome="locked", source_ip=source_ip)
        return LoginFailed("ログイン失敗が続いたため、このアカウントは一時的にロックされています", code="login-locked")
    if user is None or not ok or not user.active:
        if user is not None:
            user.failed_logins += 1
            if user.failed_logins >= max_failures:
                user.locked_until, user.failed_logins = now + lockout, 0
        record_audit(session, lg_code=chain, actor=username, action="login", outcome="failed", source_ip=source_ip)
        return LoginFailed("ユーザー名またはパスワードが正しくありません")
    user.failed_logins, user.locked_until = 0, None
    record_audit(session, lg_code=chain, actor=username, action="login", source_ip=source_ip)
    return user


def open_session(session: Session, user: User) -> tuple[str, WebSession]:
    token = secrets.token_urlsafe(32)
    web_session = WebSession(
        token_hash=sha256(token),
        user_id=user.user_id,
        csrf_token=secrets.token_urlsafe(32),
        expires_at=utcnow() + SESSION_LIFETIME,
    )
    session.add(web_session)
    session.flush()
    return token, web_session


def resolve_session(session: Session, token: str) -> tuple[User, WebSession] | None:
    web_session = session.get(WebSession, sha256(token))
    if web_session is None or web_session.revoked or as_utc(web_session.expires_at) <= utcnow():
        return None
    user = session.get(User, web_session.user_id)
    if user is None or not user.active:
        return None
    return user, web_session


def close_session(session: Session, token: str) -> None:
    web_session = session.get(WebSession, sha256(token))
    if web_session is not None:
        web_session.revoked = True


# --- API tokens ----------------------------------------------------------------------------

TOKEN_PREFIX = "lgc"


def create_token(
    session: Session, *, lg_code: str, name: str, scopes: list[str], days: int = 365, actor: str = "system"
) -> tuple[str, ApiToken]:
    """Return the token text (shown once) and its record. Text: ``lgc_<lg_code>_<id>_<secret>``."""
    unknown = sorted(set(scopes) - TOKEN_SCOPES)
    if unknown or not scopes:
        raise LgcloudError(f"不明なスコープです: {', '.join(unknown) or '(なし)'}", code="scope-invalid")
    if not 1 <= days <= 3650:
        raise LgcloudError("有効期間は1〜3650日で指定してください", code="expiry-invalid")
    get_municipality(session, lg_code)
    token_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
    record = ApiToken(
        lg_code=lg_code,
        token_id=token_id,
        name=name,
        scopes=sorted(set(scopes)),
        secret_hash=sha256(secret),
        created_by=actor,
        expires_at=utcnow() + timedelta(days=days),
    )
    session.add(record)
    session.flush()
    record_audit(
        session,
        lg_code=lg_code,
        actor=actor,
        action="token.create",
        target=token_id,
        detail={"name": name, "scopes": record.scopes},
    )
    return f"{TOKEN_PREFIX}_{lg_code}_{token_id}_{secret}", record


def parse_token(text: str) -> tuple[str, str, str] | None:
    parts = text.split("_", 3)
    if len(parts) != 4 or parts[0] != TOKEN_PREFIX or len(parts[1]) != 6 or not parts[1].isdigit():
        return None
    return parts[1], parts[2], parts[3]


#: ``last_used_at`` moves (and a ``token.use`` audit entry is written) at most this often per token: a
#: PULL consumer calls many times a second, and each call that reads personal data is audited anyway.
TOKEN_USE_GRANULARITY = timedelta(minutes=1)


#: Prebuilt: every API call with a token runs it.
_TOKEN = select(ApiToken).where(ApiToken.lg_code == bindparam("lg"), ApiToken.token_id == bindparam("token_id"))


def resolve_token(session: Session, lg_code: str, token_id: str, secret: str) -> ApiToken | None:
    """The live token for these parts, or None. Must run with ``lg_code`` as tenant context."""
    record = session.execute(_TOKEN, {"lg": lg_code, "token_id": token_id}).scalar_one_or_none()
    if record is None or not secrets.compare_digest(record.secret_hash, sha256(secret)):
        return None
    if record.revoked_at is not None or as_utc(record.expires_at) <= utcnow():
        return None
    return record


def note_token_use(session: Session, record: ApiToken, *, path: str, source_ip: str | None) -> bool:
    """Record that a live token was used: ``last_used_at`` and a ``token.use`` audit entry, once per
    :data:`TOKEN_USE_GRANULARITY`. Returns whether anything was written."""
    now = utcnow()
    if record.last_used_at is not None and now - as_utc(record.last_used_at) < TOKEN_USE_GRANULARITY:
        return False
    record.last_used_at = now
    record_audit(
        session,
        lg_code=record.lg_code,
        actor=f"token:{record.token_id}",
        action="token.use",
        target=path,
        source_ip=source_ip,
    )
    return True


def revoke_token(session: Session, *, lg_code: str, token_id: str, actor: str = "system") -> None:
    record = session.execute(
        select(ApiToken).where(ApiToken.lg_code == lg_code, ApiToken.token_id == token_id)
    ).scalar_one_or_none()
    if record is None:
        raise NotFound(f"トークン {token_id} はありません", code="token-not-found")
    record.revoked_at = utcnow()
    record_audit(session, lg_code=lg_code, actor=actor, action="token.revoke", target=token_id)


def list_tokens(session: Session, lg_code: str) -> list[ApiToken]:
    return list(
        session.execute(select(ApiToken).where(ApiToken.lg_code == lg_code).order_by(ApiToken.created_at)).scalars()
    )

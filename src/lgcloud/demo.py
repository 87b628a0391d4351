"""The demo cloud group: three municipalities in 福井県, their staff, and generated residents.

Idempotent: running ``lgcloud demo`` again keeps what exists. No real personal data: residents
come from the generator (Faker ja_JP names, synthetic numbers).
"""

from __future__ import annotations

import importlib.util

from rich.console import Console
from sqlalchemy import select

from lgcloud.db import Database
from lgcloud.tenancy import services
from lgcloud.tenancy.models import PLATFORM_CHAIN, CloudGroup, User

DEMO_GROUP = ("fukui-demo", "ふくい共同クラウド (デモ)")
DEMO_MUNICIPALITIES = ("182079", "182095", "183229")  # 鯖江市, 越前市, 永平寺町
DEMO_PASSWORD = "demo-password-2026"
STAFF_ROLES = ("admin", "clerk", "supervisor", "auditor")


def seed_demo(
    database: Database, *, residents_per_municipality: int = 3000, console: Console | None = None
) -> list[tuple[str, str, str, str]]:
    """Create the demo group, members and users; return (username, password, role, belongs-to) rows."""
    console = console or Console()
    logins: list[tuple[str, str, str, str]] = []
    with database.session(PLATFORM_CHAIN) as session:
        if (
            session.execute(select(CloudGroup).where(CloudGroup.code == DEMO_GROUP[0])).scalar_one_or_none()
            is None
        ):
            services.create_group(session, code=DEMO_GROUP[0], name=DEMO_GROUP[1], actor="demo")
        _ensure_user(session, "operator", "operator", lg_code=None, group_code=DEMO_GROUP[0])
        logins.append(("operator", DEMO_PASSWORD, "運用者", DEMO_GROUP[1]))
    for lg_code in DEMO_MUNICIPALITIES:
        with database.session(lg_code) as session:
            municipality = session.get(services.Municipality, lg_code)
            if municipality is None or services.current_membership(session, lg_code) is None:
                municipality = services.add_municipality(
                    session, group_code=DEMO_GROUP[0], lg_code=lg_code, actor="demo"
                )
            for role in STAFF_ROLES:
                username = f"{role}-{lg_code}"
                _ensure_user(session, username, role, lg_code=lg_code)
                logins.append((username, DEMO_PASSWORD, role, f"{municipality.name} ({lg_code})"))
        _seed_residents(database, lg_code, residents_per_municipality, console)
    _seed_analytics(database)
    return logins


def _ensure_user(
    session,
    username: str,
    role: str,
    *,
    lg_code: str | None,  # type: ignore[no-untyped-def]
    group_code: str | None = None,
) -> None:
    if session.execute(select(User).where(User.username == username)).scalar_one_or_none() is None:
        services.add_user(
            session,
            username=username,
            password=DEMO_PASSWORD,
            role=role,
            lg_code=lg_code,
            group_code=group_code,
            display_name=f"デモ {username}",
            actor="demo",
        )


def _seed_analytics(database: Database) -> None:
    """Synthetic (架空) national status data whose totals are the published Tables 1–3, once."""
    from lgcloud.analytics.models import StatusSnapshot
    from lgcloud.analytics.service import load_demo

    with database.session(PLATFORM_CHAIN) as session:
        if session.execute(select(StatusSnapshot).limit(1)).scalar_one_or_none() is None:
            load_demo(session)


def _seed_residents(database: Database, lg_code: str, count: int, console: Console) -> None:
    """Residents come from the residents capability's generator, when it is installed."""
    if count <= 0 or importlib.util.find_spec("lgcloud.residents.demo") is None:
        return
    from lgcloud.residents.demo import seed_demo_residents

    console.print(f"{lg_code}: 住民データを生成しています ({count} 人)…")
    seed_demo_residents(database, lg_code, count, seed=int(lg_code))

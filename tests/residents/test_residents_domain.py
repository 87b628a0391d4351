"""The domain stays pure: rules and plans import neither the database nor the web layer."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import lgcloud.residents
from lgcloud.residents import rules
from lgcloud.residents.errors import HeadChangeRequired, InvalidHousehold, InvalidZokugara
from lgcloud.residents.model import HEAD, FlexDate, Person, ResidentKind

DOMAIN = ["model.py", "rules.py", "handlers.py", "commands.py", "keys.py", "replay.py", "events.py", "errors.py"]
FORBIDDEN = ("sqlalchemy", "fastapi", "starlette", "lgcloud.db", "lgcloud.web")


@pytest.mark.parametrize("module", DOMAIN)
def test_domain_modules_do_no_io(module: str) -> None:
    tree = ast.parse((Path(lgcloud.residents.__file__).parent / module).read_text(encoding="utf-8"))
    imported = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    imported += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    assert [m for m in imported if m.startswith(FORBIDDEN)] == []


def member(atena: str, zokugara: str, order: int) -> Person:
    return Person(
        atena_no=atena,
        setai_no="S",
        kind=ResidentKind.JAPANESE,
        shimei=f"氏　{atena}",
        zokugara=zokugara,
        household_order=order,
        birth_date=FlexDate(None, "年月日不詳"),
    )


def test_head_rule_as_a_pure_function() -> None:
    head, wife, child = member("1", HEAD, 1), member("2", "妻", 2), member("3", "子", 3)
    with pytest.raises(HeadChangeRequired):
        rules.settle_household("S", [head, wife, child], [wife, child], {"1"})
    (new_head,) = rules.settle_household("S", [head, wife], [wife], {"1"})
    assert (new_head.zokugara, new_head.head_name) == (HEAD, "氏　2")
    with pytest.raises(InvalidHousehold):
        rules.settle_household("S", [head], [head, member("4", HEAD, 2)], {"4"})
    assert rules.settle_household("S", [head, wife], [], {"1", "2"}) == []


@pytest.mark.parametrize("zokugara", ["世帯主", "妻（未届）", "子の子の子の子", "縁故者", "同居人", "父の兄の子"])
def test_valid_zokugara(zokugara: str) -> None:
    rules.check_zokugara(zokugara)


@pytest.mark.parametrize("zokugara", ["祖父", "孫", "子の子の子の子の子", "家事使用人", "準世帯主", ""])
def test_invalid_zokugara(zokugara: str) -> None:
    with pytest.raises(InvalidZokugara):
        rules.check_zokugara(zokugara)


def test_every_reason_has_a_code_of_its_class() -> None:
    from lgcloud.residents.handlers import REASON_CLASS, reason_code

    assert {
        reason: reason_code(reason, cls) for reason, cls in REASON_CLASS.items() if not reason_code(reason, cls)
    } == {}

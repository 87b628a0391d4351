"""The layout format: the built-in juki layout loads, and a broken layout gets clear, placed errors."""

from __future__ import annotations

import copy

import pytest
import yaml

from lgcloud.layout import LayoutError, builtin_layouts, load_layout, parse_layout, resolve_dialect
from lgcloud.layout.model import BUILTIN_DIR


@pytest.fixture(scope="module")
def raw() -> dict:
    return yaml.safe_load((BUILTIN_DIR / "juki.yaml").read_text(encoding="utf-8"))


def test_juki_loads_with_every_rule_kind() -> None:
    layout = load_layout("juki")
    assert "juki" in builtin_layouts()
    assert [f.name for f in layout.files] == ["person", "foreign", "household"]
    person = layout.file("person")
    assert person.primary_key == ("宛名番号", "履歴番号")
    assert len(person.items) >= 60
    assert {r.type for f in layout.files for r in f.rules} == {"group_count", "sequence", "required_if", "date_order"}
    assert person.item("個人番号").sensitive and person.item("氏名").gaiji
    assert not person.item("住所_番地号表記").gaiji


def _problems(data: dict) -> list[str]:
    with pytest.raises(LayoutError) as info:
        parse_layout(data, "test.yaml")
    assert "test.yaml" in info.value.message
    return info.value.detail["problems"]


def test_unknown_type_is_placed(raw: dict) -> None:
    data = copy.deepcopy(raw)
    data["files"][0]["items"][2]["type"] = "strng"
    [problem] = _problems(data)
    assert problem.startswith("files[0].items[2].type:") and "'strng' is not one of" in problem


def test_every_shape_problem_is_listed(raw: dict) -> None:
    data = copy.deepcopy(raw)
    del data["files"][1]["items"][0]["name"]
    data["files"][2]["items"][0]["length"] = -1
    data["files"][0]["colour"] = "red"
    problems = _problems(data)
    assert any(p.startswith("files[1].items[0]:") and "'name' is a required property" in p for p in problems)
    assert any(p.startswith("files[2].items[0].length:") for p in problems)
    assert any(p.startswith("files[0]:") and "colour" in p for p in problems)


def test_meaning_problems(raw: dict) -> None:
    data = copy.deepcopy(raw)
    person = data["files"][0]
    person["items"][5]["code"] = "存在しない表"
    person["items"].append(dict(person["items"][0]))  # duplicate name
    person["primary_key"] = ["宛名番号", "ない項目"]
    person["references"][0]["file"] = "nowhere"
    person["rules"][0]["count"]["item"] = "ない項目2"
    person["items"][3]["pattern"] = "([0-9"
    problems = "\n".join(_problems(data))
    assert "unknown code table '存在しない表'" in problems
    assert "duplicate item names ['市区町村コード']" in problems
    assert "primary_key: unknown item 'ない項目'" in problems
    assert "unknown file 'nowhere'" in problems
    assert "(one-head-per-household): unknown item 'ない項目2'" in problems
    assert "invalid regular expression" in problems


def test_rule_needs_its_parts(raw: dict) -> None:
    data = copy.deepcopy(raw)
    rule = data["files"][0]["rules"][0]
    del rule["equals"]
    problems = _problems(data)
    assert any("group_count needs 'equals', 'min' or 'max'" in p for p in problems)


def test_unknown_layout_and_dialect() -> None:
    with pytest.raises(LayoutError) as info:
        load_layout("nosuch")
    assert info.value.code == "layout-not-found" and "juki" in info.value.message
    layout = load_layout("juki")
    with pytest.raises(LayoutError) as info:
        resolve_dialect(layout.dialects, "nosuch")
    assert info.value.code == "dialect-not-found"
    with pytest.raises(LayoutError):
        resolve_dialect(layout.dialects, None, encoding="latin-1")
    assert resolve_dialect(layout.dialects, "tsv-euc").sep == "\t"

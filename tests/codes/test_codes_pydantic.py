"""JpDate inside pydantic models (API payloads): text or object in, the {raw, kind, iso} object out."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError

from lgcloud.codes import JpDate


class Person(BaseModel):
    birth: JpDate
    moved_in: JpDate | None = None


def test_accepts_text_object_and_value() -> None:
    a = Person.model_validate({"birth": "令和2年頃"})
    b = Person.model_validate({"birth": {"raw": "令和2年頃", "kind": "unknown", "iso": "2020-01-01"}})
    c = Person(birth=JpDate.parse("令和2年頃"))
    assert a == b == c
    assert a.birth.kind == "unknown"


def test_serialises_to_the_json_object_and_back() -> None:
    p = Person.model_validate({"birth": "令和5年2月30日", "moved_in": "R05.03.01"})
    dumped = p.model_dump(mode="json")
    assert dumped["birth"] == {"raw": "令和5年2月30日", "kind": "non_calendar", "iso": "2023-02-28"}
    assert Person.model_validate_json(p.model_dump_json()) == p


@pytest.mark.parametrize("bad", ["令和0年1月1日", 20230301, {"kind": "exact"}])
def test_bad_input_is_a_validation_error(bad: object) -> None:
    with pytest.raises(ValidationError):
        Person.model_validate({"birth": bad})


def test_json_schema_is_available_for_openapi() -> None:
    schema = Person.model_json_schema()
    assert "anyOf" in str(schema["properties"]["birth"])

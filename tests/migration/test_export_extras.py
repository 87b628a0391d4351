"""The export's fast application of kept source items gives what io_mapping.apply_extras gives, on the
documents extras_json writes and on the shapes that take its fallback."""

from __future__ import annotations

import json

import polars as pl
import pytest

from lgcloud.migration import export_extras, io_mapping

DERIVED = pl.DataFrame({"氏名": ["山田　太郎", "鈴木　花子", "髙橋　一", "渡邉　次郎"],
                        "住所": ["鯖江市本町1", "鯖江市本町2", None, "鯖江市本町4"],
                        "備考": [None, None, None, None]})  # fmt: skip


def _doc(values: dict[str, str | None]) -> str:
    return json.dumps({"k": list(values), "v": values}, ensure_ascii=False, separators=(",", ":"))


CASES = {
    "as extras_json writes them": [_doc({"住所": "鯖江市旧本町1"}), None, _doc({"住所": "不詳", "備考": "転居"}),
                                   _doc({"氏名": "渡邊　次郎"})],
    "a kept null overrides": [_doc({"住所": None}), None, None, None],
    "a newline in a value (fallback)": [_doc({"備考": "一行目\n二行目"}), None, None, None],
    "another key order (fallback)": [json.dumps({"v": {"住所": "X"}, "k": ["住所"]}), None, None, None],
    "a number, not a string (fallback)": ['{"k":["備考"],"v":{"備考":3}}', None, None, None],
    "only nulls": [None, None, None, None],
}  # fmt: skip


@pytest.mark.parametrize("case", CASES)
def test_fast_path_equals_the_reference(case: str) -> None:
    extras = pl.Series("x", CASES[case], dtype=pl.String)
    fast = export_extras.apply_extras(DERIVED, extras)
    assert fast.equals(io_mapping.apply_extras(DERIVED, extras))
    if case == "as extras_json writes them":
        assert fast["住所"].to_list() == ["鯖江市旧本町1", "鯖江市本町2", "不詳", "鯖江市本町4"]
        assert fast["氏名"][3] == "渡邊　次郎" and fast["備考"][2] == "転居"

"""Domain primitives shared by every lgcloud capability. Pure Python: no web, no database.

- check digits: 全国地方公共団体コード, 個人番号, 住民票コード (provisional), 宛名番号/世帯番号 (M11W2-7)
- dates: 和暦 ⇄ 西暦 (`Era`, `to_wareki`, `from_wareki`) and `JpDate` (exact / non-calendar / 不詳)
- code tables: versioned YAML in ``data/`` (`code_table`), 続柄 rules and the household order
- kana: `fold_kana` (fuzzy search key) and `to_fullwidth_katakana` (storage clean-up)

The SQLAlchemy column type is in `lgcloud.codes.sqltypes`, imported only by code that already uses SQLAlchemy.
"""

from lgcloud.codes.checkdigits import (
    RemainderOnePolicy,
    UnassignableNumberError,
    atena_check_digit,
    is_assignable_atena_body,
    is_valid_atena,
    is_valid_juminhyo_code,
    is_valid_lgcode,
    is_valid_mynumber,
    juminhyo_check_digit,
    lgcode_check_digit,
    lgcode_with_check_digit,
    mynumber_check_digit,
    next_atena_number,
    validate_atena,
    validate_juminhyo_code,
    validate_lgcode,
    validate_mynumber,
)
from lgcloud.codes.dates import DateKind, JpDate
from lgcloud.codes.eras import WAREKI_STYLES, Era, era, era_of, eras, format_wareki, from_wareki, to_wareki
from lgcloud.codes.errors import CodesError
from lgcloud.codes.kana import fold_kana, kana_matches, to_fullwidth_katakana
from lgcloud.codes.tables import TABLE_NAMES, CodeEntry, CodeTable, all_code_tables, code_table
from lgcloud.codes.zokugara import (
    HouseholdSortKey,
    Zokugara,
    best_zokugara,
    compose_zokugara,
    household_sort_key,
    is_valid_zokugara,
    parse_zokugara,
    validate_zokugara,
)

__all__ = [
    "TABLE_NAMES",
    "WAREKI_STYLES",
    "CodeEntry",
    "CodeTable",
    "CodesError",
    "DateKind",
    "Era",
    "HouseholdSortKey",
    "JpDate",
    "RemainderOnePolicy",
    "UnassignableNumberError",
    "Zokugara",
    "all_code_tables",
    "atena_check_digit",
    "best_zokugara",
    "code_table",
    "compose_zokugara",
    "era",
    "era_of",
    "eras",
    "fold_kana",
    "format_wareki",
    "from_wareki",
    "household_sort_key",
    "is_assignable_atena_body",
    "is_valid_atena",
    "is_valid_juminhyo_code",
    "is_valid_lgcode",
    "is_valid_mynumber",
    "is_valid_zokugara",
    "juminhyo_check_digit",
    "kana_matches",
    "lgcode_check_digit",
    "lgcode_with_check_digit",
    "mynumber_check_digit",
    "next_atena_number",
    "parse_zokugara",
    "to_fullwidth_katakana",
    "to_wareki",
    "validate_atena",
    "validate_juminhyo_code",
    "validate_lgcode",
    "validate_mynumber",
    "validate_zokugara",
]

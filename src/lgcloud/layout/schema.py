"""JSON Schema of the layout YAML format (documented in docs/layouts/format.md).

The schema checks shape; :mod:`lgcloud.layout.model` then checks meaning (names that must exist, code
tables that must be defined …). Both raise :class:`LayoutError` with one line per problem, each naming
the place in the YAML (``files[0].items[3].type``).
"""

from __future__ import annotations

from typing import Any

import jsonschema

from lgcloud.errors import LgcloudError

ITEM_TYPES = ["string", "text", "kana", "alpha", "digits", "integer", "decimal", "date", "flag", "code"]
CHECK_DIGITS = ["atena", "mynumber", "juminhyo_code", "lg_code"]
DATE_STYLES = ["seireki", "seireki-sep", "wareki1", "wareki2"]
ENCODINGS = ["utf-8", "utf-8-sig", "cp932", "shift_jis_2004", "euc-jis-2004"]
RULE_TYPES = ["required_if", "date_order", "group_count", "sequence", "unique"]

_NAME = {"type": "string", "minLength": 1}
_NAMES = {"type": "array", "items": _NAME, "minItems": 1}
_COND = {
    "type": "object",
    "additionalProperties": False,
    "required": ["item"],
    "properties": {
        "item": _NAME,
        "in": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        "not_in": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        "present": {"type": "boolean"},
    },
}

ITEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "type"],
    "properties": {
        "name": _NAME,
        "id": {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"},
        "type": {"enum": ITEM_TYPES},
        "length": {"type": "integer", "minimum": 1},
        "min_length": {"type": "integer", "minimum": 0},
        "length_unit": {"enum": ["chars", "bytes"]},
        "width": {"type": "integer", "minimum": 1},
        "required": {"type": "boolean"},
        "gaiji": {"type": "boolean"},
        "code": _NAME,
        "pattern": {"type": "string"},
        "check_digit": {"enum": CHECK_DIGITS},
        "minimum": {"type": "number"},
        "maximum": {"type": "number"},
        "date_style": {"enum": DATE_STYLES},
        "unknown_allowed": {"type": "boolean"},
        "non_calendar_allowed": {"type": "boolean"},
        "sensitive": {"type": "boolean"},
        "description": {"type": "string"},
        "source": {"type": "string"},
    },
}

RULE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "type"],
    "properties": {
        "id": {"type": "string", "pattern": "^[a-z][a-z0-9-]*$"},
        "type": {"enum": RULE_TYPES},
        "title": {"type": "string"},
        "when": _COND,
        "items": _NAMES,
        "item": _NAME,
        "group_by": _NAMES,
        "latest": {
            "type": "object",
            "additionalProperties": False,
            "required": ["key", "order"],
            "properties": {"key": _NAMES, "order": _NAME},
        },
        "where": _COND,
        "count": _COND,
        "equals": {"type": "integer", "minimum": 0},
        "min": {"type": "integer", "minimum": 0},
        "max": {"type": "integer", "minimum": 0},
        "start": {"type": "integer"},
    },
}

DIALECT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "format": {"enum": ["csv", "tsv", "fixed"]},
        "encoding": {"enum": ENCODINGS},
        "header": {"type": "boolean"},
        "delimiter": {"type": "string", "minLength": 1, "maxLength": 1},
        "quote": {"type": ["string", "null"], "maxLength": 1},
        "line_end": {"enum": ["lf", "crlf", "none"]},
        "date_style": {"enum": DATE_STYLES},
        "pad": {"enum": ["space", "none"]},
        "description": {"type": "string"},
    },
}

LAYOUT_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "additionalProperties": False,
    "required": ["layout", "version", "title", "files"],
    "properties": {
        "layout": {"type": "string", "pattern": "^[a-z][a-z0-9_-]*$"},
        "version": {"type": "string"},
        "title": {"type": "string"},
        "description": {"type": "string"},
        "code_tables": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "additionalProperties": False,
                "required": ["values"],
                "properties": {
                    "title": {"type": "string"},
                    "source": {"type": "string"},
                    "values": {
                        "type": "object",
                        "minProperties": 1,
                        "additionalProperties": {"type": "string"},
                    },
                },
            },
        },
        "dialects": {"type": "object", "additionalProperties": DIALECT_SCHEMA},
        "files": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name", "title", "items"],
                "properties": {
                    "name": {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"},
                    "title": {"type": "string"},
                    "description": {"type": "string"},
                    "match": {"type": "array", "items": _NAME},
                    "primary_key": _NAMES,
                    "items": {"type": "array", "minItems": 1, "items": ITEM_SCHEMA},
                    "references": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["items", "file", "target"],
                            "properties": {
                                "id": {"type": "string"},
                                "items": _NAMES,
                                "file": _NAME,
                                "target": _NAMES,
                            },
                        },
                    },
                    "rules": {"type": "array", "items": RULE_SCHEMA},
                },
            },
        },
    },
}


class LayoutError(LgcloudError):
    code = "layout-invalid"


def _where(path: Any) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top)"


def schema_errors(data: Any) -> list[str]:
    """Every shape problem of a layout document, one readable line each (empty when fine)."""
    validator = jsonschema.Draft202012Validator(LAYOUT_SCHEMA)
    lines = []
    for err in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
        lines.append(f"{_where(err.absolute_path)}: {err.message}")
    return lines

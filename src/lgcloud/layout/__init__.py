"""Declarative migration layouts: the YAML format, dialects, streaming readers/writers and the validator.

Public API::

    from lgcloud.layout import load_layout, resolve_dialect, Validator
    layout = load_layout("juki")
    dialect = resolve_dialect(layout.dialects, None, encoding="cp932")
    result = Validator(layout, dialect, gaiji_map).validate([(layout.file("person"), "person.csv")])
"""

from lgcloud.layout.dialect import Dialect, resolve_dialect
from lgcloud.layout.gaiji import load_gaiji_csv
from lgcloud.layout.model import FileSpec, Item, Layout, builtin_layouts, load_layout, parse_layout
from lgcloud.layout.reader import Batch, iter_batches
from lgcloud.layout.report import summary, to_json, write_reports
from lgcloud.layout.schema import LayoutError
from lgcloud.layout.validator import RULE_TITLES, ValidationResult, Validator
from lgcloud.layout.writer import EncodeError, write_frame

__all__ = [
    "RULE_TITLES",
    "Batch",
    "Dialect",
    "EncodeError",
    "FileSpec",
    "Item",
    "Layout",
    "LayoutError",
    "ValidationResult",
    "Validator",
    "builtin_layouts",
    "iter_batches",
    "load_gaiji_csv",
    "load_layout",
    "parse_layout",
    "resolve_dialect",
    "summary",
    "to_json",
    "write_frame",
    "write_reports",
]

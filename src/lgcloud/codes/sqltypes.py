"""SQLAlchemy column type for `JpDate` (optional: import it only where SQLAlchemy is already used).

Stored as the ``iso|kind|raw`` string of `JpDate.to_db`, so a plain ORDER BY on the column sorts by date and
nothing of the raw text is lost. Keep a separate indexed ISO column next to it when range queries matter.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.types import String, TypeDecorator

from lgcloud.codes.dates import MAX_RAW_LENGTH, JpDate

#: iso (10) + two separators + kind (12) + raw.
DB_LENGTH = 10 + 2 + 12 + MAX_RAW_LENGTH


class JpDateType(TypeDecorator[JpDate]):
    impl = String(DB_LENGTH)
    cache_ok = True

    def process_bind_param(self, value: JpDate | str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        # Callers may assign text: it is parsed (and rejected with a CodesError) here, before the database.
        parsed = JpDate.parse(value) if isinstance(value, str) else value
        return parsed.to_db()

    def process_result_value(self, value: Any, dialect: Dialect) -> JpDate | None:
        return None if value is None else JpDate.from_db(value)

    @property
    def python_type(self) -> type[JpDate]:
        return JpDate

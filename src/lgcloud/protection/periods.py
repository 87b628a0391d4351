"""Period arithmetic for 支援措置 (standards.md §2.10), following 民法 第143条.

A period "of one year from" a start day ends on the day before the day that corresponds to the
start day one year later (初日を算入: the support starts on the day it is granted). When that
corresponding day does not exist (29 February in a common year), the period ends on the last day of
that month: 令和2年2月29日 → 令和3年2月28日; 令和2年4月1日 → 令和3年3月31日.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

ONE_DAY = timedelta(days=1)


def _last_day(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def shift_months(day: date, months: int) -> date:
    """The corresponding day ``months`` later (earlier if negative), clamped to the month's last day."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, _last_day(year, month)))


def period_end(start: date, years: int = 1) -> date:
    """Last day of a period of ``years`` years that includes ``start`` (民法143条)."""
    corresponding_exists = not (start.month == 2 and start.day == 29 and not calendar.isleap(start.year + years))
    if not corresponding_exists:
        return date(start.year + years, 2, 28)
    return date(start.year + years, start.month, start.day) - ONE_DAY


def extension_opens(end: date) -> date:
    """First day an extension may be requested: one month before the end date (clamped)."""
    return shift_months(end, -1)


def extended_period(end: date) -> tuple[date, date]:
    """The next period: one more year from the day after the old end date."""
    start = end + ONE_DAY
    return start, period_end(start)


def in_last_month(end: date, today: date) -> bool:
    """True within the final month of the period (the alert window), end day included."""
    return extension_opens(end) <= today <= end


def days_left(end: date, today: date) -> int:
    return (end - today).days

"""支援措置期間 arithmetic (民法143条): one year including the start day, leap years, the extension window."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lgcloud.protection import periods


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (date(2020, 4, 1), date(2021, 3, 31)),  # the standard's example: 令和2年4月1日 → 令和3年3月31日
        (date(2020, 2, 29), date(2021, 2, 28)),  # no 29 Feb in 2021: the month's last day
        (date(2020, 3, 1), date(2021, 2, 28)),
        (date(2019, 3, 1), date(2020, 2, 29)),  # the period ending in a leap year includes 29 Feb
        (date(2023, 2, 28), date(2024, 2, 27)),
        (date(2023, 3, 1), date(2024, 2, 29)),
        (date(2024, 1, 1), date(2024, 12, 31)),
        (date(2024, 12, 31), date(2025, 12, 30)),
    ],
)
def test_period_end(start: date, end: date) -> None:
    assert periods.period_end(start) == end


def test_four_year_period_from_29_february_lands_on_29_february_minus_one() -> None:
    assert periods.period_end(date(2020, 2, 29), years=4) == date(2024, 2, 28)


@pytest.mark.parametrize(
    ("end", "opens"),
    [
        (date(2021, 3, 31), date(2021, 2, 28)),  # no 31 Feb: clamp
        (date(2024, 3, 31), date(2024, 2, 29)),  # leap year
        (date(2021, 2, 28), date(2021, 1, 28)),
        (date(2021, 1, 15), date(2020, 12, 15)),  # across the year
    ],
)
def test_extension_window_opens_one_month_before_the_end(end: date, opens: date) -> None:
    assert periods.extension_opens(end) == opens
    assert periods.in_last_month(end, opens)
    assert not periods.in_last_month(end, date.fromordinal(opens.toordinal() - 1))
    assert periods.in_last_month(end, end)
    assert not periods.in_last_month(end, date.fromordinal(end.toordinal() + 1))


def test_extended_period_starts_the_day_after_the_old_end() -> None:
    assert periods.extended_period(date(2021, 3, 31)) == (date(2021, 4, 1), date(2022, 3, 31))
    assert periods.extended_period(date(2024, 2, 28)) == (date(2024, 2, 29), date(2025, 2, 28))


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)))
def test_a_period_is_one_year_less_a_day_and_extensions_chain(start: date) -> None:
    end = periods.period_end(start)
    assert (end - start).days in (364, 365)
    if not (start.month == 2 and start.day == 29):
        assert end + timedelta(days=1) == date(start.year + 1, start.month, start.day)
    next_start, next_end = periods.extended_period(end)
    assert next_start == end + timedelta(days=1) and next_end > next_start
    opens = periods.extension_opens(end)
    assert 28 <= (end - opens).days <= 31

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lgcloud.analytics.apportion import (
    Member,
    apportion,
    apportionment_table,
    largest_remainder,
    parse_weights,
    what_if_joins,
)
from lgcloud.errors import LgcloudError

members_strategy = st.lists(
    st.builds(
        Member,
        lg_code=st.from_regex(r"[0-9]{6}", fullmatch=True),
        name=st.just("団体"),
        population=st.integers(min_value=1, max_value=4_000_000),
        usage=st.integers(min_value=1, max_value=10**9),
    ),
    min_size=1,
    max_size=30,
    unique_by=lambda m: m.lg_code,
)
weights_strategy = st.dictionaries(
    st.sampled_from(["equal", "population", "usage"]), st.integers(min_value=1, max_value=100), min_size=1
)


@given(total=st.integers(min_value=0, max_value=10**13), members=members_strategy, weights=weights_strategy)
def test_apportionment_sums_exactly(total: int, members: list[Member], weights: dict[str, int]) -> None:
    result = apportion(total, members, weights)
    assert sum(result.amounts.values()) == total
    assert all(amount >= 0 for amount in result.amounts.values())
    for method, part in result.parts.items():
        exact = total * parse_weights(weights)[method]
        assert abs(sum(part.values()) - exact) < 1


@given(
    total=st.integers(min_value=0, max_value=10**12),
    weights=st.dictionaries(st.text(min_size=1, max_size=3), st.integers(min_value=0, max_value=10**6), min_size=1),
)
def test_largest_remainder_is_exact_and_within_one_yen_of_the_quota(total: int, weights: dict[str, int]) -> None:
    if sum(weights.values()) == 0:
        with pytest.raises(LgcloudError):
            largest_remainder(total if total else 1, weights)
        return
    shares = largest_remainder(total, weights)
    assert sum(shares.values()) == total
    basis = sum(weights.values())
    for key, share in shares.items():
        assert abs(share - Fraction(total * weights[key], basis)) < 1


@given(
    total=st.integers(min_value=0, max_value=10**11),
    members=members_strategy,
    weights=weights_strategy,
    extra=st.integers(min_value=0, max_value=10**9),
)
def test_what_if_sums_exactly_before_and_after(
    total: int, members: list[Member], weights: dict[str, int], extra: int
) -> None:
    joiner = Member("000000", "参加団体", 12_345, 678)
    if any(m.lg_code == joiner.lg_code for m in members):
        return
    comparison = what_if_joins(total, members, joiner, weights, total + extra)
    assert sum(comparison.before.amounts.values()) == total
    assert sum(comparison.after.amounts.values()) == total + extra
    assert comparison.table().rows[-1][5] == extra


def sample() -> list[Member]:
    return [
        Member("011002", "札幌市", 1_933_094, 500),
        Member("012025", "函館市", 243_000, 300),
        Member("012033", "小樽市", 108_000, 200),
    ]


def test_methods() -> None:
    equal = apportion(100, sample(), {"equal": 1})
    assert sorted(equal.amounts.values()) == [33, 33, 34]
    by_pop = apportion(1_000_000, sample(), {"population": 1})
    assert by_pop.amount("011002") > by_pop.amount("012025") > by_pop.amount("012033")
    mixed = apportion(1_000_000, sample(), {"equal": 30, "population": 50, "usage": 20})
    assert {k: sum(v.values()) for k, v in mixed.parts.items()} == {
        "equal": 300_000,
        "population": 500_000,
        "usage": 200_000,
    }
    table = apportionment_table(mixed)
    assert table.rows[-1][table.columns.index("負担額(円)")] == 1_000_000
    assert "最大剰余法" in table.notes[0]


def test_what_if_joins() -> None:
    joiner = Member("012041", "旭川市", 320_000, 400)
    comparison = what_if_joins(1_000_000, sample(), joiner, {"equal": 1, "population": 1})
    assert comparison.after.amount("012041") > 0
    assert all(comparison.after.amount(m.lg_code) < comparison.before.amount(m.lg_code) for m in sample())
    table = comparison.table()
    assert table.column("増減(円)")[-1] == 0
    with pytest.raises(LgcloudError):
        what_if_joins(1, sample(), sample()[0], {"equal": 1})


def test_bad_inputs_are_clear_errors() -> None:
    with pytest.raises(LgcloudError, match="按分方法"):
        apportion(1, sample(), {"area": 1})
    with pytest.raises(LgcloudError):
        apportion(1, [], {"equal": 1})
    with pytest.raises(LgcloudError, match="利用量割"):
        apportion(1, [Member("011002", "札幌市", 1, 0)], {"usage": 1})
    with pytest.raises(LgcloudError):
        apportion(-1, sample(), {"equal": 1})

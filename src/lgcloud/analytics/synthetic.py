"""Synthetic (架空) per-municipality data with given totals, for tests and the demo.

No real per-municipality cloud status is public (survey.md §1): these rows are random assignments
that reproduce published totals. They are labelled as synthetic wherever they are shown.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import date

from lgcloud.analytics import aggregates
from lgcloud.analytics.municipalities import national_list
from lgcloud.analytics.status import Snapshot, StatusRecord
from lgcloud.analytics.vocab import Plan, Status

SYNTHETIC_SOURCE = "架空データ（公表集計値に合計を合わせて無作為に割り当てたもの）"


def _deal(items: list[str], counts: Mapping[str, int], rng: random.Random) -> dict[str, str]:
    """Give ``counts[label]`` distinct items to each label; the rest get nothing."""
    if sum(counts.values()) > len(items):
        raise ValueError("counts exceed the number of items")
    shuffled = items[:]
    rng.shuffle(shuffled)
    assigned: dict[str, str] = {}
    position = 0
    for label, count in counts.items():
        for code in shuffled[position : position + count]:
            assigned[code] = label
        position += count
    return assigned


def snapshot_from_totals(
    ref_date: date,
    status: Mapping[str, int],
    plans: Mapping[str, int] | None = None,
    target_years: Mapping[int, int] | None = None,
    seed: int = 0,
    group_size: int = 7,
) -> Snapshot:
    """Municipalities get statuses, plans (only those not in 自治体クラウド) and target years with exactly
    the given counts; 自治体クラウド members are put into groups of ``group_size`` within a prefecture."""
    rng = random.Random(seed)
    codes = [m.lg_code for m in national_list()]
    statuses = _deal(codes, status, rng)
    non_shared = sorted(c for c, s in statuses.items() if s != Status.SHARED)
    plan_of = _deal(non_shared, plans or {}, rng)
    year_of = _deal(codes, {str(y): n for y, n in (target_years or {}).items()}, rng)
    groups = _groups(sorted(c for c, s in statuses.items() if s == Status.SHARED), group_size)
    records = [
        StatusRecord(
            code,
            Status(statuses[code]),
            Plan(plan_of[code]) if code in plan_of else None,
            int(year_of[code]) if code in year_of else None,
            groups.get(code),
        )
        for code in codes
        if code in statuses
    ]
    return Snapshot.of(ref_date, records, SYNTHETIC_SOURCE)


def _groups(shared: list[str], size: int) -> dict[str, str]:
    by_pref: dict[str, list[str]] = {}
    for code in shared:
        by_pref.setdefault(code[:2], []).append(code)
    groups: dict[str, str] = {}
    for pref, members in by_pref.items():
        for index in range(0, len(members), size):
            for code in members[index : index + size]:
                groups[code] = f"架空グループ{pref}-{index // size + 1}"
    return groups


def paper_snapshot(seed: int = 0) -> Snapshot:
    """A synthetic H30.6.15 data set whose totals are exactly the paper's Tables 1–3."""
    t1, t2, t3 = (aggregates.dataset(i) for i in ("h30-t1", "h30-t2", "h30-t3"))
    return snapshot_from_totals(
        t1.ref_date,
        {str(k): int(v or 0) for k, v in t1.values.items()},
        {str(k): int(v or 0) for k, v in t2.values.items()},
        t3.fiscal_year_counts(),
        seed=seed,
    )


def synthetic_costs(snapshot: Snapshot, population: Mapping[str, int], seed: int = 0) -> dict[str, int]:
    """Yen per municipality shaped like the 2018 survey: per-resident cost falls with size and is lowest
    in 自治体クラウド. Illustrative only."""
    rng = random.Random(seed)
    factor = {Status.SHARED: 0.8, Status.STANDALONE: 1.05, Status.NONE: 1.0}
    costs = {}
    for code, record in snapshot.records.items():
        people = population.get(code)
        if not people:
            continue
        per_resident = (3000 + 180_000 / (people**0.5)) * factor[record.status] * rng.uniform(0.9, 1.1)
        costs[code] = round(per_resident * people)
    return costs

"""Per-municipality cloud status at one reference date, and the tables computed from it.

A :class:`Snapshot` holds the rows of exactly one reference date. Views never carry a row from one
date into another: a municipality without a row at that date counts as 未回答.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from lgcloud.analytics import aggregates
from lgcloud.analytics.municipalities import (
    EXPECTED_MUNICIPALITIES,
    BandScheme,
    Population,
    band_scheme,
    by_code,
    census_2020_japanese,
    national_list,
    prefectures,
)
from lgcloud.analytics.tables import Table, make_table
from lgcloud.analytics.vocab import NO_ANSWER, Plan, Status, fiscal_year_label


@dataclass(frozen=True)
class StatusRecord:
    lg_code: str
    status: Status
    plan: Plan | None = None
    target_fy: int | None = None
    group: str | None = None


@dataclass(frozen=True)
class Snapshot:
    ref_date: date
    records: Mapping[str, StatusRecord]
    source: str = "団体別データ"
    notes: tuple[str, ...] = field(default=())

    @classmethod
    def of(cls, ref_date: date, records: Iterable[StatusRecord], source: str = "団体別データ") -> Snapshot:
        return cls(ref_date, {r.lg_code: r for r in records}, source)

    @property
    def missing(self) -> int:
        return sum(1 for m in national_list() if m.lg_code not in self.records)

    def meta(self) -> dict[str, object]:
        notes = self.notes
        if self.missing:
            notes = (*notes, f"{self.missing} 団体は回答なし（{NO_ANSWER}）。")
        return {"ref_date": self.ref_date, "source": self.source, "notes": notes}


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def status_counts(snapshot: Snapshot) -> dict[str, int]:
    counts = Counter(r.status.value for r in snapshot.records.values())
    result = {s.value: counts.get(s.value, 0) for s in Status}
    if snapshot.missing:
        result[NO_ANSWER] = snapshot.missing
    return result


def plan_counts(snapshot: Snapshot) -> dict[str, int]:
    """Plans of those not in a 自治体クラウド (Table 2's population); no plan → 未回答."""
    plans = Counter(
        (r.plan.value if r.plan else NO_ANSWER) for r in snapshot.records.values() if r.status is not Status.SHARED
    )
    result = {p.value: plans.get(p.value, 0) for p in Plan}
    if plans.get(NO_ANSWER):
        result[NO_ANSWER] = plans[NO_ANSWER]
    return result


def target_year_counts(snapshot: Snapshot) -> dict[int, int]:
    return dict(sorted(Counter(r.target_fy for r in snapshot.records.values() if r.target_fy).items()))


def status_table(snapshot: Snapshot) -> Table:
    counts = status_counts(snapshot)
    total = sum(counts.values())
    rows = [(k, v, _percent(v, total)) for k, v in counts.items()]
    rows.append(("計", total, _percent(total, total)))
    return make_table(
        f"status-{snapshot.ref_date}",
        "市区町村のクラウド導入状況",
        ("導入状況", "団体数", "割合(%)"),
        rows,
        **snapshot.meta(),
    )


def plan_table(snapshot: Snapshot) -> Table:
    counts = plan_counts(snapshot)
    total = sum(counts.values())
    rows = [(k, v, _percent(v, total)) for k, v in counts.items()]
    rows.append(("計", total, _percent(total, total)))
    return make_table(
        f"plans-{snapshot.ref_date}",
        "自治体クラウド未導入団体のクラウド導入計画",
        ("導入計画", "団体数", "割合(%)"),
        rows,
        **snapshot.meta(),
    )


def target_year_table(snapshot: Snapshot) -> Table:
    counts = target_year_counts(snapshot)
    rows: list[tuple[object, ...]] = [(fiscal_year_label(y), n) for y, n in counts.items()]
    rows.append(("計", sum(counts.values())))
    return make_table(
        f"target-years-{snapshot.ref_date}",
        "クラウド導入の目標年度",
        ("目標年度", "団体数"),
        rows,
        **snapshot.meta(),
    )


def _grouped_rows(snapshot: Snapshot, key_of: Mapping[str, str], keys: Iterable[str]) -> list[tuple[object, ...]]:
    table: dict[str, Counter[str]] = {k: Counter() for k in keys}
    for m in national_list():
        key = key_of.get(m.lg_code, "人口不明")
        record = snapshot.records.get(m.lg_code)
        table.setdefault(key, Counter())[record.status.value if record else NO_ANSWER] += 1
    columns = [s.value for s in Status] + [NO_ANSWER]
    rows = []
    for key, counter in table.items():
        total = sum(counter.values())
        shared = counter.get(Status.SHARED.value, 0)
        rows.append((key, *(counter.get(c, 0) for c in columns), total, _percent(shared, total)))
    return rows


def status_by_prefecture(snapshot: Snapshot) -> Table:
    key_of = {m.lg_code: m.prefecture for m in national_list()}
    return _status_by(
        snapshot,
        "都道府県",
        key_of,
        prefectures(),
        f"status-by-prefecture-{snapshot.ref_date}",
        "都道府県別 クラウド導入状況",
        (),
    )


def status_by_band(snapshot: Snapshot, population: Population | None = None, scheme: BandScheme | None = None) -> Table:
    population = population or census_2020_japanese()
    scheme = scheme or band_scheme()
    key_of = {m.lg_code: scheme.band_of(p) for m in national_list() if (p := population.of(m.lg_code)) is not None}
    note = f"人口: {population.label}。区分: {scheme.note}"
    return _status_by(
        snapshot,
        "人口区分",
        key_of,
        scheme.labels,
        f"status-by-band-{snapshot.ref_date}",
        "人口規模別 クラウド導入状況",
        (note,),
    )


def _status_by(
    snapshot: Snapshot,
    label: str,
    key_of: Mapping[str, str],
    keys: Iterable[str],
    key: str,
    title: str,
    notes: tuple[str, ...],
) -> Table:
    rows = _grouped_rows(snapshot, key_of, keys)
    columns = (label, *(s.value for s in Status), NO_ANSWER, "計", "自治体クラウド率(%)")
    meta = snapshot.meta()
    meta["notes"] = (*notes, *meta["notes"])  # type: ignore[misc]
    return make_table(key, title, columns, rows, **meta)


def groups_table(snapshot: Snapshot, population: Population | None = None) -> Table:
    population = population or census_2020_japanese()
    members: dict[str, list[str]] = {}
    for record in snapshot.records.values():
        if record.group:
            members.setdefault(record.group, []).append(record.lg_code)
    rows = []
    for group, codes in sorted(members.items()):
        names = [by_code()[c].name for c in sorted(codes) if c in by_code()]
        pop = sum(population.of(c) or 0 for c in codes)
        prefs = sorted({by_code()[c].prefecture for c in codes if c in by_code()})
        rows.append((group, len(codes), pop, "・".join(prefs), "、".join(names)))
    return make_table(
        f"groups-{snapshot.ref_date}",
        "クラウドグループ",
        ("グループ", "団体数", "人口", "都道府県", "構成団体"),
        rows,
        **snapshot.meta(),
    )


# --- consistency checks -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    name: str
    left_label: str
    left: int | None
    right_label: str
    right: int | None
    expected_to_tie: bool
    note: str = ""

    @property
    def ties(self) -> bool | None:
        if self.left is None or self.right is None:
            return None
        return self.left == self.right

    @property
    def ok(self) -> bool:
        """A check that is expected to tie fails when it does not; the others only inform."""
        return not self.expected_to_tie or self.ties is not False

    @property
    def verdict(self) -> str:
        if self.ties is None:
            return "判定不能"
        if self.ties:
            return "一致"
        return "不一致（要確認）" if self.expected_to_tie else "一致しない（想定どおり）"


def consistency_checks(
    status: Mapping[str, int | None],
    plans: Mapping[str, int | None] | None,
    target_total: int | None,
    universe: int = EXPECTED_MUNICIPALITIES,
) -> list[Check]:
    values = [status.get(s.value) for s in Status]
    t1_total = sum(v for v in values if v is not None) + (status.get(NO_ANSWER) or 0) if None not in values else None
    shared = status.get(Status.SHARED.value)
    non_shared = t1_total - shared if t1_total is not None and shared is not None else None
    t2_total = sum(v or 0 for v in plans.values()) if plans else None
    planners = None
    if plans:
        planners = (plans.get(Plan.STANDALONE.value) or 0) + (plans.get(Plan.SHARED.value) or 0)
    return [
        Check("表1合計 = 全市区町村数", "表1 合計", t1_total, "全市区町村", universe, True),
        Check("表2合計 = 表1の自治体クラウド以外", "表2 合計", t2_total, "表1 未導入+単独", non_shared, True),
        Check(
            "表3合計 と 表2の計画団体",
            "表3 合計",
            target_total,
            "表2 単独+自治体クラウド",
            planners,
            False,
            "表3の母数は表1・表2から導けない。一致を前提にしない。",
        ),
        Check(
            "表3合計 と 表1の自治体クラウド以外",
            "表3 合計",
            target_total,
            "表1 未導入+単独",
            non_shared,
            False,
            "同上",
        ),
    ]


def checks_table(checks: list[Check], ref_date: date | None, source: str) -> Table:
    rows = [(c.name, c.left, c.right, c.verdict, c.note) for c in checks]
    return make_table(
        f"checks-{ref_date}" if ref_date else "checks",
        "整合性チェック",
        ("チェック", "左辺", "右辺", "判定", "注"),
        rows,
        ref_date=ref_date,
        source=source,
    )


def snapshot_checks(snapshot: Snapshot) -> list[Check]:
    return consistency_checks(
        status_counts(snapshot), plan_counts(snapshot), sum(target_year_counts(snapshot).values())
    )


def aggregate_checks(ref_date: date) -> list[Check]:
    t1 = aggregates.find("status", ref_date)
    t2 = aggregates.find("plan", ref_date)
    t3 = aggregates.find("target_fy", ref_date)
    status = {str(k): v for k, v in t1[0].values.items()} if t1 else {}
    plans = {str(k): v for k, v in t2[0].values.items()} if t2 else None
    target_total = sum(t3[0].fiscal_year_counts().values()) if t3 else None
    universe = (t1[0].universe if t1 else None) or EXPECTED_MUNICIPALITIES
    return consistency_checks(status, plans, target_total, universe)

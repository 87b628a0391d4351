"""Cost apportionment inside a cloud group (負担金の按分).

Methods: 均等割 (equal shares), 人口割 (by population), 利用量割 (by usage measured by lgcloud: records,
transactions …) and weighted mixes of them, e.g. 均等割 30 % + 人口割 70 %.

Amounts are whole yen and always sum exactly to the total: the total is first split between the
methods by their weights, then each method's part between the members, each time with the
largest-remainder (Hamilton) method on exact fractions. Ties in the remainder go to the larger
basis, then to the lower lg_code, so the result is deterministic.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from lgcloud.analytics.tables import Table, make_table
from lgcloud.errors import LgcloudError

Method = Literal["equal", "population", "usage"]
METHODS: tuple[Method, ...] = ("equal", "population", "usage")
METHOD_LABELS: dict[str, str] = {"equal": "均等割", "population": "人口割", "usage": "利用量割"}


@dataclass(frozen=True)
class Member:
    lg_code: str
    name: str
    population: int
    usage: int = 0


@dataclass(frozen=True)
class Apportionment:
    total: int
    weights: Mapping[str, Fraction]
    members: tuple[Member, ...]
    #: method → lg_code → yen
    parts: Mapping[str, Mapping[str, int]]

    def amount(self, lg_code: str) -> int:
        return sum(part.get(lg_code, 0) for part in self.parts.values())

    @property
    def amounts(self) -> dict[str, int]:
        return {m.lg_code: self.amount(m.lg_code) for m in self.members}

    def per_resident(self, lg_code: str) -> float | None:
        member = next(m for m in self.members if m.lg_code == lg_code)
        return round(self.amount(lg_code) / member.population, 1) if member.population else None


def largest_remainder(total: int, weights: Mapping[str, int | Fraction]) -> dict[str, int]:
    """Split ``total`` whole units in proportion to ``weights`` so that the parts sum to ``total``.

    Each key gets the floor of its exact quota; the units left go to the largest fractional
    remainders (ties: larger weight first, then key order).
    """
    if total < 0:
        raise LgcloudError("按分する総額が負です", code="negative-total")
    if any(w < 0 for w in weights.values()):
        raise LgcloudError("按分の基準値に負の値があります", code="negative-weight")
    basis = sum(Fraction(w) for w in weights.values())
    if not weights or (basis == 0 and total):
        raise LgcloudError("按分の基準値の合計が0です", code="zero-basis")
    if total == 0:
        return dict.fromkeys(weights, 0)
    quotas = {k: Fraction(total) * Fraction(w) / basis for k, w in weights.items()}
    shares = {k: q.numerator // q.denominator for k, q in quotas.items()}
    left = total - sum(shares.values())
    order = sorted(weights, key=lambda k: (-(quotas[k] - shares[k]), -Fraction(weights[k]), k))
    for key in order[:left]:
        shares[key] += 1
    return shares


def _basis(member: Member, method: str) -> int:
    if method == "equal":
        return 1
    if method == "population":
        return member.population
    return member.usage


def parse_weights(weights: Mapping[str, int | float | str | Fraction]) -> dict[str, Fraction]:
    """{'equal': 30, 'population': 70} (any positive scale) → exact fractions summing to 1."""
    unknown = set(weights) - set(METHODS)
    if unknown:
        raise LgcloudError(
            f"按分方法「{', '.join(sorted(unknown))}」はありません（equal / population / usage）",
            code="unknown-method",
        )
    exact = {k: Fraction(str(v)) if isinstance(v, float) else Fraction(v) for k, v in weights.items()}
    exact = {k: v for k, v in exact.items() if v != 0}
    if any(v < 0 for v in exact.values()) or not exact:
        raise LgcloudError("按分の割合は正の値で1つ以上指定してください", code="bad-weights")
    scale = sum(exact.values())
    return {k: v / scale for k, v in exact.items()}


def apportion(
    total: int, members: Sequence[Member], weights: Mapping[str, int | float | str | Fraction]
) -> Apportionment:
    if not members:
        raise LgcloudError("按分する構成団体がありません", code="no-members")
    codes = [m.lg_code for m in members]
    if len(set(codes)) != len(codes):
        raise LgcloudError("構成団体が重複しています", code="duplicate-member")
    mix = parse_weights(weights)
    for method in mix:
        if method != "equal" and sum(_basis(m, method) for m in members) == 0:
            raise LgcloudError(f"{METHOD_LABELS[method]}の基準値がすべて0です", code="zero-basis")
    method_totals = largest_remainder(total, mix)
    parts = {
        method: largest_remainder(method_totals[method], {m.lg_code: _basis(m, method) for m in members})
        for method in mix
    }
    return Apportionment(total, mix, tuple(members), parts)


def apportionment_table(result: Apportionment, key: str = "apportionment") -> Table:
    methods = list(result.parts)
    rows = []
    for m in result.members:
        rows.append(
            (
                m.lg_code,
                m.name,
                m.population,
                m.usage,
                *(result.parts[k][m.lg_code] for k in methods),
                result.amount(m.lg_code),
                result.per_resident(m.lg_code),
            )
        )
    rows.append(
        (
            "計",
            "",
            sum(m.population for m in result.members),
            sum(m.usage for m in result.members),
            *(sum(result.parts[k].values()) for k in methods),
            result.total,
            None,
        )
    )
    mix = "、".join(f"{METHOD_LABELS[k]} {float(w) * 100:g}%" for k, w in result.weights.items())
    return make_table(
        key,
        "クラウドグループ内の費用按分",
        (
            "団体コード",
            "団体名",
            "人口",
            "利用量",
            *(METHOD_LABELS[k] + "(円)" for k in methods),
            "負担額(円)",
            "一人当たり(円)",
        ),
        rows,
        notes=(f"按分方法: {mix}。円未満は最大剰余法で配分し、合計は総額に一致する。",),
    )


@dataclass(frozen=True)
class JoinComparison:
    before: Apportionment
    after: Apportionment
    joiner: Member

    def table(self) -> Table:
        rows = []
        for m in self.after.members:
            was = self.before.amount(m.lg_code) if m.lg_code != self.joiner.lg_code else None
            now = self.after.amount(m.lg_code)
            rows.append(
                (
                    m.lg_code,
                    m.name,
                    m.population,
                    was,
                    now,
                    None if was is None else now - was,
                    self.before.per_resident(m.lg_code) if was is not None else None,
                    self.after.per_resident(m.lg_code),
                )
            )
        rows.append(
            (
                "計",
                "",
                sum(m.population for m in self.after.members),
                self.before.total,
                self.after.total,
                self.after.total - self.before.total,
                None,
                None,
            )
        )
        return make_table(
            f"what-if-{self.joiner.lg_code}",
            f"{self.joiner.name}が参加した場合の負担額",
            (
                "団体コード",
                "団体名",
                "人口",
                "参加前(円)",
                "参加後(円)",
                "増減(円)",
                "参加前 一人当たり(円)",
                "参加後 一人当たり(円)",
            ),
            rows,
        )


def what_if_joins(
    total: int,
    members: Sequence[Member],
    joiner: Member,
    weights: Mapping[str, int | float | str | Fraction],
    total_after: int | None = None,
) -> JoinComparison:
    """Apportion ``total`` among ``members``, then ``total_after`` (default: the same) with ``joiner``."""
    if any(m.lg_code == joiner.lg_code for m in members):
        raise LgcloudError(f"{joiner.name}はすでに構成団体です", code="already-member")
    before = apportion(total, members, weights)
    after = apportion(total if total_after is None else total_after, [*members, joiner], weights)
    return JoinComparison(before, after, joiner)

"""The vectorised validator: every rule of a layout over streamed batches, as polars expressions.

Per batch, every item rule becomes one boolean polars expression; all of them run in one ``select`` (in
parallel, in Rust); only the rows where one of them is true are turned into error rows. Cross-record rules
(primary keys, references between files, group rules) keep a narrow frame of the items they need per file
and run once at the end, so memory grows with those few columns, never with the file.

One cell gets one error: the most basic failure in the order of :data:`CELL_RULES`. A cell whose bytes could
not be decoded, or that holds a cp932 trap or an unmapped/forbidden 外字, gets that error and no other.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from lgcloud.layout import checks
from lgcloud.layout.codec import (
    TRAP_CLASS,
    byte_length_pattern,
    codepoint,
    normalise_gaiji_key,
    pua_class,
    sjis_code,
)
from lgcloud.layout.dialect import Dialect
from lgcloud.layout.model import Condition, FileSpec, Item, Layout, Rule
from lgcloud.layout.reader import ISSUE_SCHEMA, Batch, issues_frame, iter_batches, release_memory

#: Per-cell rules, most basic first; only the first failing one is reported for a cell.
CELL_RULES = [
    "encoding",
    "encoding-trap",
    "gaiji-not-allowed",
    "gaiji-unmapped",
    "required",
    "type",
    "date",
    "code",
    "length",
    "pattern",
    "check-digit",
    "range",
]
RULE_TITLES = {
    "encoding": "文字コード不正(読めないバイト)",
    "encoding-trap": "文字コードの落とし穴(cp932 の 0x80/0xA0/0xFD–FF)",
    "header": "見出し行の不一致",
    "field-count": "項目数の不一致",
    "record-length": "固定長レコード長の不一致",
    "blank-row": "空行",
    "gaiji-not-allowed": "外字を使用できない項目の外字",
    "gaiji-unmapped": "対応表にない外字",
    "required": "必須項目の未設定",
    "type": "データ型の不一致",
    "date": "日付の誤り",
    "code": "コード表にない値",
    "length": "桁数超過・不足",
    "pattern": "書式の不一致",
    "check-digit": "検査数字の誤り",
    "range": "値の範囲外",
    "required-if": "条件付き必須項目の未設定",
    "date-order": "日付の前後関係の誤り",
    "primary-key": "主キーの重複",
    "foreign-key": "参照先のないキー",
    "group-count": "グループ件数規則の違反",
    "sequence": "連番の欠番・重複",
    "unique": "一意であるべき値の重複",
}
ERROR_SCHEMA = {"file": pl.String, **ISSUE_SCHEMA}
GAIJI_SCHEMA = {
    "file": pl.String,
    "line": pl.Int64,
    "item": pl.String,
    "char": pl.String,
    "codepoint": pl.String,
    "vendor_code": pl.String,
    "mapped_to": pl.String,
}
TYPE_PATTERNS = {
    "digits": "^[0-9]+$",
    "kana": "^[\u30a1-\u30f6\u30fc\u30fb\u3000 ]+$",
    "alpha": "^[A-Za-z][A-Za-z ,.'\\-]*$",
    "flag": "^[01]$",
}
FREE_TEXT = {"string", "text"}
ASCII_TYPES = {"digits", "integer", "decimal", "flag", "code", "alpha", "date"}
_PENDING = "__pending_gaiji"


@dataclass
class FileSummary:
    file: str
    spec: str
    path: str
    records: int = 0
    bytes: int = 0
    records_with_errors: int = 0
    errors: int = 0

    @property
    def valid_records(self) -> int:
        return self.records - self.records_with_errors


@dataclass
class ValidationResult:
    layout: str
    dialect: Dialect
    files: list[FileSummary]
    errors: pl.DataFrame
    gaiji: pl.DataFrame
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def records(self) -> int:
        return sum(f.records for f in self.files)

    @property
    def valid(self) -> bool:
        return self.errors.height == 0

    def rule_counts(self) -> dict[str, int]:
        if self.errors.height == 0:
            return {}
        counts = self.errors.group_by("rule").len().sort(["len", "rule"], descending=[True, False])
        return dict(zip(counts["rule"].to_list(), counts["len"].to_list(), strict=True))


# ------------------------------------------------------------------------------- item rules


def _length_expr(col: pl.Expr, item: Item, encoding: str) -> pl.Expr:
    if item.length_unit == "chars":
        return col.str.len_chars()
    pattern = byte_length_pattern(encoding)
    if pattern is None:
        return col.str.len_bytes()
    return col.str.len_chars() + col.str.count_matches(pattern)


@dataclass(frozen=True)
class RuleCheck:
    """One item rule: ``cheap`` runs on every row and may over-flag; ``exact`` decides on flagged rows.

    ``special`` rules (外字 and cp932 traps in free text) run only on rows the reader saw such characters in.
    """

    rule: str
    exact: pl.Expr
    cheap: pl.Expr | None = None
    special: bool = False

    @property
    def first_pass(self) -> pl.Expr:
        return self.exact if self.cheap is None else self.cheap


def _item_failures(item: Item, layout: Layout, dialect: Dialect, policy: str = "zero") -> list[RuleCheck]:
    """The checks of one item, in :data:`CELL_RULES` order."""
    c = pl.col(item.name)
    out: list[RuleCheck] = []
    free = item.type in FREE_TEXT and not item.pattern
    pua = pua_class(dialect.encoding)
    if free and checks_traps(dialect):
        out.append(RuleCheck("encoding-trap", c.str.contains(TRAP_CLASS).fill_null(False), special=True))
    if free:
        rule = _PENDING if item.gaiji else "gaiji-not-allowed"
        out.append(RuleCheck(rule, c.str.contains(pua).fill_null(False), special=True))
    if item.required:
        out.append(RuleCheck("required", c.is_null()))
    out += _type_checks(item, c, dialect)
    if item.code:
        out.append(RuleCheck("code", c.is_not_null() & ~c.is_in(list(layout.code_tables[item.code].values))))
    out += _length_checks(item, c, dialect)
    if item.pattern:
        out.append(RuleCheck("pattern", c.is_not_null() & ~c.str.contains(f"^(?:{item.pattern})$")))
    if item.check_digit:
        kind, skip = item.check_digit, policy == "skip"
        cheap = c.map_batches(
            lambda s: checks.check_digit_fail_numpy(s, kind, skip_remainder_one=skip), return_dtype=pl.Boolean
        )
        out.append(RuleCheck("check-digit", checks.check_digit_fail_expr(c, kind, skip_remainder_one=skip), cheap))
    if item.minimum is not None or item.maximum is not None:
        num = c.cast(pl.Float64, strict=False)
        bad = pl.lit(False)
        if item.minimum is not None:
            bad = bad | (num < item.minimum)
        if item.maximum is not None:
            bad = bad | (num > item.maximum)
        out.append(RuleCheck("range", bad.fill_null(False)))
    return out


def _length_cheap(item: Item, c: pl.Expr) -> pl.Expr | None:
    """A first pass for 桁数: characters ≤ UTF-8 bytes, and source-encoding bytes ≤ UTF-8 bytes (and ≤ 2 ×
    characters for the DBCS encodings), so a value within these bounds is within its 桁数."""
    assert item.length is not None
    if item.type in ASCII_TYPES:
        return (c.str.len_bytes() > item.length).fill_null(False)
    if item.length_unit == "chars":
        return None  # len_chars is itself cheap
    return ((c.str.len_bytes() > item.length) & (c.str.len_chars() * 2 > item.length)).fill_null(False)


def _type_checks(item: Item, c: pl.Expr, dialect: Dialect) -> list[RuleCheck]:
    if item.type in TYPE_PATTERNS:
        exact = c.is_not_null() & ~c.str.contains(TYPE_PATTERNS[item.type])
        cheap = None
        if item.type == "digits":
            cheap = checks.digits_cheap_fail(c)
        elif item.type == "flag":
            cheap = c.is_not_null() & ~c.is_in(["0", "1"])
        return [RuleCheck("type", exact, cheap)]
    if item.type == "integer":
        return [RuleCheck("type", c.is_not_null() & c.cast(pl.Int64, strict=False).is_null())]
    if item.type == "decimal":
        return [RuleCheck("type", c.is_not_null() & c.cast(pl.Float64, strict=False).is_null())]
    if item.type == "date":
        style = item.date_style or dialect.date_style
        fail, _ymd = checks.date_exprs(
            c, style, unknown_allowed=item.unknown_allowed, non_calendar_allowed=item.non_calendar_allowed
        )
        cheap = c.map_batches(lambda s: checks.date_cheap_fail_numpy(s, style), return_dtype=pl.Boolean)
        return [RuleCheck("date", fail, cheap)]
    return []


def _length_checks(item: Item, c: pl.Expr, dialect: Dialect) -> list[RuleCheck]:
    out = []
    if item.length:
        exact = (_length_expr(c, item, dialect.encoding) > item.length).fill_null(False)
        out.append(RuleCheck("length", exact, _length_cheap(item, c)))
    if item.min_length:
        exact = (_length_expr(c, item, dialect.encoding) < item.min_length).fill_null(False)
        out.append(RuleCheck("length", exact))
    return out


def checks_traps(dialect: Dialect) -> bool:
    return dialect.encoding == "cp932"


def _message(item: Item, rule: str, layout: Layout, dialect: Dialect) -> str:
    unit = "文字" if item.length_unit == "chars" else "バイト"
    return {
        "encoding-trap": "cp932 で意味の異なる文字に化けるバイト(0x80/0xA0/0xFD–0xFF)が含まれています",
        "gaiji-not-allowed": "外字を使用できない項目に外字(私用領域の文字)が含まれています",
        "required": "必須項目が空です",
        "type": f"データ型「{item.type}」として読めません",
        "date": f"日付として正しくありません(形式: {item.date_style or dialect.date_style})",
        "code": f"コード表「{item.code}」にない値です",
        "length": f"桁数 {item.min_length or 0}〜{item.length or '∞'}{unit} の範囲外です",
        "pattern": f"書式 {item.pattern} に一致しません",
        "check-digit": f"検査数字が正しくありません({item.check_digit})",
        "range": f"値が範囲 {_num(item.minimum)}〜{_num(item.maximum)} の外です",
    }.get(rule, RULE_TITLES.get(rule, rule))


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _mask(value: str | None) -> str | None:
    return None if value is None else re.sub(r"\S", "*", value)


_MYNUMBER_RUN = re.compile(r"(?<![0-9])[0-9]{12}(?![0-9])")


# ---------------------------------------------------------------------------------- validator


@dataclass
class _FileState:
    spec: FileSpec
    summary: FileSummary
    keep: list[pl.DataFrame] = field(default_factory=list)

    def kept(self) -> pl.DataFrame:
        if not self.keep:
            return pl.DataFrame()
        out = pl.concat(self.keep, how="vertical_relaxed", rechunk=False)
        self.keep = []
        return out


class Validator:
    """Validate files of a layout written in a dialect; ``gaiji_map`` maps vendor 外字 → MJ code."""

    def __init__(
        self,
        layout: Layout,
        dialect: Dialect,
        gaiji_map: dict[str, str] | None = None,
        *,
        batch_bytes: int = 8 << 20,
        prefetch: bool = True,
        remainder_one_policy: str = "zero",
    ):
        self.layout = layout
        self.dialect = dialect
        self.gaiji = {normalise_gaiji_key(k): v for k, v in (gaiji_map or {}).items()}
        self.batch_bytes = batch_bytes
        self.prefetch = prefetch
        self.policy = remainder_one_policy
        self._plans: dict[str, list[tuple[Item, RuleCheck]]] = {}

    # ---- planning
    def _plan(self, spec: FileSpec) -> list[tuple[Item, RuleCheck]]:
        if spec.name not in self._plans:
            self._plans[spec.name] = [
                (it, check) for it in spec.items for check in _item_failures(it, self.layout, self.dialect, self.policy)
            ]
        return self._plans[spec.name]

    def _kept_items(self, spec: FileSpec) -> list[str]:
        names: set[str] = set(spec.primary_key)
        for ref in spec.references:
            names |= set(ref.items)
        for other in self.layout.files:
            names |= {n for ref in other.references if ref.file == spec.name for n in ref.target}
        for rule in spec.rules:
            if rule.type in ("group_count", "sequence", "unique"):
                names |= rule.touched_items()
        return [n for n in spec.names if n in names]

    # ---- running
    def validate(
        self, files: Iterable[tuple[FileSpec, str | Path]], progress: Callable[[int], None] | None = None
    ) -> ValidationResult:
        started = time.perf_counter()
        errors: list[pl.DataFrame] = []
        gaiji: list[pl.DataFrame] = []
        states: list[_FileState] = []
        for spec, path in files:
            state = _FileState(spec, FileSummary(Path(path).name, spec.name, str(path)))
            states.append(state)
            for batch in iter_batches(path, spec, self.dialect, batch_bytes=self.batch_bytes, prefetch=self.prefetch):
                errs, gj = self._validate_batch(state, batch)
                errors.append(errs)
                if gj is not None:
                    gaiji.append(gj)
                if progress:
                    progress(batch.bytes)
        warnings: list[str] = []
        release_memory()  # the batches are gone; the cross-record rules need room for the kept columns
        errors += self._cross_record(states, warnings)
        result = self._result(states, errors, gaiji, warnings)
        result.seconds = time.perf_counter() - started
        return result

    def _validate_batch(self, state: _FileState, batch: Batch) -> tuple[pl.DataFrame, pl.DataFrame | None]:
        spec = state.spec
        state.summary.records += batch.records
        state.summary.bytes += batch.bytes
        frame = self._normalise(batch.frame, spec)
        plan = self._plan(spec)
        parts = [issues_frame(batch.issues).with_columns(pl.lit(state.summary.file).alias("file"))]
        gaiji_rows = None
        flagged, special = self._candidates(frame, plan, batch)
        if flagged.height or special.height:
            cell, gaiji_rows = self._cell_errors(spec, plan, flagged, special, state.summary.file)
            parts.append(cell)
        parts.append(self._row_rules(spec, frame, state.summary.file))
        errs = self._one_per_cell(pl.concat([p.select(list(ERROR_SCHEMA)) for p in parts]), batch)
        kept = self._kept_items(spec)
        if kept:
            small = {it.name for it in spec.items if it.type in ("code", "flag")}
            # concat_str copies: a kept column must not hold on to the batch's buffers (the reader's fast path
            # hands polars Arrow buffers without copying, and one small column would pin allocator segments)
            state.keep.append(
                frame.select(
                    pl.col("__rec").cast(pl.Int32),
                    pl.col("__line").cast(pl.Int32),
                    "__off",
                    *[pl.col(n).cast(pl.Categorical) if n in small else pl.concat_str([pl.col(n)]) for n in kept],
                )
            )
        return errs, gaiji_rows

    def _candidates(self, frame: pl.DataFrame, plan: list, batch: Batch) -> tuple[pl.DataFrame, pl.DataFrame]:
        """Rows a cheap rule flags (checked exactly by every rule), and rows holding 外字/trap characters
        (checked by the character rules): the only rows that get more than the cheap pass."""
        first = [
            check.first_pass.fill_null(False).alias(f"__c{i}")
            for i, (_it, check) in enumerate(plan)
            if not check.special
        ]
        recs = (
            frame.lazy().select("__rec", *first).filter(pl.any_horizontal(pl.exclude("__rec"))).collect()
            if first
            else frame.select("__rec").clear()
        )
        flagged = frame.join(recs, on="__rec", how="inner") if recs.height else frame.clear()
        special = frame.clear()
        if batch.special_records is None:
            special = frame
        elif batch.special_records.size:
            special = frame.join(
                pl.DataFrame({"__rec": batch.special_records}, schema={"__rec": pl.Int64}), on="__rec", how="semi"
            )
        return flagged, special

    def _normalise(self, frame: pl.DataFrame, spec: FileSpec) -> pl.DataFrame:
        if self.dialect.format != "fixed":
            return frame  # the CSV reader already turns empty fields into nulls
        strip = " \u3000" if self.dialect.pad == "space" else None
        exprs = []
        for name in spec.names:
            c = pl.col(name).str.strip_chars_end(strip) if strip else pl.col(name)
            exprs.append(pl.when(c != "").then(c).alias(name))
        return frame.with_columns(exprs)

    def _cell_errors(
        self, spec: FileSpec, plan: list, flagged: pl.DataFrame, special: pl.DataFrame, file: str
    ) -> tuple[pl.DataFrame, pl.DataFrame | None]:
        """Exact rules on the flagged rows, character rules on the special rows → one long table."""
        hits = pl.concat(
            [
                self._exact_hits(self._flagged_checks(plan, flagged), flagged),
                self._exact_hits([(i, it, c.rule, c.exact) for i, (it, c) in enumerate(plan) if c.special], special),
            ]
        )
        gaiji_rows = None
        pending = hits.filter(pl.col("rule") == _PENDING)
        errs = hits.filter(pl.col("rule") != _PENDING)
        if pending.height:
            unmapped, gaiji_rows = self._gaiji(pending.select("record", "line", "byte_offset", "value", "item"), file)
            errs = pl.concat([errs, unmapped.select(errs.columns)])
        errs = self._relabel(errs, spec)
        return errs.with_columns(pl.lit(file).alias("file")), gaiji_rows

    @staticmethod
    def _flagged_checks(plan: list, flagged: pl.DataFrame) -> list[tuple[int, Item, str, pl.Expr]]:
        """The exact test of each rule on the rows its first pass flagged (``__c{i}`` columns). A rule without a
        cheap pass was exact already; a cheap pass never passes an invalid value, so a rule whose cheap pass
        flagged no row has no failure and is not evaluated at all."""
        if flagged.height == 0:
            return []
        any_flag = flagged.select(pl.col(r"^__c\d+$").any()).row(0, named=True)
        out = []
        for i, (it, check) in enumerate(plan):
            if check.special or not any_flag[f"__c{i}"]:
                continue
            flag = pl.col(f"__c{i}")
            out.append((i, it, check.rule, flag if check.cheap is None else flag & check.exact.fill_null(False)))
        return out

    def _exact_hits(self, checks_: list[tuple[int, Item, str, pl.Expr]], rows: pl.DataFrame) -> pl.DataFrame:
        if rows.height == 0 or not checks_:
            return pl.DataFrame(schema=ISSUE_SCHEMA)
        flags = (
            rows.lazy()
            .select(
                "__rec", "__line", "__off", *[expr.fill_null(False).alias(f"__f{i}") for i, _it, _rule, expr in checks_]
            )
            .collect()
        )
        meta = pl.DataFrame(
            {
                "__k": [f"__f{i}" for i, _it, _rule, _e in checks_],
                "item": [it.name for _i, it, _rule, _e in checks_],
                "rule": [rule for _i, _it, rule, _e in checks_],
                "message": [_message(it, rule, self.layout, self.dialect) for _i, it, rule, _e in checks_],
            }
        )
        hits = (
            flags.unpivot(index=["__rec", "__line", "__off"], variable_name="__k", value_name="__hit")
            .filter(pl.col("__hit"))
            .join(meta, on="__k")
        )
        if hits.height == 0:
            return pl.DataFrame(schema=ISSUE_SCHEMA)
        items = sorted(set(hits["item"]))
        values = (
            rows.join(hits.select("__rec").unique(), on="__rec", how="semi")
            .select("__rec", *items)
            .unpivot(index="__rec", variable_name="item", value_name="value")
        )
        return hits.join(values, on=["__rec", "item"], how="left").select(
            pl.col("__rec").alias("record"),
            pl.col("__line").alias("line"),
            pl.col("__off").alias("byte_offset"),
            "item",
            "rule",
            "value",
            "message",
        )

    def _gaiji(self, cells: pl.DataFrame, file: str) -> tuple[pl.DataFrame, pl.DataFrame]:
        """Cells holding private-use characters in items that allow 外字: every character must be in the
        mapping. Mapped ones are returned with their provenance; a cell with an unmapped one is an error
        naming each unmapped character, its code point, vendor code and position."""
        pua = pua_class(self.dialect.encoding)
        chars = cells.with_columns(pl.col("value").str.extract_all(pua).alias("__ch")).explode("__ch")
        mapped = pl.col("__ch").replace_strict(self.gaiji, default=None, return_dtype=pl.String)
        bad_cells = chars.filter(mapped.is_null()).select("record", "item").unique()
        ok = chars.join(bad_cells, on=["record", "item"], how="anti")
        keys = list(self.gaiji)
        ok_rows = ok.select(
            pl.lit(file).alias("file"),
            "line",
            "item",
            pl.col("__ch").alias("char"),
            pl.col("__ch").replace_strict({k: codepoint(k) for k in keys}, default=None).alias("codepoint"),
            pl.col("__ch")
            .replace_strict({k: sjis_code(k) for k in keys}, default=None, return_dtype=pl.String)
            .alias("vendor_code"),
            mapped.alias("mapped_to"),
        )
        rows_err = []
        cls = re.compile(pua)
        for rec, line, off, value, item in cells.join(bad_cells, on=["record", "item"], how="semi").iter_rows():
            missing = [(m.start(), m.group()) for m in cls.finditer(value) if m.group() not in self.gaiji]
            where = ", ".join(
                f"{codepoint(ch)}{f'({sjis_code(ch)})' if sjis_code(ch) else ''} {pos + 1}文字目" for pos, ch in missing
            )
            rows_err.append((rec, line, off, item, "gaiji-unmapped", value, f"外字対応表にない外字: {where}"))
        errs = pl.DataFrame(rows_err, schema=ISSUE_SCHEMA, orient="row")
        return errs, ok_rows.cast(GAIJI_SCHEMA)

    def _relabel(self, errs: pl.DataFrame, spec: FileSpec) -> pl.DataFrame:
        """A typed cell that fails because of a trap or a 外字 gets the character error instead."""
        if errs.height == 0:
            return errs
        pua = pua_class(self.dialect.encoding)
        gaiji_items = [it.name for it in spec.items if it.gaiji]
        keys = list(self.gaiji)
        has_trap = pl.col("value").str.contains(TRAP_CLASS).fill_null(False) & pl.lit(checks_traps(self.dialect))
        has_pua = pl.col("value").str.contains(pua).fill_null(False)
        unmapped = pl.col("value").str.extract_all(pua).list.eval(~pl.element().is_in(keys)).list.any()
        rule = (
            pl.when(pl.col("rule").is_in(["encoding-trap", "gaiji-not-allowed", "gaiji-unmapped"]))
            .then(pl.col("rule"))
            .when(has_trap)
            .then(pl.lit("encoding-trap"))
            .when(has_pua & ~pl.col("item").is_in(gaiji_items))
            .then(pl.lit("gaiji-not-allowed"))
            .when(has_pua & unmapped.fill_null(False))
            .then(pl.lit("gaiji-unmapped"))
            .otherwise(pl.col("rule"))
        )
        out = errs.with_columns(rule.alias("new_rule"))
        changed = pl.col("new_rule") != pl.col("rule")
        msg = (
            pl.when(changed & (pl.col("new_rule") == "encoding-trap"))
            .then(pl.lit(_message(spec.items[0], "encoding-trap", self.layout, self.dialect)))
            .when(changed & (pl.col("new_rule") == "gaiji-not-allowed"))
            .then(pl.lit(_message(spec.items[0], "gaiji-not-allowed", self.layout, self.dialect)))
            .when(changed)
            .then(pl.lit("外字対応表にない外字を含みます"))
            .otherwise(pl.col("message"))
        )
        return out.with_columns(msg.alias("message"), pl.col("new_rule").alias("rule")).drop("new_rule")

    def _one_per_cell(self, errs: pl.DataFrame, batch: Batch) -> pl.DataFrame:
        rank = {r: i for i, r in enumerate(CELL_RULES)}
        errs = errs.with_columns(pl.col("rule").replace_strict(rank, default=len(rank)).alias("__rank"))
        if batch.bad_cells:
            bad = pl.DataFrame(batch.bad_cells, schema={"record": pl.Int64, "item": pl.String}, orient="row")
            enc = errs.filter(pl.col("rule") == "encoding")
            errs = pl.concat(
                [enc, errs.filter(pl.col("rule") != "encoding").join(bad, on=["record", "item"], how="anti")]
            )
        cell = errs.filter(pl.col("item").is_not_null()).sort("__rank").unique(["record", "item"], keep="first")
        return pl.concat([errs.filter(pl.col("item").is_null()), cell]).drop("__rank")

    # ---- row rules
    def _row_rules(self, spec: FileSpec, frame: pl.DataFrame, file: str) -> pl.DataFrame:
        """Per-row rules: a cheap pass over every row in one select, exact rules on the flagged rows."""
        checks = [c for rule in spec.rules for c in self._row_checks(spec, rule)]
        if not checks:
            return pl.DataFrame(schema=ERROR_SCHEMA)
        flagged = (
            frame.lazy()
            .select(
                "__rec", *[cheap.fill_null(False).alias(f"__r{i}") for i, (_r, _n, cheap, _e, _m) in enumerate(checks)]
            )
            .filter(pl.any_horizontal(pl.exclude("__rec")))
            .select("__rec")
            .collect()
        )
        if flagged.height == 0:
            return pl.DataFrame(schema=ERROR_SCHEMA)
        sub = frame.join(flagged, on="__rec", how="semi")
        return pl.concat(
            [self._rule_hits(sub, rule, name, exact, file, msg) for rule, name, _cheap, exact, msg in checks]
        )

    def _row_checks(self, spec: FileSpec, rule: Rule) -> list[tuple[Rule, str, pl.Expr, pl.Expr, str]]:
        """(rule, item, cheap flag, exact flag, message) for a required_if or date_order rule."""
        if rule.type == "required_if":
            msg = f"{_cond_text(rule.when)} のとき必須です"
            return [
                (rule, n, _cond(rule.when) & pl.col(n).is_null(), _cond(rule.when) & pl.col(n).is_null(), msg)
                for n in rule.items
            ]
        if rule.type != "date_order":
            return []
        out = []
        when = _cond(rule.when) if rule.when else pl.lit(True)
        for a, b in zip(rule.items, rule.items[1:], strict=False):
            ymd = {}
            for name in (a, b):
                it = spec.item(name)
                _fail, ymd[name] = checks.date_exprs(
                    pl.col(name),
                    it.date_style or self.dialect.date_style,
                    unknown_allowed=it.unknown_allowed,
                    non_calendar_allowed=it.non_calendar_allowed,
                )
            # YYYYMMDD and GYYMMDD both sort chronologically as integers: compare those first
            raw = [
                pl.col(n).str.replace_all("[-/]", "") if self.dialect.date_style == "seireki-sep" else pl.col(n)
                for n in (a, b)
            ]
            cheap = when & (raw[0].cast(pl.Int64, strict=False) > raw[1].cast(pl.Int64, strict=False))
            out.append((rule, b, cheap, when & (ymd[a] > ymd[b]), f"「{b}」が「{a}」より前の日付です"))
        return out

    def _rule_hits(
        self, frame: pl.DataFrame, rule: Rule, item: str, expr: pl.Expr, file: str, message: str
    ) -> pl.DataFrame:
        rule_code = rule.type.replace("_", "-")
        return frame.filter(expr.fill_null(False)).select(
            pl.lit(file).alias("file"),
            pl.col("__rec").alias("record"),
            pl.col("__line").alias("line"),
            pl.col("__off").alias("byte_offset"),
            pl.lit(item).alias("item"),
            pl.lit(rule_code).alias("rule"),
            pl.col(item).alias("value"),
            pl.lit(f"[{rule.id}] {message}").alias("message"),
        )

    # ---- cross-record rules
    def _cross_record(self, states: list[_FileState], warnings: list[str]) -> list[pl.DataFrame]:
        by_name = {s.spec.name: s for s in states}
        kept = {s.spec.name: s.kept() for s in states}
        out: list[pl.DataFrame] = []
        for state in states:
            spec, df, file = state.spec, kept[state.spec.name], state.summary.file
            if df.height == 0:
                continue
            lazy = df.lazy()
            if spec.primary_key:  # duplicates are reported once here and ignored by the other rules
                df = df.with_columns(_first_distinct(df, list(spec.primary_key)).alias("__first"))
                out.append(self._primary_key(spec, df, file))
                lazy = df.lazy().filter(pl.col("__first"))
            for ref in spec.references:
                if ref.file not in by_name:
                    warnings.append(f"{file}: 参照先「{ref.file}」が指定されていないため参照チェックを省略しました")
                    continue
                out.append(_foreign_key(lazy, ref, kept[ref.file], file))
            for rule in spec.rules:
                if rule.type == "group_count":
                    out.append(_group_count(lazy, rule, file))
                elif rule.type == "sequence":
                    out.append(_sequence(lazy, rule, file))
                elif rule.type == "unique":
                    out.append(_unique(lazy, rule, file))
        return out

    def _primary_key(self, spec: FileSpec, df: pl.DataFrame, file: str) -> pl.DataFrame:
        key = list(spec.primary_key)
        complete = pl.all_horizontal(pl.col(k).is_not_null() for k in key)
        dup = df.filter(complete & ~pl.col("__first"))
        return dup.select(
            pl.lit(file).alias("file"),
            pl.col("__rec").alias("record"),
            pl.col("__line").alias("line"),
            pl.col("__off").alias("byte_offset"),
            pl.lit("+".join(key)).alias("item"),
            pl.lit("primary-key").alias("rule"),
            pl.concat_str([pl.col(k) for k in key], separator="+").alias("value"),
            pl.lit(f"主キー({'+'.join(key)})が重複しています").alias("message"),
        )

    # ---- result
    def _result(
        self, states: list[_FileState], errors: list[pl.DataFrame], gaiji: list[pl.DataFrame], warnings: list[str]
    ) -> ValidationResult:
        errs = (
            pl.concat([e.select(list(ERROR_SCHEMA)).cast(ERROR_SCHEMA) for e in errors])
            if errors
            else pl.DataFrame(schema=ERROR_SCHEMA)
        )
        errs = self._mask_sensitive(errs)
        order = {s.summary.file: i for i, s in enumerate(states)}
        errs = (
            errs.with_columns(pl.col("file").replace_strict(order, default=0).alias("__f"))
            .sort(["__f", "line", "record", "item"], nulls_last=False)
            .drop("__f")
        )
        for s in states:
            mine = errs.filter(pl.col("file") == s.summary.file)
            s.summary.errors = mine.height
            s.summary.records_with_errors = mine.filter(pl.col("record") >= 0)["record"].n_unique()
        gj = pl.concat(gaiji) if gaiji else pl.DataFrame(schema=GAIJI_SCHEMA)
        return ValidationResult(self.layout.name, self.dialect, [s.summary for s in states], errs, gj, warnings)

    def _mask_sensitive(self, errs: pl.DataFrame) -> pl.DataFrame:
        sensitive = {it.name for f in self.layout.files for it in f.items if it.sensitive}
        if errs.height == 0:
            return errs
        masked = [
            (
                _mask(v)
                if item in sensitive
                else (_MYNUMBER_RUN.sub("*" * 12, v) if v is not None and item is None else v)
            )
            for item, v in zip(errs["item"].to_list(), errs["value"].to_list(), strict=True)
        ]
        return errs.with_columns(pl.Series("value", masked, dtype=pl.String))


def _cond(cond: Condition | None) -> pl.Expr:
    if cond is None:
        return pl.lit(True)
    c = pl.col(cond.item)
    if cond.values is not None:
        expr = c.is_in(list(cond.values))
        return ~expr & c.is_not_null() if cond.negate else expr
    return c.is_not_null() if cond.present else c.is_null()


def _cond_text(cond: Condition | None) -> str:
    if cond is None:
        return ""
    if cond.values is not None:
        return f"「{cond.item}」が {'/'.join(cond.values)} {'以外' if cond.negate else ''}"
    return f"「{cond.item}」が{'設定されている' if cond.present else '空'}"


def _error_select(file: str, item: str, rule: str, value: pl.Expr, message: pl.Expr | str) -> list[pl.Expr]:
    msg = pl.lit(message) if isinstance(message, str) else message
    return [
        pl.lit(file).alias("file"),
        pl.col("__rec").alias("record"),
        pl.col("__line").alias("line"),
        pl.col("__off").alias("byte_offset"),
        pl.lit(item).alias("item"),
        pl.lit(rule).alias("rule"),
        value.cast(pl.String).alias("value"),
        msg.alias("message"),
    ]


def _first_distinct(df: pl.DataFrame, key: list[str]) -> pl.Series:
    """Exact ``is_first_distinct`` of the key, cheap in memory: hash the key to 64 bits, and compare the
    real values only among rows whose hashes repeat."""
    h = df.select(pl.struct(key).hash().alias("h"))["h"]
    maybe = h.is_duplicated()
    first = pl.Series(np.ones(df.height, dtype=bool))
    idx = np.flatnonzero(maybe.to_numpy())
    if idx.size:
        exact = df[idx.tolist()].select(pl.struct(key).is_first_distinct())
        first = first.scatter(idx, exact.to_series())
    return first


def _foreign_key(df: pl.LazyFrame, ref, target: pl.DataFrame, file: str) -> pl.DataFrame:
    items, tgt = list(ref.items), list(ref.target)
    keys = target.lazy().select([pl.col(t).cast(pl.String).alias(i) for t, i in zip(tgt, items, strict=True)])
    complete = pl.all_horizontal(pl.col(i).is_not_null() for i in items)
    missing = (
        df.select("__rec", "__line", "__off", *[pl.col(i).cast(pl.String) for i in items])
        .join(keys, on=items, how="anti")
        .filter(complete)
    )
    value = pl.concat_str([pl.col(i) for i in items], separator="+")
    return missing.select(
        _error_select(file, items[0], "foreign-key", value, f"参照先「{ref.file}」({'+'.join(tgt)})に存在しない値です")
    ).collect()


def _group_count(df: pl.LazyFrame, rule: Rule, file: str) -> pl.DataFrame:
    needed = sorted(rule.touched_items())
    df = df.select("__rec", "__line", "__off", *needed)
    if rule.latest_key:  # each key's row with the highest order: its current snapshot
        order = pl.col(rule.latest_order).cast(pl.Int64, strict=False)
        df = df.filter(order == order.max().over(list(rule.latest_key)))
    if rule.where:
        df = df.filter(_cond(rule.where).fill_null(False))
    group = list(rule.group_by)
    complete = pl.all_horizontal(pl.col(g).is_not_null() for g in group)
    agg = (
        df.filter(complete)
        .group_by(group)
        .agg(
            _cond(rule.count).fill_null(False).sum().alias("__c"),
            pl.col("__line").min().alias("__line"),
            pl.col("__rec").sort_by("__line").first().alias("__rec"),
            pl.col("__off").sort_by("__line").first().alias("__off"),
        )
    )
    bad = pl.lit(False)
    if rule.min is not None:
        bad = bad | (pl.col("__c") < rule.min)
    if rule.max is not None:
        bad = bad | (pl.col("__c") > rule.max)
    want = f"{rule.min}" if rule.min == rule.max else f"{rule.min if rule.min is not None else 0}〜{rule.max or ''}"
    msg = pl.format(
        f"[{rule.id}] {'+'.join(group)} {{}} で「{_cond_text(rule.count)}」の件数が {{}} です(期待 {want})",
        pl.concat_str([pl.col(g).cast(pl.String) for g in group], separator="+"),
        pl.col("__c"),
    )
    value = pl.concat_str([pl.col(g).cast(pl.String) for g in group], separator="+")
    item = rule.count.item if rule.count else group[0]
    return agg.filter(bad).select(_error_select(file, item, "group-count", value, msg)).collect()


def _sequence(df: pl.LazyFrame, rule: Rule, file: str) -> pl.DataFrame:
    """Per group, the item must run start, start+1, …: checked with aggregates (count, min, max, distinct);
    only groups that fail are sorted to find their first row out of sequence."""
    group = list(rule.group_by)
    seq = pl.col(rule.item).cast(pl.Int64, strict=False)
    d = df.select("__rec", "__line", "__off", *group, rule.item).filter(
        seq.is_not_null() & pl.all_horizontal(pl.col(g).is_not_null() for g in group)
    )
    bad_groups = (
        d.group_by(group)
        .agg(pl.len().alias("__n"), seq.min().alias("__lo"), seq.max().alias("__hi"), seq.n_unique().alias("__u"))
        .filter(
            (pl.col("__lo") != rule.start)
            | (pl.col("__hi") != rule.start + pl.col("__n") - 1)
            | (pl.col("__u") != pl.col("__n"))
        )
        .select(group)
    )
    rows = d.join(bad_groups, on=group, how="semi").with_columns(seq.alias("__seq")).sort([*group, "__seq"])
    rows = rows.with_columns((pl.int_range(pl.len()).over(group) + rule.start).alias("__want"))
    bad = rows.filter(pl.col("__seq") != pl.col("__want")).group_by(group, maintain_order=True).first()
    msg = pl.format(
        f"[{rule.id}] {'+'.join(group)} {{}} の{rule.item}が連番になっていません({{}} の位置に {{}})",
        pl.concat_str([pl.col(g).cast(pl.String) for g in group], separator="+"),
        pl.col("__want"),
        pl.col("__seq"),
    )
    return bad.select(_error_select(file, rule.item, "sequence", pl.col(rule.item), msg)).collect()


def _unique(df: pl.LazyFrame, rule: Rule, file: str) -> pl.DataFrame:
    items = list(rule.items)
    if rule.where:
        df = df.filter(_cond(rule.where).fill_null(False))
    complete = pl.all_horizontal(pl.col(i).is_not_null() for i in items)
    dup = df.filter(complete).sort("__line").filter(~pl.struct(items).is_first_distinct())
    value = pl.concat_str([pl.col(i).cast(pl.String) for i in items], separator="+")
    return dup.select(_error_select(file, items[0], "unique", value, f"[{rule.id}] 値が重複しています")).collect()


__all__ = ["CELL_RULES", "RULE_TITLES", "FileSummary", "ValidationResult", "Validator"]

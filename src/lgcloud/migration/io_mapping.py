"""The ``juki`` layout ⇄ the residents registry, as polars expressions (no I/O).

Values travel in a *canonical* form between the two: the item's text as read (fixed-length padding
stripped, empty → null, vendor 外字 replaced by their MJ glyphs) with dates as 西暦 ``YYYYMMDD`` (``00`` for
不詳 parts). :func:`person_to_registry` maps canonical items to registry columns; :func:`person_from_registry`
derives canonical items back from the columns. Import keeps, per history row, every item whose derived
value differs from the source (:func:`extras_json`) — items the registry has no column for, zero-padded
numbers, 不詳 forms — and export applies them over the derived values (:func:`apply_extras`). So an export
re-imported and exported again is byte-identical, and no source item is ever lost.

Always recomputed, never kept: 最新フラグ (from the history) and the household file's summary items
(世帯主, 世帯員数, 住所: from the members' current rows), unless the registry has nothing to derive them from.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

import polars as pl

from lgcloud.layout.checks import ERAS
from lgcloud.layout.dialect import Dialect
from lgcloud.layout.model import FileSpec, Layout, load_layout
from lgcloud.residents import keys

STATUS = {"1": "住民", "2": "転出", "3": "死亡", "9": "消除"}
REMOVAL_ALIASES = {"国内転出": "1", "国外転出": "1", "異動の取消し（減）": "6", "異動の取消し(減)": "6"}
#: Items never kept as extras: derived from other rows at export.
ALWAYS_DERIVED = {"最新フラグ"}
HOUSEHOLD_DERIVED = ("世帯主宛名番号", "世帯主氏名", "世帯員数", "住所_町字コード", "住所")
FLAG_TRUE, FLAG_FALSE = "1", "0"
ADDRESS_PARTS = ("住所_都道府県", "住所_市区郡町村名", "住所_町字", "住所_番地号表記")


@lru_cache(maxsize=8)
def cached_layout(name: str) -> Layout:
    """Layouts are immutable data; parse each YAML once per process."""
    return load_layout(name)


@dataclass(frozen=True)
class Tenant:
    """The municipality the data belongs to (its code and names derive 市区町村コード and 住所 parts)."""

    lg_code: str
    prefecture: str = ""
    name: str = ""


# ------------------------------------------------------------------------------------------- dates


def date_items(spec: FileSpec) -> dict[str, str | None]:
    return {it.name: it.date_style for it in spec.items if it.type == "date"}


def _canonical_int(col: pl.Expr, style: str) -> pl.Expr:
    """A valid date as the dialect writes it → 西暦 YYYYMMDD integer (0 for 年月日不詳)."""
    if style == "seireki-sep":
        return col.str.replace_all("[-/]", "").cast(pl.Int64, strict=False)
    x = col.cast(pl.Int64, strict=False)
    if style == "seireki":
        return x
    era, yy, md = x // 1_000_000, (x // 10000) % 100, x % 10000
    base = pl.lit(None, dtype=pl.Int64)
    for code, (_name, b, _first, _last) in ERAS.items():
        base = pl.when(era == code).then(b).otherwise(base)
    return pl.when((yy == 0) & (md == 0)).then(0).otherwise((base + yy) * 10000 + md)


def to_canonical_dates(frame: pl.DataFrame, spec: FileSpec, dialect: Dialect) -> pl.DataFrame:
    exprs = [
        _canonical_int(pl.col(n), s or dialect.date_style).cast(pl.String).str.zfill(8).alias(n)
        for n, s in date_items(spec).items()
    ]
    return frame.with_columns(exprs)


def _format_date(col: pl.Expr, style: str) -> pl.Expr:
    if style == "seireki":
        return col
    if style == "seireki-sep":
        return pl.concat_str([col.str.slice(0, 4), col.str.slice(4, 2), col.str.slice(6, 2)], separator="-")
    x = col.cast(pl.Int64, strict=False)
    y, m, d = x // 10000, (x // 100) % 100, x % 100
    lo = y * 10000 + pl.max_horizontal(m, 1) * 100 + pl.max_horizontal(d, 1)
    era = pl.lit(None, dtype=pl.Int64)
    base = pl.lit(None, dtype=pl.Int64)
    for code, (_name, b, first, last) in ERAS.items():
        hit = (lo >= first) & (lo <= last)
        era = pl.when(hit).then(code).otherwise(era)
        base = pl.when(hit).then(b).otherwise(base)
    width = 1 if style == "wareki1" else 2
    text = pl.concat_str(
        [
            era.cast(pl.String).str.zfill(width),
            (y - base).cast(pl.String).str.zfill(2),
            (x % 10000).cast(pl.String).str.zfill(4),
        ]
    )
    return pl.when(x == 0).then(pl.lit("0" * (width + 6))).otherwise(text)


def from_canonical_dates(frame: pl.DataFrame, spec: FileSpec, dialect: Dialect) -> pl.DataFrame:
    return frame.with_columns(
        [_format_date(pl.col(n), s or dialect.date_style).alias(n) for n, s in date_items(spec).items()]
    )


def _days_in_month(y: pl.Expr, m: pl.Expr) -> pl.Expr:
    leap = ((y % 4 == 0) & (y % 100 != 0)) | (y % 400 == 0)
    return (
        pl.when(m == 2).then(pl.when(leap).then(29).otherwise(28)).when(m.is_in([4, 6, 9, 11])).then(30).otherwise(31)
    )


def flex_date(name: str) -> tuple[pl.Expr, pl.Expr]:
    """Canonical date item → (best-effort date, 不詳/暦外 wording or null when exact)."""
    x = pl.col(name).cast(pl.Int64, strict=False)
    y, m, d = x // 10000, (x // 100) % 100, x % 100
    yc, mc = y.clip(1, 9999), m.clip(1, 12)
    dim = _days_in_month(yc, mc)
    exact = (y > 0) & (m >= 1) & (m <= 12) & (d >= 1) & (d <= dim)
    # every branch is evaluated: build dates from clamped parts only
    value = (
        pl.when(y.is_null() | (y <= 0))
        .then(None)
        .when(m == 0)
        .then(pl.date(yc, 1, 1))
        .when(d == 0)
        .then(pl.date(yc, mc, 1))
        .otherwise(pl.date(yc, mc, d.clip(1, dim)))
    )
    ys, ms, ds = y.cast(pl.String), m.cast(pl.String), d.cast(pl.String)
    text = (
        pl.when(x.is_null() | exact)
        .then(None)
        .when(y == 0)
        .then(pl.lit("年月日不詳"))
        .when(m == 0)
        .then(pl.concat_str([ys, pl.lit("年月日不詳")]))
        .when(d == 0)
        .then(pl.concat_str([ys, pl.lit("年"), ms, pl.lit("月日不詳")]))
        .otherwise(pl.concat_str([ys, pl.lit("年"), ms, pl.lit("月"), ds, pl.lit("日")]))
    )
    return value, text


def plain_date(name: str) -> pl.Expr:
    value, text = flex_date(name)
    return pl.when(text.is_null()).then(value)


def date_to_canonical(value: str, text: str | None = None) -> pl.Expr:
    """Registry date (+ wording) → canonical YYYYMMDD string."""
    from_value = pl.col(value).dt.strftime("%Y%m%d")  # one formatting pass (years are 4 digits, zero-padded)
    if text is None:
        return from_value
    t = pl.col(text)
    full = t.str.extract_groups(r"^(\d{1,4})年(\d{1,2})月(\d{1,2})日$")
    ym = t.str.extract_groups(r"^(\d{1,4})年(\d{1,2})月日不詳$")
    yo = t.str.extract(r"^(\d{1,4})年月日不詳$", 1)

    def ymd(y: pl.Expr, m: pl.Expr, d: pl.Expr) -> pl.Expr:
        return pl.concat_str([y.str.zfill(4), m.str.zfill(2), d.str.zfill(2)])

    return (
        pl.when(t.is_null())
        .then(from_value)
        .when(t == "年月日不詳")
        .then(pl.lit("00000000"))
        .when(full.struct.field("1").is_not_null())
        .then(ymd(full.struct.field("1"), full.struct.field("2"), full.struct.field("3")))
        .when(ym.struct.field("1").is_not_null())
        .then(ymd(ym.struct.field("1"), ym.struct.field("2"), pl.lit("0")))
        .when(yo.is_not_null())
        .then(ymd(yo, pl.lit("0"), pl.lit("0")))
        .otherwise(from_value)
    )


# ------------------------------------------------------------------------------------------- codes


def code_labels(layout: Layout, table: str) -> dict[str, str]:
    return dict(layout.code_tables[table].values)


def _fullwidth_parens(label: str) -> str:
    return label.replace("(", "（").replace(")", "）")


def reason_labels(layout: Layout) -> dict[str, str]:
    """異動事由コード → the registry's reason wording (full-width brackets, as residents writes them)."""
    return {c: _fullwidth_parens(v) for c, v in code_labels(layout, "異動事由").items()}


def reason_class(code: pl.Expr) -> pl.Expr:
    head = code.str.slice(0, 1)
    return pl.when(head == "0").then(pl.lit("記載")).when(head == "1").then(pl.lit("消除")).otherwise(pl.lit("修正"))


def _label(col: str, mapping: dict[str, str]) -> pl.Expr:
    return pl.col(col).replace_strict(mapping, default=None, return_dtype=pl.String)


def _code(col: str, mapping: dict[str, str], aliases: dict[str, str] | None = None) -> pl.Expr:
    inverse = {v: k for k, v in mapping.items()} | (aliases or {})
    return pl.col(col).replace_strict(inverse, default=None, return_dtype=pl.String)


def _flag(col: str) -> pl.Expr:
    return pl.when(pl.col(col) == FLAG_TRUE).then(True).when(pl.col(col) == FLAG_FALSE).then(False)


def _flag_text(col: str) -> pl.Expr:
    return pl.when(pl.col(col)).then(pl.lit(FLAG_TRUE)).when(pl.col(col).not_()).then(pl.lit(FLAG_FALSE))


def _split_name(col: str) -> tuple[pl.Expr, pl.Expr]:
    c = pl.col(col)
    pos = c.str.find("[ \u3000]")
    sei = pl.when(pos.is_null()).then(c).otherwise(c.str.slice(0, pos))
    mei = pl.when(pos.is_not_null()).then(c.str.slice(pos + 1).str.strip_chars(" \u3000"))
    return sei, pl.when(mei != "").then(mei)


# ------------------------------------------------------------------------------------ person file


def person_to_registry(items: pl.DataFrame, layout: Layout) -> pl.DataFrame:
    """Canonical person items → registry columns (staging shape, without search keys and extras)."""
    zoku = code_labels(layout, "続柄")
    zoku_parts = [_label(f"続柄コード{i}", zoku) for i in range(1, 5)]
    ido_date, ido_text = flex_date("異動年月日")
    cols: list[pl.Expr] = [
        pl.col("宛名番号").alias("atena_no"),
        pl.col("履歴番号").cast(pl.Int64).alias("rireki_no"),
        _label("異動事由コード", reason_labels(layout)).alias("ido_reason"),
        reason_class(pl.col("異動事由コード")).alias("ido_reason_class"),
        ido_date.alias("ido_date"),
        ido_text.alias("ido_date_text"),
        plain_date("処理年月日").alias("shori_date"),
        plain_date("届出年月日").alias("todokede_date"),
        plain_date("通知年月日").alias("notice_date"),
        pl.coalesce(ido_date, plain_date("処理年月日")).alias("valid_from"),
        pl.col("世帯番号").alias("setai_no"),
        pl.col("住民種別").alias("kind"),
        _label("住民状態", STATUS).alias("status"),
        pl.col("氏名").alias("shimei"),
        pl.col("氏名_フリガナ").alias("shimei_kana"),
        _flag("氏名_フリガナ確認状況").alias("shimei_kana_confirmed"),
        pl.col("氏名_外国人ローマ字").alias("alpha_name"),
        pl.col("旧氏").alias("kyushi"),
        pl.col("旧氏_フリガナ").alias("kyushi_kana"),
        _flag("旧氏_フリガナ確認状況").alias("kyushi_kana_confirmed"),
        pl.col("通称").alias("tsusho"),
        pl.col("通称_フリガナ").alias("tsusho_kana"),
        pl.col("性別").alias("sex"),
        pl.coalesce(pl.col("続柄表記"), pl.concat_str(zoku_parts, separator="の", ignore_nulls=True)).alias("zokugara"),
        pl.col("世帯主氏名").alias("head_name"),
        pl.col("記載順位").cast(pl.Int64, strict=False).alias("household_order"),
        pl.col("本籍").alias("honseki"),
        pl.col("筆頭者").alias("hittosha"),
        pl.concat_str([pl.col(n) for n in ADDRESS_PARTS], ignore_nulls=True).alias("address"),
        pl.col("住所_町字コード").alias("address_code"),
        pl.col("住所_方書").alias("katagaki"),
        pl.col("住所_郵便番号").alias("postal_code"),
        plain_date("届出年月日").alias("notified_on"),
        pl.col("転入前住所").alias("prev_address"),
        pl.col("転入前住所_郵便番号").alias("prev_postal_code"),
        pl.col("住民票コード").alias("juminhyo_code"),
        pl.col("個人番号").alias("mynumber"),
        _flag("選挙人名簿登録有無").alias("elector"),
        _flag("国保資格有無").alias("kokuho"),
        _flag("後期高齢資格有無").alias("kouki"),
        _flag("介護資格有無").alias("kaigo"),
        pl.col("基礎年金番号").alias("pension_no"),
        pl.col("年金資格種別").alias("pension_kind"),
        pl.concat_str(
            [pl.col("児童手当受給開始年月").str.slice(0, 4), pl.col("児童手当受給開始年月").str.slice(4)], separator="-"
        ).alias("child_allowance_from"),
        _flag("成年被後見人該当有無").alias("adult_guardianship"),
        _label("消除の事由", code_labels(layout, "消除事由")).alias("removal_reason"),
        plain_date("転出予定年月日").alias("move_out_planned_on"),
        pl.col("転出先住所").alias("move_out_to"),
        plain_date("転出年月日").alias("move_out_on"),
        pl.col("備考").alias("remarks"),
    ]
    for item, column in (
        ("生年月日", "birth_date"),
        ("住民となった年月日", "became_resident_on"),
        ("住所を定めた年月日", "address_set_on"),
        ("消除年月日", "removed_on"),
    ):
        value, text = flex_date(item)
        cols += [value.alias(column), text.alias(f"{column}_text")]
    return items.select(cols)


def person_from_registry(reg: pl.DataFrame, layout: Layout, tenant: Tenant) -> pl.DataFrame:
    """Registry columns (+ ``latest``) → canonical person items, as far as they can be derived."""
    zoku = code_labels(layout, "続柄")
    z = pl.col("zokugara")
    direct = _code("zokugara", zoku)
    parts = z.str.split("の")
    inverse = {v: k for k, v in zoku.items()}
    zcodes = [
        pl.when(direct.is_not_null())
        .then(direct if i == 0 else None)
        .otherwise(parts.list.get(i, null_on_oob=True).replace_strict(inverse, default=None, return_dtype=pl.String))
        for i in range(4)
    ]
    sei, mei = _split_name("shimei")
    prefix = tenant.prefecture + tenant.name
    addr = pl.col("address")
    reason = pl.col("ido_reason").str.replace_all("（", "(", literal=True).str.replace_all("）", ")", literal=True)
    reasons = {v: k for k, v in code_labels(layout, "異動事由").items()}
    out = {
        "市区町村コード": pl.lit(tenant.lg_code),
        "宛名番号": pl.col("atena_no"),
        "履歴番号": pl.col("rireki_no").cast(pl.String),
        "最新フラグ": _flag_text("latest"),
        "世帯番号": pl.col("setai_no"),
        "住民種別": pl.col("kind"),
        "住民状態": _code("status", STATUS),
        "住民票コード": pl.col("juminhyo_code"),
        "個人番号": pl.col("mynumber"),
        "異動事由コード": reason.replace_strict(reasons, default=None, return_dtype=pl.String),
        "異動年月日": date_to_canonical("ido_date", "ido_date_text"),
        "届出年月日": date_to_canonical("todokede_date"),
        "処理年月日": date_to_canonical("shori_date"),
        "通知年月日": date_to_canonical("notice_date"),
        "記載の事由": pl.lit(None, dtype=pl.String),
        "記載年月日": pl.lit(None, dtype=pl.String),
        "消除の事由": _code("removal_reason", code_labels(layout, "消除事由"), REMOVAL_ALIASES),
        "消除年月日": date_to_canonical("removed_on", "removed_on_text"),
        "消除の届出年月日": pl.lit(None, dtype=pl.String),
        "氏名": pl.col("shimei"),
        "氏": sei,
        "名": mei,
        "氏名_フリガナ": pl.col("shimei_kana"),
        "氏名_フリガナ確認状況": _flag_text("shimei_kana_confirmed"),
        "旧氏": pl.col("kyushi"),
        "旧氏_フリガナ": pl.col("kyushi_kana"),
        "旧氏_フリガナ確認状況": _flag_text("kyushi_kana_confirmed"),
        "氏名_外国人ローマ字": pl.col("alpha_name"),
        "通称": pl.col("tsusho"),
        "通称_フリガナ": pl.col("tsusho_kana"),
        "性別": pl.col("sex"),
        "生年月日": date_to_canonical("birth_date", "birth_date_text"),
        "生年月日_不詳フラグ": pl.when(pl.col("birth_date_text").str.contains("不詳"))
        .then(pl.lit(FLAG_TRUE))
        .otherwise(pl.lit(FLAG_FALSE)),
        **{f"続柄コード{i + 1}": zcodes[i] for i in range(4)},
        "続柄表記": z,
        "世帯主氏名": pl.col("head_name"),
        "記載順位": pl.col("household_order").cast(pl.String),
        "住所_市区町村コード": pl.lit(tenant.lg_code),
        "住所_町字コード": pl.col("address_code"),
        "住所_都道府県": pl.lit(tenant.prefecture or None, dtype=pl.String),
        "住所_市区郡町村名": pl.lit(tenant.name or None, dtype=pl.String),
        "住所_町字": pl.when(addr.str.starts_with(prefix)).then(addr.str.slice(len(prefix))).otherwise(addr)
        if prefix
        else addr,
        "住所_番地号表記": pl.lit(None, dtype=pl.String),
        "住所_方書": pl.col("katagaki"),
        "住所_郵便番号": pl.col("postal_code"),
        "住民となった年月日": date_to_canonical("became_resident_on", "became_resident_on_text"),
        "住所を定めた年月日": date_to_canonical("address_set_on", "address_set_on_text"),
        "転入前住所_郵便番号": pl.col("prev_postal_code"),
        "転入前住所": pl.col("prev_address"),
        "本籍": pl.col("honseki"),
        "筆頭者": pl.col("hittosha"),
        "転出予定年月日": date_to_canonical("move_out_planned_on"),
        "転出年月日": date_to_canonical("move_out_on"),
        "転出先住所": pl.col("move_out_to"),
        "選挙人名簿登録有無": _flag_text("elector"),
        "国保資格有無": _flag_text("kokuho"),
        "後期高齢資格有無": _flag_text("kouki"),
        "介護資格有無": _flag_text("kaigo"),
        "年金資格種別": pl.col("pension_kind"),
        "基礎年金番号": pl.col("pension_no"),
        "児童手当受給開始年月": pl.col("child_allowance_from").str.replace_all("-", "", literal=True),
        "成年被後見人該当有無": _flag_text("adult_guardianship"),
        "備考": pl.col("remarks"),
    }
    return reg.select([_as_text(e).alias(n) for n, e in out.items()])


def _as_text(expr: pl.Expr) -> pl.Expr:
    text = expr.cast(pl.String)
    return pl.when(text != "").then(text)


# ----------------------------------------------------------------------------------- foreign file


def foreign_to_registry(items: pl.DataFrame, layout: Layout) -> pl.DataFrame:
    period = [
        pl.col(f"在留期間等_{u}").cast(pl.Int64, strict=False).fill_null(0).cast(pl.String) + pl.lit(u)
        for u in ("年", "月", "日")
    ]
    any_period = pl.any_horizontal([pl.col(f"在留期間等_{u}").is_not_null() for u in ("年", "月", "日")])
    became, became_text = flex_date("外国人住民となった年月日")
    return items.select(
        pl.col("宛名番号").alias("atena_no"),
        pl.col("履歴番号").cast(pl.Int64).alias("rireki_no"),
        pl.col("国籍名等").alias("nationality"),
        _label("法30条45区分", code_labels(layout, "法30条45区分")).alias("foreign_status_kind"),
        _label("在留資格等コード", code_labels(layout, "在留資格")).alias("residence_status"),
        pl.when(any_period).then(pl.concat_str(period)).alias("period_of_stay"),
        plain_date("在留期間の満了の日").alias("stay_expires_on"),
        pl.coalesce(pl.col("在留カード等番号"), pl.col("特別永住者証明書番号")).alias("residence_card_no"),
        became.alias("became_foreign_resident_on"),
        became_text.alias("became_foreign_resident_on_text"),
        plain_date("通称記載年月日").alias("tsusho_recorded_on"),
    )


def foreign_from_registry(reg: pl.DataFrame, layout: Layout) -> pl.DataFrame:
    kinds = code_labels(layout, "法30条45区分")
    kind = _code("foreign_status_kind", kinds)
    period = pl.col("period_of_stay").str.extract_groups(r"^(\d+)年(\d+)月(\d+)日$")
    card = pl.col("residence_card_no")
    out = {
        "宛名番号": pl.col("atena_no"),
        "履歴番号": pl.col("rireki_no").cast(pl.String),
        "国籍等_国名コード": pl.lit(None, dtype=pl.String),
        "国籍名等": pl.col("nationality"),
        "法30条45区分": kind,
        "在留資格等コード": _code("residence_status", code_labels(layout, "在留資格")),
        "在留期間等_年": period.struct.field("1"),
        "在留期間等_月": period.struct.field("2"),
        "在留期間等_日": period.struct.field("3"),
        "在留期間の満了の日": date_to_canonical("stay_expires_on"),
        "在留カード等番号": pl.when(kind != "2").then(card),
        "特別永住者証明書番号": pl.when(kind == "2").then(card),
        "外国人住民となった年月日": date_to_canonical("became_foreign_resident_on", "became_foreign_resident_on_text"),
        "住居地の届出の有無": pl.lit(None, dtype=pl.String),
        "通称記載年月日": date_to_canonical("tsusho_recorded_on"),
        "通称記載市区町村コード": pl.lit(None, dtype=pl.String),
    }
    return reg.select([_as_text(e).alias(n) for n, e in out.items()])


# ------------------------------------------------------------------------------------------ extras


def extras_json(source: pl.DataFrame, derived: pl.DataFrame, names: Iterable[str]) -> pl.Series:
    """Per row, the items whose source value differs from the derived one, as ``{"k": […], "v": {…}}``.

    Only the differing values are JSON-encoded: a row differs in a handful of its ~70 items, and encoding
    every value (then dropping the equal ones) was most of the staging time. One lazy query, so polars
    filters the items in parallel.
    """
    names = [n for n in names if n not in ALWAYS_DERIVED]
    both = (
        source.select(names)
        .rename({n: f"s{i}" for i, n in enumerate(names)})
        .hstack(derived.select(names).rename({n: f"d{i}" for i, n in enumerate(names)}))
        .with_row_index("__row")
        .lazy()
    )
    extras = pl.Series("extras", [None] * source.height, dtype=pl.String)
    if not names:
        return extras
    # concatenated item by item, and a group keeps its rows' order: each row's items come out in layout order
    rows = (
        pl.concat([_differing(both, i, n) for i, n in enumerate(names)])
        .group_by("__row")
        .agg(pl.col("k").str.join(","), pl.col("v").str.join(","))
        .select("__row", pl.concat_str([pl.lit('{"k":['), pl.col("k"), pl.lit('],"v":{'), pl.col("v"), pl.lit("}}")]))
        .collect()
    )
    return extras.scatter(rows["__row"], rows.to_series(1))


def _differing(both: pl.LazyFrame, item: int, name: str) -> pl.LazyFrame:
    """(row, JSON key, ``"name":value`` fragment) of the rows whose item differs from the derived one."""
    s, d = pl.col(f"s{item}"), pl.col(f"d{item}")
    fragment = pl.struct(s.alias(name)).struct.json_encode().str.strip_prefix("{").str.strip_suffix("}")
    return both.filter(s.ne_missing(d)).select(
        "__row", pl.lit(json.dumps(name, ensure_ascii=False)).alias("k"), fragment.alias("v")
    )


def apply_extras(derived: pl.DataFrame, extras: pl.Series) -> pl.DataFrame:
    """Override derived items with the kept source items (``extras`` is aligned with ``derived``)."""
    names = derived.columns
    dtype = pl.Struct({"k": pl.List(pl.String), "v": pl.Struct({n: pl.String for n in names})})
    if extras.null_count() == len(extras):
        return derived
    decoded = extras.cast(pl.String).str.json_decode(dtype).alias("__x")
    frame = derived.with_columns(decoded)
    x = pl.col("__x")
    return frame.select(
        [
            pl.when(x.struct.field("k").list.contains(pl.lit(n)).fill_null(False))
            .then(x.struct.field("v").struct.field(n))
            .otherwise(pl.col(n))
            .alias(n)
            for n in names
        ]
    )


# ------------------------------------------------------------------------------------ search keys


def _mapped(series: pl.Series, fn: Callable[[str | None], str | None]) -> pl.Series:
    uniques = series.drop_nulls().unique().to_list()
    table = {u: fn(u) for u in uniques}
    return series.replace_strict(table, default=None, return_dtype=pl.String)


def search_keys(reg: pl.DataFrame) -> pl.DataFrame:
    """The residents search-key columns, computed once per distinct value (names repeat a lot)."""
    _sei_kana, mei_kana = _split_name("shimei_kana")
    _sei, mei = _split_name("shimei")
    parts = reg.select(
        pl.col("shimei_kana"),
        mei_kana.alias("mei_kana"),
        pl.col("shimei"),
        mei.alias("mei"),
        pl.concat_str([pl.col("kyushi_kana"), pl.col("tsusho_kana")], separator=" ", ignore_nulls=True).alias(
            "alias_kana"
        ),
        pl.concat_str(
            [pl.col("kyushi"), pl.col("tsusho"), pl.col("alpha_name")], separator=" ", ignore_nulls=True
        ).alias("alias"),
        pl.col("address"),
    )
    return pl.DataFrame(
        [
            _mapped(parts["shimei_kana"], keys.kana_key).alias("kana_key"),
            _mapped(parts["mei_kana"], keys.kana_key).alias("kana_mei_key"),
            _mapped(parts["shimei"], keys.name_key).alias("name_key"),
            _mapped(parts["mei"], keys.name_key).alias("name_mei_key"),
            _mapped(parts["alias_kana"], keys.kana_key).alias("alias_kana_key"),
            _mapped(parts["alias"], keys.name_key).alias("alias_key"),
            _mapped(parts["address"], keys.address_key).alias("address_key"),
        ]
    )


# ---------------------------------------------------------------------------------------- helpers


def normalise(frame: pl.DataFrame, spec: FileSpec, dialect: Dialect, gaiji: dict[str, str]) -> pl.DataFrame:
    """Reader strings → canonical items: padding stripped, empty → null, 外字 → MJ glyphs, 西暦 dates."""
    strip = " \u3000" if dialect.format == "fixed" and dialect.pad == "space" else None
    exprs = []
    gaiji_items = {it.name for it in spec.items if it.gaiji}
    keys_, values = list(gaiji), list(gaiji.values())
    for name in spec.names:
        c = pl.col(name).str.strip_chars_end(strip) if strip else pl.col(name)
        if name in gaiji_items and keys_:
            c = c.str.replace_many(keys_, values)
        exprs.append(pl.when(c != "").then(c).alias(name))
    return to_canonical_dates(frame.with_columns(exprs), spec, dialect)

"""Synthetic legacy 住基 files for tests, demos and benchmarks (``lgcloud demo-data generate``).

Everything is vectorised (numpy + polars): names, kana and addresses come from a small pool drawn once with
Faker ja_JP and are then sampled, so a million rows take seconds. No real personal data: 個人番号 and
住民票コード are random numbers with valid check digits.

Output in ``out``:

- ``person.csv`` / ``foreign.csv`` / ``household.csv`` in the ``juki`` layout and the chosen dialect,
- ``gaiji_mapping.csv``: the vendor's 外字 (cp932 user-defined area F040…) → MJ code, in the moji import format,
- ``manifest.csv``: every injected error (file, line, item, rule) — the validator must report exactly these,
- ``generate.json``: options and counts.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import polars as pl
from faker import Faker

from lgcloud.layout.checks import ERAS
from lgcloud.layout.dialect import Dialect, resolve_dialect
from lgcloud.layout.model import Layout, load_layout
from lgcloud.layout.writer import encode, render

DEFAULT_LG_CODE = "131016"  # 千代田区 (a real 全国地方公共団体コード; the residents are synthetic)
#: Vendor 外字: cp932 user-defined code → (the variant it stands for, its MJ code, the base character).
VENDOR_GAIJI = [
    ("F040", "髙", "MJ028902", "高"), ("F041", "﨑", "MJ030196", "崎"), ("F042", "邊", "MJ026200", "辺"),
    ("F043", "邉", "MJ026190", "辺"), ("F044", "齋", "MJ030060", "斎"), ("F045", "齊", "MJ030059", "斉"),
    ("F046", "澤", "MJ016002", "沢"), ("F047", "濵", "MJ016106", "浜"), ("F048", "栁", "MJ013815", "柳"),
    ("F049", "德", "MJ011356", "徳"), ("F04A", "𠮷", "MJ032129", "吉"), ("F04B", "塚", "MJ009215", "塚"),
]
GAIJI_SURNAMES = [("{}橋", "タカハシ", 0), ("山{}", "ヤマザキ", 1), ("渡{}", "ワタナベ", 2), ("渡{}", "ワタナベ", 3),
                  ("{}藤", "サイトウ", 4), ("{}藤", "サイトウ", 5), ("{}田", "サワダ", 6), ("{}田", "ハマダ", 7),
                  ("{}田", "ヤナギダ", 8), ("{}永", "トクナガ", 9), ("{}田", "ヨシダ", 10), ("大{}", "オオツカ", 11)]
UNMAPPED_GAIJI = "\ue700"  # F8 9F…: a user-defined code the vendor file does not map
#: (roman name, kana, ISO 3166 numeric nationality, nationality name)
FOREIGN_NAMES = [
    ("NGUYEN VAN AN", "グエン ヴァン アン", "704", "ベトナム"), ("WANG WEI", "ワン ウェイ", "156", "中国"),
    ("KIM MINJUN", "キム ミンジュン", "410", "韓国"), ("SILVA ANA", "シルヴァ アナ", "076", "ブラジル"),
    ("SANTOS MARIA", "サントス マリア", "608", "フィリピン"), ("SMITH JOHN", "スミス ジョン", "840", "アメリカ合衆国"),
    ("TRAN THI MAI", "チャン ティ マイ", "704", "ベトナム"), ("LI NA", "リ ナ", "156", "中国"),
    ("PARK SEOYEON", "パク ソヨン", "410", "韓国"), ("GARCIA JOSE", "ガルシア ホセ", "840", "アメリカ合衆国"),
]
TODAY = np.datetime64("2026-10-31")


@dataclass
class GenerateOptions:
    rows: int
    out: Path
    encoding: str | None = None  # default: the dialect's (the juki default dialect is cp932)
    errors: float = 0.0
    gaiji: float = 0.0
    seed: int = 0
    dialect: str | None = None  # a dialect name of the juki layout; default: the layout's default
    lg_code: str = DEFAULT_LG_CODE  # the 市区町村コード written: the municipality that will import the files


@dataclass
class GenerateResult:
    files: dict[str, Path]
    mapping: Path
    manifest: Path
    counts: dict[str, int] = field(default_factory=dict)
    injected: dict[str, int] = field(default_factory=dict)


# ----------------------------------------------------------------------------------- pools


def _pools(seed: int) -> dict[str, list]:
    fake = Faker("ja_JP")
    fake.seed_instance(seed)
    return {
        "last": sorted({fake.last_name_pair()[:2] for _ in range(400)}),
        "male": sorted({fake.first_name_male_pair()[:2] for _ in range(400)}),
        "female": sorted({fake.first_name_female_pair()[:2] for _ in range(400)}),
        "addr": [(fake.prefecture(), fake.city(), fake.town(), fake.zipcode()) for _ in range(300)],
        "building": sorted({fake.building_name() for _ in range(200)}),
    }


def _nullable(values: np.ndarray) -> pl.Series:
    """A string array with "" for missing → a String series with nulls."""
    s = pl.Series(values, dtype=pl.String)
    return pl.select(pl.when(s != "").then(s)).to_series()


def _take(pool: list, idx: np.ndarray) -> pl.Series:
    return pl.Series(pool).gather(idx)


def _with_check(kind: str, bodies: np.ndarray, width: int) -> pl.Series:
    """Bodies (int64) → zero-padded strings with the check digit appended (vectorised)."""
    total = np.zeros(bodies.size, dtype=np.int64)
    for n in range(1, width + 1):
        w = (n - 1) % 6 + 2 if kind == "atena" else (n + 1 if n <= 6 else n - 5)
        total += (bodies // 10 ** (n - 1)) % 10 * w
    r = total % 11
    cd = np.where(r <= 1, 0, 11 - r)
    return (pl.Series(bodies).cast(pl.String).str.zfill(width) + pl.Series(cd).cast(pl.String))


def _atena_numbers(start: int, count: int, width: int = 9) -> pl.Series:
    """Sequential 宛名番号/世帯番号 skipping remainder-1 bodies (valid under either tenant policy)."""
    bodies = np.arange(start, start + count * 2, dtype=np.int64)
    total = np.zeros(bodies.size, dtype=np.int64)
    for n in range(1, width + 1):
        total += (bodies // 10 ** (n - 1)) % 10 * ((n - 1) % 6 + 2)
    bodies = bodies[total % 11 != 1][:count]
    return _with_check("atena", bodies, width)


def date_strings(days: np.ndarray, style: str) -> pl.Series:
    """numpy datetime64[D] → the dialect's date text (all-NaT → null)."""
    s = pl.Series(days.astype("datetime64[D]").astype("datetime64[ms]")).cast(pl.Date)
    df = pl.DataFrame({"d": s})
    y, m, d = pl.col("d").dt.year(), pl.col("d").dt.month(), pl.col("d").dt.day()
    mm, dd = m.cast(pl.String).str.zfill(2), d.cast(pl.String).str.zfill(2)
    if style == "seireki":
        expr = pl.concat_str([y.cast(pl.String), mm, dd])
    elif style == "seireki-sep":
        expr = pl.concat_str([y.cast(pl.String), mm, dd], separator="-")
    else:
        ymd = y.cast(pl.Int64) * 10000 + m.cast(pl.Int64) * 100 + d.cast(pl.Int64)
        code, base = pl.lit(None, dtype=pl.Int64), pl.lit(None, dtype=pl.Int64)
        for c, (_n, b, first, _last) in sorted(ERAS.items()):
            code = pl.when(ymd >= first).then(c).otherwise(code)
            base = pl.when(ymd >= first).then(b).otherwise(base)
        width = 1 if style == "wareki1" else 2
        expr = pl.concat_str([code.cast(pl.String).str.zfill(width),
                              (y.cast(pl.Int64) - base).cast(pl.String).str.zfill(2), mm, dd])
    return df.select(expr.alias("d"))["d"]


# -------------------------------------------------------------------------------- people


@dataclass
class _People:
    n_persons: int
    hist: np.ndarray  # history rows per person
    hh: np.ndarray  # household index per person
    member: np.ndarray  # 0 = 世帯主
    hh_size: np.ndarray  # per household
    foreign: np.ndarray  # per person
    removed: np.ndarray  # per person: 0 no, 1 転出, 2 死亡 (at the last history row)


def _people(rows: int, rng: np.random.Generator) -> _People:
    est = rows // 1 + 10
    hist = rng.choice([1, 2, 3, 4], size=est, p=[0.55, 0.3, 0.1, 0.05])
    cum = np.cumsum(hist)
    n = int(np.searchsorted(cum, rows) + 1)
    hist = hist[:n].copy()
    hist[-1] -= int(cum[n - 1] - rows)
    sizes = rng.choice([1, 2, 3, 4, 5], size=n, p=[0.38, 0.28, 0.16, 0.12, 0.06])
    hcum = np.cumsum(sizes)
    n_hh = int(np.searchsorted(hcum, n) + 1)
    sizes = sizes[:n_hh].copy()
    sizes[-1] -= int(hcum[n_hh - 1] - n)
    hh = np.repeat(np.arange(n_hh), sizes)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    member = np.arange(n) - np.repeat(starts, sizes)
    foreign = np.repeat(rng.random(n_hh) < 0.03, sizes)
    removed = np.where((member > 0) & (rng.random(n) < 0.06), rng.choice([1, 2], size=n), 0)
    return _People(n, hist, hh, member, sizes, foreign, removed)


def _dates(p: _People, rng: np.random.Generator) -> dict[str, np.ndarray]:
    head_birth = np.datetime64("1940-01-01") + rng.integers(0, 55 * 365, size=p.hh_size.size)
    birth = head_birth[p.hh].copy()
    spouse = p.member == 1
    birth[spouse] += rng.integers(-5 * 365, 5 * 365, size=int(spouse.sum()))
    child = p.member >= 2
    birth[child] += rng.integers(24 * 365, 40 * 365, size=int(child.sum()))
    birth = np.minimum(birth, TODAY - 400)
    ymd = birth.astype("datetime64[D]")
    day = (ymd - ymd.astype("datetime64[M]")).astype(int)
    birth = np.where(day > 27, ymd - (day - 27), ymd)  # day ≤ 28: stays valid one year earlier
    born_here = child & (rng.random(p.n_persons) < 0.6)
    moved_in = np.datetime64("1990-01-01") + rng.integers(0, 30 * 365, size=p.n_persons)
    became = np.where(born_here, birth, np.maximum(birth, moved_in))
    became = np.minimum(became, TODAY - 30 * 4)
    return {"birth": birth, "became": became, "born_here": born_here}


def _history_frame(p: _People, pools: dict, rng: np.random.Generator, style: str,
                   starts_at: tuple[int, int] = (0, 0), lg_code: str = DEFAULT_LG_CODE) -> pl.DataFrame:
    dates = _dates(p, rng)
    person = np.repeat(np.arange(p.n_persons), p.hist)
    n = person.size
    starts = np.concatenate(([0], np.cumsum(p.hist)[:-1]))
    k = np.arange(n) - np.repeat(starts, p.hist) + 1
    last = k == p.hist[person]
    gaps = rng.integers(30, 1500, size=n)
    gaps[k == 1] = 0
    move = dates["became"][person] + (np.cumsum(gaps) - np.repeat(np.cumsum(gaps)[starts], p.hist))
    move = np.minimum(move, TODAY)
    removed = np.where(last, p.removed[person], 0)
    foreign = p.foreign[person]
    hh = p.hh[person]
    member = p.member[person]
    reason = np.where(k == 1, np.where(dates["born_here"][person], "03", np.where(foreign, "02", "01")),
                      rng.choice(["21", "22", "24"], size=n, p=[0.6, 0.3, 0.1]))
    reason = np.where(removed == 1, "11", np.where(removed == 2, "13", reason))
    ids = {
        "atena": _atena_numbers(100000 + 2 * starts_at[0], p.n_persons),
        "setai": _atena_numbers(500000000 + 2 * starts_at[1], p.hh_size.size),
        "juminhyo": _with_check("juminhyo_code", rng.integers(0, 10**10, size=p.n_persons), 10),
        "mynumber": _with_check("mynumber", rng.integers(10**10, 10**11, size=p.n_persons), 11),
    }
    names = _names(p, pools, rng)
    sex = names["sex"]
    age = ((TODAY - dates["birth"]).astype(int) // 365)[person]
    addr = rng.integers(0, len(pools["addr"]), size=p.hh_size.size)[hh]
    addr_tbl = pools["addr"]
    block = pl.format("{}丁目{}番{}号", pl.Series(rng.integers(1, 9, size=n)), pl.Series(rng.integers(1, 30, size=n)),
                      pl.Series(rng.integers(1, 20, size=n)))
    building = np.where(rng.random(n) < 0.4, rng.integers(0, len(pools["building"]), size=n), -1)
    empty = pl.repeat(None, n, dtype=pl.String, eager=True)
    d = lambda arr: date_strings(arr, style)  # noqa: E731
    rel = np.where(member == 0, "02", np.where(member == 1, np.where(sex[p.hh_size.cumsum()[hh] - p.hh_size[hh]]
                                                                       == "1", "12", "11"), "20"))
    rel_text = {"02": "世帯主", "11": "夫", "12": "妻", "20": "子"}
    head_of = (np.cumsum(p.hh_size) - p.hh_size)[hh]
    frame = pl.DataFrame({
        "市区町村コード": pl.repeat(lg_code, n, eager=True),
        "宛名番号": ids["atena"].gather(person),
        "履歴番号": pl.Series(k).cast(pl.String),
        "最新フラグ": pl.Series(last.astype(np.int8)).cast(pl.String),
        "世帯番号": ids["setai"].gather(hh),
        "住民種別": pl.Series(np.where(foreign, "2", "1")),
        "住民状態": pl.Series(np.where(removed == 1, "2", np.where(removed == 2, "3", "1"))),
        "住民票コード": ids["juminhyo"].gather(person),
        "個人番号": ids["mynumber"].gather(person).zip_with(pl.Series(rng.random(p.n_persons) < 0.92)
                                                          .gather(person), empty),
        "異動事由コード": pl.Series(reason),
        "異動年月日": d(move), "届出年月日": d(move), "処理年月日": d(np.minimum(move + rng.integers(0, 3, n), TODAY)),
        "通知年月日": empty,
        "記載の事由": pl.Series(reason).gather(starts[person]),
        "記載年月日": d(dates["became"][person]),
        "消除の事由": _nullable(np.where(removed == 1, "1", np.where(removed == 2, "2", ""))),
        "消除年月日": d(np.where(removed > 0, move, np.datetime64("NaT"))),
        "消除の届出年月日": d(np.where(removed > 0, move, np.datetime64("NaT"))),
        **{c: names[c].gather(person) for c in ("氏名", "氏", "名", "氏名_フリガナ")},
        "氏名_フリガナ確認状況": pl.repeat("1", n, eager=True),
        "旧氏": empty, "旧氏_フリガナ": empty, "旧氏_フリガナ確認状況": empty,
        "氏名_外国人ローマ字": names["roman"].gather(person),
        "通称": empty, "通称_フリガナ": empty,
        "性別": pl.Series(sex).gather(person),
        "生年月日": d(dates["birth"][person]),
        "生年月日_不詳フラグ": pl.repeat("0", n, eager=True),
        "続柄コード1": pl.Series(rel),
        "続柄コード2": empty, "続柄コード3": empty, "続柄コード4": empty,
        "続柄表記": pl.Series(rel).replace_strict(rel_text),
        "世帯主氏名": names["氏名"].gather(head_of),
        "記載順位": pl.Series(member + 1).cast(pl.String),
        "住所_市区町村コード": pl.repeat(lg_code, n, eager=True),
        "住所_町字コード": pl.Series(addr * 1000 + 1000001).cast(pl.String),
        "住所_都道府県": _take([a[0] for a in addr_tbl], addr),
        "住所_市区郡町村名": _take([a[1] for a in addr_tbl], addr),
        "住所_町字": _take([a[2] for a in addr_tbl], addr),
        "住所_番地号表記": pl.select(block).to_series(),
        "住所_方書": _take([*pools["building"], None], building),
        "住所_郵便番号": _take([a[3] for a in addr_tbl], addr),
        "住民となった年月日": d(dates["became"][person]),
        "住所を定めた年月日": d(move),
        "転入前住所_郵便番号": _take([a[3] for a in addr_tbl], (addr + 7) % len(addr_tbl)).zip_with(
            pl.Series(reason == "01"), empty),
        "転入前住所": pl.Series([f"{a[0]}{a[1]}{a[2]}" for a in addr_tbl]).gather((addr + 7) % len(addr_tbl))
        .zip_with(pl.Series(reason == "01"), empty),
        "本籍": pl.Series([f"{a[0]}{a[1]}1番地" for a in addr_tbl]).gather(addr).zip_with(pl.Series(~foreign), empty),
        "筆頭者": names["氏名"].gather(head_of).zip_with(pl.Series(~foreign), empty),
        "転出予定年月日": d(np.where(removed == 1, move, np.datetime64("NaT"))),
        "転出年月日": d(np.where(removed == 1, move, np.datetime64("NaT"))),
        "転出先住所": _nullable(np.where(removed == 1, "大阪府大阪市北区梅田一丁目1番1号", "")),
        "選挙人名簿登録有無": pl.Series(np.where((age >= 18) & ~foreign, "1", "0")),
        "国保資格有無": pl.Series(np.where(rng.random(n) < 0.25, "1", "0")),
        "後期高齢資格有無": pl.Series(np.where(age >= 75, "1", "0")),
        "介護資格有無": pl.Series(np.where(age >= 65, "1", "0")),
        "年金資格種別": _nullable(np.where((age >= 20) & (age < 60), rng.choice(["1", "2", "3"], size=n), "")),
        "基礎年金番号": pl.Series(rng.integers(10**9, 10**10, size=p.n_persons)).cast(pl.String).gather(person)
        .zip_with(pl.Series(age >= 20), empty),
        "児童手当受給開始年月": _nullable(np.where(age < 15, "202404", "")),
        "成年被後見人該当有無": pl.repeat("0", n, eager=True),
        "備考": empty,
    })
    return frame.with_columns(pl.Series("__person", person), pl.Series("__hh", hh), pl.Series("__k", k),
                              pl.Series("__last", last), pl.Series("__member", member),
                              pl.Series("__foreign", foreign), pl.Series("__hist", p.hist[person]))


def _names(p: _People, pools: dict, rng: np.random.Generator) -> dict:
    n = p.n_persons
    sex = np.where(p.member == 0, np.where(rng.random(n) < 0.7, "1", "2"), rng.choice(["1", "2"], size=n))
    head_sex = sex[(np.cumsum(p.hh_size) - p.hh_size)[p.hh]]
    sex = np.where(p.member == 1, np.where(head_sex == "1", "2", "1"), sex)
    last_i = rng.integers(0, len(pools["last"]), size=p.hh_size.size)[p.hh]
    male_i = rng.integers(0, len(pools["male"]), size=n)
    female_i = rng.integers(0, len(pools["female"]), size=n)
    fam = _take([x[0] for x in pools["last"]], last_i)
    fam_k = _take([x[1] for x in pools["last"]], last_i)
    given = _take([x[0] for x in pools["male"]], male_i).zip_with(pl.Series(sex == "1"),
                                                                 _take([x[0] for x in pools["female"]], female_i))
    given_k = _take([x[1] for x in pools["male"]], male_i).zip_with(pl.Series(sex == "1"),
                                                                   _take([x[1] for x in pools["female"]], female_i))
    fi = rng.integers(0, len(FOREIGN_NAMES), size=p.hh_size.size)[p.hh]
    roman = _take([x[0] for x in FOREIGN_NAMES], fi)
    fmask = pl.Series(p.foreign)
    empty = pl.repeat(None, n, dtype=pl.String, eager=True)
    return {
        "sex": sex,
        "氏名": roman.zip_with(fmask, fam + "\u3000" + given),
        "氏": empty.zip_with(fmask, fam),
        "名": empty.zip_with(fmask, given),
        "氏名_フリガナ": _take([x[1] for x in FOREIGN_NAMES], fi).zip_with(fmask, fam_k + "\u3000" + given_k),
        "roman": roman.zip_with(fmask, empty),
        "foreign_idx": fi,
    }


def _foreign_frame(person: pl.DataFrame, rng: np.random.Generator, style: str) -> pl.DataFrame:
    f = person.filter(pl.col("__foreign"))
    n = f.height
    nat = f["氏名_外国人ローマ字"].replace_strict({x[0]: x[2] for x in FOREIGN_NAMES})
    kind = np.where((nat == "410").to_numpy() & (rng.random(n) < 0.5), "2", "1")
    letters = np.array(list("ABCDEFGHJKLMNPRSTUVWXYZ"))
    # dtypes spelled out: with no foreign resident in the part, the lists are empty (polars would infer Null)
    card = pl.Series([*map("".join, letters[rng.integers(0, len(letters), size=(n, 4))])], dtype=pl.String)
    card = card.str.slice(0, 2) + pl.Series(rng.integers(10**7, 10**8, size=n)).cast(pl.String) + card.str.slice(2, 2)
    expiry = np.datetime64("2027-01-01") + rng.integers(0, 4 * 365, size=n)
    is1, is2 = pl.Series(kind == "1", dtype=pl.Boolean), pl.Series(kind == "2", dtype=pl.Boolean)
    empty = pl.repeat(None, n, dtype=pl.String, eager=True)
    return pl.DataFrame({
        "宛名番号": f["宛名番号"], "履歴番号": f["履歴番号"],
        "国籍等_国名コード": nat,
        "国籍名等": f["氏名_外国人ローマ字"].replace_strict({x[0]: x[3] for x in FOREIGN_NAMES}),
        "法30条45区分": pl.Series(kind, dtype=pl.String),
        "在留資格等コード": pl.Series(rng.choice(["06", "10", "08", "09", "01", "03", "11"], size=n), dtype=pl.String)
        .zip_with(is1, empty),
        "在留期間等_年": pl.Series(rng.integers(1, 6, size=n)).cast(pl.String).zip_with(is1, empty),
        "在留期間等_月": pl.Series(["0"] * n, dtype=pl.String).zip_with(is1, empty),
        "在留期間等_日": pl.Series(["0"] * n, dtype=pl.String).zip_with(is1, empty),
        "在留期間の満了の日": date_strings(expiry, "seireki").zip_with(is1, empty),
        "在留カード等番号": card.zip_with(is1, empty),
        "特別永住者証明書番号": card.zip_with(is2, empty),
        "外国人住民となった年月日": f["住民となった年月日"],
        "住居地の届出の有無": pl.repeat("1", n, eager=True),
        "通称記載年月日": empty, "通称記載市区町村コード": empty,
    }).with_columns(pl.Series("__person", f["__person"]), pl.Series("__k", f["__k"]))


def _household_frame(person: pl.DataFrame) -> pl.DataFrame:
    heads = person.filter((pl.col("__member") == 0) & pl.col("__last")).sort("__hh")
    size = person.filter(pl.col("__last")).group_by("__hh").len().sort("__hh")
    return heads.select(
        "世帯番号", pl.col("宛名番号").alias("世帯主宛名番号"), pl.col("氏名").alias("世帯主氏名"),
        size["len"].cast(pl.String).alias("世帯員数"), "住所_町字コード",
        pl.concat_str(["住所_都道府県", "住所_市区郡町村名", "住所_町字", "住所_番地号表記"]).alias("住所"),
        pl.col("住民となった年月日").alias("世帯構成年月日"), "__hh")


# ----------------------------------------------------------------------------- 外字, errors


def _apply_gaiji(person: pl.DataFrame, rate: float, rng: np.random.Generator) -> pl.DataFrame:
    """Give a share of Japanese households a vendor-外字 surname (all members, all history rows)."""
    if rate <= 0:
        return person
    hh = person["__hh"].to_numpy()
    chosen = (rng.random(int(hh.max()) + 1) < rate)[hh] & ~person["__foreign"].to_numpy()
    which = rng.integers(0, len(GAIJI_SURNAMES), size=int(hh.max()) + 1)[hh]
    pua = [bytes.fromhex(code).decode("cp932") for code, *_ in VENDOR_GAIJI]
    fams = [tpl.format(pua[i]) for tpl, _k, i in GAIJI_SURNAMES]
    kanas = [k for _t, k, _i in GAIJI_SURNAMES]
    fam = pl.Series(fams).gather(which)
    kana = pl.Series(kanas).gather(which)
    mask = pl.Series(chosen)
    return person.with_columns(
        pl.when(mask).then(fam).otherwise(pl.col("氏")).alias("氏"),
        pl.when(mask).then(pl.concat_str([fam, pl.lit("\u3000"), pl.col("名")])).otherwise(pl.col("氏名"))
        .alias("氏名"),
        pl.when(mask).then(pl.concat_str([kana, pl.lit("\u3000"),
                                           pl.col("氏名_フリガナ").str.split("\u3000").list.last()]))
        .otherwise(pl.col("氏名_フリガナ")).alias("氏名_フリガナ"),
    )


@dataclass
class _Injector:
    rule: str
    item: str | None
    eligible: Callable[[pl.DataFrame], pl.Expr]
    apply: Callable[[pl.Expr], pl.Expr] | None = None
    marker: bytes | None = None  # replaced in the encoded bytes (encoding errors, extra fields)
    file: str = "person"


def _injectors(dialect: Dialect) -> list[_Injector]:
    month13 = {"seireki": (4, 6), "seireki-sep": (5, 7), "wareki1": (3, 5), "wareki2": (4, 6)}[dialect.date_style]
    a, b = month13
    year_w = {"seireki": 4, "seireki-sep": 4, "wareki1": 3, "wareki2": 4}[dialect.date_style]
    year_ok = pl.col("生年月日").str.slice(year_w - 2, 2).cast(pl.Int64, strict=False) >= 3
    always = lambda df: pl.lit(True)  # noqa: E731
    resident = lambda df: pl.col("住民状態") == "1"  # noqa: E731
    out = [
        _Injector("required", "氏名", always, lambda c: pl.lit(None, dtype=pl.String)),
        _Injector("type", "選挙人名簿登録有無", always, lambda c: pl.lit("Y")),
        _Injector("date", "生年月日", always, lambda c: c.str.slice(0, a) + pl.lit("13") + c.str.slice(b)),
        _Injector("code", "性別", always, lambda c: pl.lit("7")),
        _Injector("length", "住所_方書", always, lambda c: pl.lit("GRAND MAISON " * 5)),
        _Injector("pattern", "住所_郵便番号", always, lambda c: c.str.replace("-", "")),
        _Injector("check-digit", "住民票コード", resident,
                  lambda c: c.str.slice(0, 10) + ((c.str.slice(10).cast(pl.Int64) + 1) % 10).cast(pl.String)),
        _Injector("check-digit", "個人番号", lambda df: pl.col("個人番号").is_not_null(),
                  lambda c: c.str.slice(0, 11) + ((c.str.slice(11).cast(pl.Int64) + 3) % 10).cast(pl.String)),
        _Injector("range", "記載順位", always, lambda c: pl.lit("0")),
        *_gaiji_injectors(dialect),
        _Injector("encoding", "住所_町字", always, lambda c: pl.lit("\x01") + c, b"\x01"),
        _Injector("required-if", "住民票コード", resident, lambda c: pl.lit(None, dtype=pl.String)),
        _Injector("date-order", "住民となった年月日", lambda df: (pl.col("__k") == 1) & year_ok, None),
        _Injector("record-length" if dialect.format == "fixed" else "field-count", None,
                  lambda df: (pl.col("__hist") == 1) & (pl.col("__member") > 0) & ~pl.col("__foreign"),
                  lambda c: pl.lit("\x03"), b"\x03"),
        _Injector("foreign-key", "世帯番号", lambda df: ~pl.col("__last"), None),
        _Injector("pattern", "在留カード等番号", lambda df: pl.col("在留カード等番号").is_not_null(),
                  lambda c: c.str.slice(0, 9), file="foreign"),
        _Injector("required-if", "在留期間の満了の日", lambda df: pl.col("法30条45区分") == "1",
                  lambda c: pl.lit(None, dtype=pl.String), file="foreign"),
    ]
    if dialect.encoding == "cp932":
        out.append(_Injector("encoding-trap", "住所_町字", always, lambda c: c + pl.lit("\x02"), b"\x02"))
    return out


BAD_BYTE = {"cp932": b"\x85"}
#: Encodings that can carry vendor 外字 (cp932's user-defined area; PUA in UTF-8).
GAIJI_ENCODINGS = ("cp932", "utf-8", "utf-8-sig")


def _gaiji_injectors(dialect: Dialect) -> list[_Injector]:
    if dialect.encoding not in GAIJI_ENCODINGS:
        return []
    return [
        _Injector("gaiji-unmapped", "氏名", lambda df: ~pl.col("__foreign"),
                  lambda c: pl.lit(UNMAPPED_GAIJI) + c.str.slice(1)),
        _Injector("gaiji-not-allowed", "住所_番地号表記", lambda df: pl.lit(True), lambda c: c + pl.lit("\ue001")),
    ]


# ---------------------------------------------------------------------------------- main


PART_ROWS = 250_000  # generate in parts so memory stays flat for any --rows


def generate(options: GenerateOptions, layout: Layout | None = None) -> GenerateResult:
    layout = layout or load_layout("juki")
    dialect = resolve_dialect(layout.dialects, options.dialect, encoding=options.encoding)
    rng = np.random.default_rng(options.seed)
    pools = _pools(options.seed)
    out = Path(options.out)
    out.mkdir(parents=True, exist_ok=True)
    ext = "dat" if dialect.format == "fixed" else "csv"
    paths = {name: out / f"{name}.{ext}" for name in ("person", "foreign", "household")}
    for path in paths.values():
        path.write_bytes(b"")
    counts = dict.fromkeys(paths, 0)
    manifests = []
    starts = (0, 0)
    done = 0
    while done < options.rows or done == 0:
        part = min(PART_ROWS, options.rows - done) if options.rows else 0
        frames = _part(part, pools, rng, dialect, options, starts)
        manifest, markers = _inject(frames, options, dialect, rng)
        first = done == 0
        for name, frame in frames.items():
            data = encode(render(frame, layout.file(name), dialect, header=first and dialect.header), dialect)
            for marker, replacement in markers.get(name, []):
                data = data.replace(marker, replacement)
            with paths[name].open("ab") as fh:
                fh.write(data)
        offsets = {f"{name}.{ext}": counts[name] for name in frames}
        manifests.append(manifest.with_columns(pl.col("line") + pl.col("file").replace_strict(offsets)))
        for name, frame in frames.items():
            counts[name] += frame.height
        starts = (starts[0] + int(frames["person"]["__person"].max() or 0) + 1,
                  starts[1] + int(frames["person"]["__hh"].max() or 0) + 1)
        done += max(part, 1)
    return _finish_output(options, dialect, out, paths, counts, pl.concat(manifests))


def _part(rows: int, pools: dict, rng: np.random.Generator, dialect: Dialect, options: GenerateOptions,
          starts: tuple[int, int]) -> dict[str, pl.DataFrame]:
    people = _people(max(rows, 1), rng)
    person = _history_frame(people, pools, rng, dialect.date_style, starts, options.lg_code)
    if rows == 0:
        person = person.clear()
    if dialect.encoding in GAIJI_ENCODINGS:
        person = _apply_gaiji(person, options.gaiji, rng)
    return {"person": person, "foreign": _foreign_frame(person, rng, dialect.date_style),
            "household": _household_frame(person)}


def _finish_output(options: GenerateOptions, dialect: Dialect, out: Path, paths: dict[str, Path],
                   counts: dict[str, int], manifest: pl.DataFrame) -> GenerateResult:
    mapping = _write_mapping(out)
    manifest_path = out / "manifest.csv"
    manifest = manifest.sort(["file", "line"])
    manifest.write_csv(manifest_path)
    injected = dict(manifest.group_by("rule").len().sort("rule").iter_rows()) if manifest.height else {}
    (out / "generate.json").write_text(json.dumps({
        "options": {**asdict(options), "out": str(options.out)}, "dialect": asdict(dialect),
        "counts": counts, "injected": injected}, ensure_ascii=False, indent=2), encoding="utf-8")
    return GenerateResult(paths, mapping, manifest_path, counts, injected)


def _write_mapping(out: Path) -> Path:
    rows = [{"source_system": "vendor-a", "source_kind": "cp932", "source_code": code, "mj_code": mj,
             "status": "confirmed", "reason": f"{variant}(ベンダー外字 {code})"}
            for code, variant, mj, _b in VENDOR_GAIJI]
    path = out / "gaiji_mapping.csv"
    pl.DataFrame(rows).write_csv(path)
    return path


def _line_numbers(frame: pl.DataFrame, dialect: Dialect) -> np.ndarray:
    first = 2 if dialect.header else 1
    return np.arange(frame.height) + first


def _inject(frames: dict[str, pl.DataFrame], options: GenerateOptions, dialect: Dialect,
            rng: np.random.Generator) -> tuple[pl.DataFrame, dict[str, list[tuple[bytes, bytes]]]]:
    manifest_schema = {"file": pl.String, "line": pl.Int64, "item": pl.String, "rule": pl.String}
    if options.errors <= 0:
        return pl.DataFrame(schema=manifest_schema), {}
    injectors = _injectors(dialect)
    total = max(len(injectors), round(frames["person"].height * options.errors))
    per = max(1, total // (len(injectors) + 3))
    person = frames["person"]
    # whole-row injections first (they add rows): duplicated records
    person, dup_rows = _duplicate(person, per, rng)
    used = np.zeros(person.height, dtype=bool)
    used[dup_rows] = True
    used[dup_rows - 1] = True
    rows: list[dict] = []
    fname = {k: f"{k}.{'dat' if dialect.format == 'fixed' else 'csv'}" for k in frames}
    lines = _line_numbers(person, dialect)
    rows += [{"file": fname["person"], "line": int(lines[i]), "item": "宛名番号+履歴番号", "rule": "primary-key"}
             for i in dup_rows]
    person = _group_errors(person, per, used, rng, rows, fname["person"], lines)
    frames["person"] = person
    markers: dict[str, list[tuple[bytes, bytes]]] = {}
    used_by_file = {"person": used, "foreign": np.zeros(frames["foreign"].height, dtype=bool)}
    for inj in injectors:
        frame = frames[inj.file]
        idx = _pick(frame, inj, used_by_file[inj.file], per, rng)
        if idx.size == 0:
            continue
        used_by_file[inj.file][idx] = True
        frames[inj.file] = _apply(frame, inj, idx, rng, dialect)
        flines = _line_numbers(frames[inj.file], dialect)
        rows += [{"file": fname[inj.file], "line": int(flines[i]), "item": inj.item, "rule": inj.rule}
                 for i in idx]
        if inj.marker:
            bad = {"encoding": BAD_BYTE.get(dialect.encoding, b"\xff"), "encoding-trap": b"\xfd",
                   "record-length": b"  "}.get(inj.rule, dialect.sep.encode())
            markers.setdefault(inj.file, []).append((inj.marker, bad))
    manifest = pl.DataFrame(rows, schema=manifest_schema, orient="row").sort(["file", "line"])
    return manifest, markers


def _pick(frame: pl.DataFrame, inj: _Injector, used: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    ok = frame.select(inj.eligible(frame).fill_null(False).alias("e"))["e"].to_numpy() & ~used
    cand = np.flatnonzero(ok)
    if cand.size == 0:
        return cand
    return np.sort(rng.choice(cand, size=min(count, cand.size), replace=False))


def _apply(frame: pl.DataFrame, inj: _Injector, idx: np.ndarray, rng: np.random.Generator,
           dialect: Dialect) -> pl.DataFrame:
    hit = pl.Series(np.isin(np.arange(frame.height), idx))
    if inj.rule == "date-order":
        birth = pl.col("生年月日")
        year_w = {"seireki": 4, "seireki-sep": 4, "wareki1": 3, "wareki2": 4}[dialect.date_style]
        earlier = birth.str.slice(0, year_w - 2) + (
            (birth.str.slice(year_w - 2, 2).cast(pl.Int64) - 1).cast(pl.String).str.zfill(2)) + birth.str.slice(year_w)
        return frame.with_columns(pl.when(hit).then(earlier).otherwise(pl.col(inj.item)).alias(inj.item))
    if inj.rule == "foreign-key":
        fake = _atena_numbers(900000000 + 2 * int(rng.integers(0, 40_000_000)), len(idx))
        col = frame[inj.item].scatter(idx, fake)
        return frame.with_columns(col)
    target = inj.item or "備考"
    return frame.with_columns(pl.when(hit).then(inj.apply(pl.col(target))).otherwise(pl.col(target)).alias(target))


def _duplicate(person: pl.DataFrame, count: int, rng: np.random.Generator) -> tuple[pl.DataFrame, np.ndarray]:
    """Insert exact copies of ``count`` rows right after their originals; return the copies' positions."""
    src = np.sort(rng.choice(person.height, size=min(count, person.height), replace=False))
    order = np.concatenate((np.arange(person.height), src))
    key = np.concatenate((np.arange(person.height) * 2, src * 2 + 1))
    person = person[order[np.argsort(key, kind="stable")].tolist()]
    shift = np.arange(src.size) + 1
    return person, src + shift


def _group_errors(person: pl.DataFrame, count: int, used: np.ndarray, rng: np.random.Generator, rows: list,
                  file: str, lines: np.ndarray) -> pl.DataFrame:
    """Two 世帯主 in a household (a member's latest row says 02), and a gap in a person's 履歴番号."""
    pos = pl.Series("__pos", np.arange(person.height))
    df = person.with_columns(pos)
    touched_hh = set(df.filter(pl.Series(used))["__hh"].to_list())
    latest = df.filter(pl.col("__last") & (pl.col("住民状態") == "1") & (pl.col("__member") > 0)
                       & ~pl.col("__hh").is_in(list(touched_hh)) & ~pl.col("__foreign"))
    latest = latest.unique("__hh", keep="first", maintain_order=True)
    pick = latest.sample(n=min(count, latest.height), seed=int(rng.integers(1 << 30))) if latest.height else latest
    rel = person["続柄コード1"].scatter(pick["__pos"].to_numpy(), "02") if pick.height else person["続柄コード1"]
    hh_rows = df.filter(pl.col("__hh").is_in(pick["__hh"].to_list()))
    used[hh_rows["__pos"].to_numpy()] = True
    group = hh_rows.filter(pl.col("__last") & (pl.col("住民状態") == "1")).group_by("__hh").agg(pl.col("__pos").min())
    rows += [{"file": file, "line": int(lines[p]), "item": "続柄コード1", "rule": "group-count"}
             for p in group["__pos"]]
    # 履歴番号 gap: the last row of a Japanese person with ≥ 2 rows gets k + 1
    cand = df.filter(pl.col("__last") & (pl.col("__hist") >= 2) & ~pl.col("__foreign")
                     & ~pl.Series(used)).unique("__person", maintain_order=True)
    gap = cand.sample(n=min(count, cand.height), seed=int(rng.integers(1 << 30))) if cand.height else cand
    k = person["履歴番号"].scatter(gap["__pos"].to_numpy(),
                                 (gap["__k"] + 1).cast(pl.String)) if gap.height else person["履歴番号"]
    used[df.filter(pl.col("__person").is_in(gap["__person"].to_list()))["__pos"].to_numpy()] = True
    rows += [{"file": file, "line": int(lines[p]), "item": "履歴番号", "rule": "sequence"} for p in gap["__pos"]]
    return person.with_columns(rel, k)

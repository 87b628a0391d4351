"""Convert ``moji.db`` (from @mandel59/mojidata) once into lgcloud's compact in-memory index.

The index is a gzip-compressed pickle of plain dicts and :class:`MjRecord` tuples, written to
``<cache_dir>/moji/`` with the mojidata version and :data:`FORMAT` in its file name, so a new pin or a
new index layout builds a new file and an existing one is never rebuilt.
"""

from __future__ import annotations

import fcntl
import gzip
import os
import pickle
import sqlite3
import tempfile
import unicodedata
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lgcloud.moji import data_source
from lgcloud.moji.jis import jis0208_chars
from lgcloud.moji.matching_build import build_key_map
from lgcloud.moji.record import MjRecord

#: Bump when the layout or the derivation of the index changes.
FORMAT = 2

#: MJ縮退マップ tables (column 表 of the ``mjsm`` view) in the order of moji.md §3.
SHRINK_TABLES = (
    "JIS包摂規準UCS統合規則",
    "戸籍統一文字情報_親字正字",
    "民一2842号通達別表_誤字俗字正字一覧表_俗字",
    "民一2842号通達別表_誤字俗字正字一覧表_無印",
    "民二5202号通知別表_正字俗字等対照表",
    "法務省告示582号別表第四_一",
    "民一2842号通達別表_誤字俗字正字一覧表_別字",
    "法務省告示582号別表第四_二",
    "読み字形による類推",
    "辞書類等による関連字",
)

_MJI_COLUMNS = (
    "MJ文字図形名, 対応するUCS, 実装したUCS, 実装したMoji_JohoコレクションIVS, 実装したSVS, 対応する互換漢字, "
    "戸籍統一文字番号, 住基ネット統一文字コード, 登記統一文字番号, 入管正字コード, 入管外字コード, 漢字施策, "
    "X0213, X0213_包摂連番, X0213_包摂区分, X0212, 総画数, MJ文字図形バージョン, 大漢和, 備考"
)

#: Independent variant lists that may confirm a merge of two JIS X 0208 characters (moji.md §4 guard).
_STRICT_UNIHAN = (
    "kSemanticVariant",
    "kZVariant",
    "kTraditionalVariant",
    "kSimplifiedVariant",
    "kCompatibilityVariant",
    "kJinmeiyoKanji",
    "kJoyoKanji",
)
_STRICT_KDPV = (
    "jp/old-style",
    "jp/old-style/compat",
    "joyo/variant",
    "jinmei1/variant",
    "jinmei2/variant",
    "hyogai/variant",
    "jisx0213/variant",
    "jisx0212/variant",
    "x0213-x0212/variants",
)


def index_path(cache_dir: Path) -> Path:
    return cache_dir / "moji" / f"mojidata-{data_source.VERSION}-index-v{FORMAT}.pkl.gz"


def _read_records(db: sqlite3.Connection) -> dict[str, MjRecord]:
    readings: dict[str, list[str]] = defaultdict(list)
    for mj, reading in db.execute("SELECT MJ文字図形名, 読み FROM mji_reading ORDER BY rowid"):
        readings[mj].append(reading)
    radicals: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for mj, radical, inner in db.execute("SELECT MJ文字図形名, 部首, 内画数 FROM mji_rsindex ORDER BY rowid"):
        radicals[mj].append((int(radical), int(inner) if str(inner).lstrip("-").isdigit() else 0))
    records: dict[str, MjRecord] = {}
    for row in db.execute(f"SELECT {_MJI_COLUMNS} FROM mji ORDER BY MJ文字図形名"):
        (mj, ucs, impl, ivs, svs, compat, koseki, juki, touki, seiji, gaiji, policy) = row[:12]
        (x0213, rule, inclusion, x0212, strokes, version, daikanwa, note) = row[12:]
        records[mj] = MjRecord(
            mj, ucs, impl, ivs, svs, compat, koseki, juki, touki, seiji, gaiji, policy,
            x0213, inclusion, rule, x0212, strokes, version,
            None if daikanwa is None else str(daikanwa), note,
            tuple(readings.get(mj, ())), tuple(radicals.get(mj, ())),
        )  # fmt: skip
    return records


def _read_shrink(db: sqlite3.Connection) -> dict[str, list[tuple[str, str, str, int]]]:
    """MJ → [(表, 縮退UCS, 縮退X0213, 順位 or ホップ数 or 0)], in table order, then rank, then row order."""
    table_order = {name: i for i, name in enumerate(SHRINK_TABLES)}
    names = {name: name for name in SHRINK_TABLES}  # one shared str object per table name
    rows: list[tuple[int, int, int, str, str, str, str]] = []
    for seq, (mj, ucs, x0213, table, rank, hops) in enumerate(
        db.execute("SELECT MJ文字図形名, 縮退UCS, 縮退X0213, 表, 順位, ホップ数 FROM mjsm")
    ):
        weight = rank if rank is not None else (hops if hops is not None else 0)
        rows.append((table_order[table], weight, seq, mj, names[table], ucs, x0213))
    rows.sort()
    shrink: dict[str, list[tuple[str, str, str, int]]] = defaultdict(list)
    for _order, weight, _seq, mj, table, ucs, x0213 in rows:
        shrink[mj].append((table, ucs, x0213, weight))
    return dict(shrink)


def _read_strict_pairs(db: sqlite3.Connection) -> set[frozenset[str]]:
    pairs: set[frozenset[str]] = set()
    marks = ",".join("?" * len(_STRICT_UNIHAN))
    query = f"SELECT UCS, value FROM unihan_variant WHERE property IN ({marks})"
    for a, b in db.execute(query, _STRICT_UNIHAN):
        pairs.add(frozenset((a, b)))
    for rel in _STRICT_KDPV:
        for a, b in db.execute(f'SELECT subject, object FROM "kdpv_{rel}"'):
            pairs.add(frozenset((a, b)))
    for a, b in db.execute("SELECT 漢字, 康熙字典体 FROM joyo_kangxi"):
        pairs.add(frozenset((a, b)))
    return {pair for pair in pairs if len(pair) == 2}


def _read_ids(db: sqlite3.Connection) -> dict[str, str]:
    """Character → one IDS (the Japanese source if there is one)."""
    ids: dict[str, str] = {}
    for ucs, source, description in db.execute("SELECT UCS, source, IDS FROM ids ORDER BY rowid"):
        if ucs not in ids or "J" in source:
            ids[ucs] = description
    return ids


def _read_radicals(db: sqlite3.Connection) -> tuple[dict[int, str], dict[str, int]]:
    names: dict[int, str] = {}
    numbers: dict[str, int] = {}
    query = "SELECT radical_number, radical_simplified, radical_character, radical_CJKUI FROM radicals"
    for number, simplified, kangxi, unified in db.execute(query):
        if simplified == 0 and unified:
            names[number] = unified
        for char in (kangxi, unified):
            if char and simplified == 0:
                numbers.setdefault(char, number)
    for variant, unified in db.execute("SELECT radical_character, radical_CJKUI FROM radeqv"):
        if unified in numbers:
            numbers.setdefault(variant, numbers[unified])
    return names, numbers


def _char_lookup(db: sqlite3.Connection, records: dict[str, MjRecord]) -> dict[str, str]:
    """Exact text (code point, IVS, SVS, compatibility ideograph) → MJ."""
    by_char: dict[str, str] = {}
    for rec in records.values():
        for text in (rec.implemented_ucs, rec.ivs, rec.svs):
            if text:
                by_char.setdefault(text, rec.mj)
    for mj, ivs in db.execute("SELECT MJ文字図形名, 重複実装したMoji_JohoコレクションIVS FROM mji_duplicated_ivs"):
        by_char.setdefault(ivs, mj)
    for rec in records.values():
        if rec.compat:
            by_char.setdefault(rec.compat, rec.mj)
    return by_char


def _code_indexes(records: dict[str, MjRecord]) -> dict[str, Any]:
    by_juki: dict[str, str] = {}
    by_koseki: dict[str, str] = {}
    by_touki: dict[str, str] = {}
    by_x0213: dict[str, list[str]] = defaultdict(list)
    by_base: dict[str, list[str]] = defaultdict(list)
    for rec in records.values():
        if rec.juki:
            by_juki[rec.juki.upper()] = rec.mj
        if rec.koseki:
            by_koseki[rec.koseki] = rec.mj
        if rec.touki:
            by_touki[rec.touki] = rec.mj
        if rec.x0213:
            by_x0213[rec.x0213].append(rec.mj)
        if rec.ucs:
            by_base[rec.ucs].append(rec.mj)
    for mjs in by_x0213.values():
        mjs.sort(key=lambda mj: (records[mj].x0213_inclusion or 0, records[mj].implemented_ucs is None, mj))
    for base, mjs in by_base.items():
        mjs.sort(key=lambda mj: (records[mj].implemented_ucs != base, mj))
    return {
        "by_juki": by_juki,
        "by_koseki": by_koseki,
        "by_touki": by_touki,
        "by_x0213": dict(by_x0213),
        "by_base": dict(by_base),
    }


def convert(db_path: Path) -> dict[str, Any]:
    """Read ``moji.db`` and return the index as plain Python data."""
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        records = _read_records(db)
        shrink = _read_shrink(db)
        strict_pairs = _read_strict_pairs(db)
        radical_names, radical_numbers = _read_radicals(db)
        index: dict[str, Any] = {
            "meta": _meta(),
            "records": records,
            "by_char": _char_lookup(db, records),
            **_code_indexes(records),
            "shrink": shrink,
            "shrink_notes": dict(db.execute("SELECT MJ文字図形名, 参考情報 FROM mjsm_note")),
            "ids": _read_ids(db),
            "radical_names": radical_names,
            "radical_numbers": radical_numbers,
        }
    finally:
        db.close()
    key_map, key_sources = build_key_map(records, shrink, strict_pairs, jis0208_chars())
    index["key_map"] = key_map
    index["key_sources"] = key_sources
    return index


def _meta() -> dict[str, str]:
    return {
        "package": data_source.PACKAGE,
        "version": data_source.VERSION,
        "integrity": data_source.INTEGRITY,
        "mji": data_source.MJI_VERSION,
        "mjsm": data_source.MJSM_VERSION,
        "format": str(FORMAT),
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "unicode": unicodedata.unidata_version,
    }


def write_index(index: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6, mtime=0) as out:
            pickle.dump(index, out, protocol=pickle.HIGHEST_PROTOCOL)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def build_index(cache_dir: Path, *, force: bool = False) -> tuple[Path, bool]:
    """Make sure the index for the pinned version exists. Returns (path, built_now)."""
    path = index_path(cache_dir)
    if path.exists() and not force:
        return path, False
    moji_dir = cache_dir / "moji"
    moji_dir.mkdir(parents=True, exist_ok=True)
    with (moji_dir / ".build.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # parallel test workers / make jobs: one builds, the others wait
        if path.exists() and not force:
            return path, False
        tarball = data_source.fetch_tarball(moji_dir)
        with tempfile.TemporaryDirectory(prefix="lgcloud-moji-", dir=moji_dir) as work:
            db_path = data_source.extract_db(tarball, Path(work) / "moji.db")
            write_index(convert(db_path), path)
        _remove_stale(moji_dir, keep={path.name, tarball.name})
    return path, True


def _remove_stale(moji_dir: Path, keep: set[str]) -> None:
    """Indexes of other pins or formats, and other tarballs, are no longer used."""
    for old in [*moji_dir.glob("mojidata-*-index-v*.pkl.gz"), *moji_dir.glob("mandel59-mojidata-*.tgz")]:
        if old.name not in keep:
            old.unlink(missing_ok=True)

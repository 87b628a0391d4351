"""Export: a municipality's whole registry (all history, 除票) — or the changes since a cursor — in a layout.

Each history row becomes one person record (and one 外国人 record for foreign residents); households come
from ``residents_households`` with their summary items recomputed from the members' current rows. Items
are derived from the registry columns and then overridden by what the import kept (``migration_extras``),
so export → import into an empty municipality → export is byte-identical.

``--since CURSOR`` (差分): rows written by 異動 records with ``ido_id`` > CURSOR; the manifest gives the
next cursor. Characters the target encoding cannot hold: ``error`` (refuse, naming row, item and character),
``degrade`` (縮退 via moji, listed in ``degraded.csv``) or ``vendor`` (the source system's own 外字 code via
the municipality's mapping; anything still unencodable is an error).
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from lgcloud.db import Database
from lgcloud.db.base import utcnow
from lgcloud.errors import LgcloudError
from lgcloud.layout import Dialect, EncodeError, FileSpec, Layout, resolve_dialect, write_frame
from lgcloud.layout.reader import prefetched, release_memory
from lgcloud.migration import io_mapping as mapping
from lgcloud.migration import jobs, staging
from lgcloud.migration.export_extras import apply_extras
from lgcloud.migration.models import STAGING_FOREIGN_COLUMNS, STAGING_PERSON_COLUMNS
from lgcloud.migration.staging import bulk_plans, is_postgresql, read_frame

UNENCODABLE = ("error", "degrade", "vendor")
#: Persons per chunk: an export holds one chunk's history rows in memory, never the whole municipality's.
CHUNK_PERSONS = 25_000
#: 世帯 per range of the household file, written one range at a time with its members read back from disk.
HOUSEHOLD_RANGE = 100_000


def _type_name(t: object) -> str:
    return getattr(t, "__name__", type(t).__name__)


DATE_COLUMNS = {n for n, t in STAGING_PERSON_COLUMNS + STAGING_FOREIGN_COLUMNS if _type_name(t) == "Date"} | {
    "ido_date",
    "shori_date",
    "todokede_date",
    "notice_date",
}
BOOL_COLUMNS = {n for n, t in STAGING_PERSON_COLUMNS if _type_name(t) == "Boolean"}
DEGRADED_SCHEMA = {
    "file": pl.String,
    "key": pl.String,
    "item": pl.String,
    "char": pl.String,
    "codepoint": pl.String,
    "replacement": pl.String,
    "how": pl.String,
}


class ExportError(LgcloudError):
    code = "migration-export-invalid"


@dataclass
class ExportRequest:
    lg_code: str
    out: Path
    layout: str = "juki"
    dialect: str | None = None
    encoding: str | None = None
    since: int | None = None
    unencodable: str = "error"
    source_system: str | None = None
    actor: str = "cli"
    chunk_persons: int = CHUNK_PERSONS
    household_range: int = HOUSEHOLD_RANGE


@dataclass
class ExportResult:
    files: dict[str, Path]
    manifest: Path
    cursor: int
    counts: dict[str, int]
    degraded: int = 0
    degraded_file: Path | None = None
    sha256: dict[str, str] = field(default_factory=dict)


# ------------------------------------------------------------------------------------------ reading


def _typed(frame: pl.DataFrame) -> pl.DataFrame:
    exprs = []
    for name in frame.columns:
        c = pl.col(name)
        if name in DATE_COLUMNS:
            exprs.append(c.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False).alias(name))
        elif name in BOOL_COLUMNS or name == "latest":
            exprs.append(
                pl.when(c.is_in(["1", "t", "true", "True"]))
                .then(True)
                .when(c.is_in(["0", "f", "false", "False"]))
                .then(False)
                .alias(name)
            )
        elif name in ("rireki_no", "household_order", "ido_id"):
            exprs.append(c.cast(pl.Int64, strict=False).alias(name))
    return frame.with_columns(exprs) if exprs else frame


def _in_chunk(column: str, params: dict[str, Any]) -> str:
    """The predicate of one chunk's 宛名番号 range (``lo`` ≤ column < ``hi``; an absent end is open)."""
    return "".join(
        f" AND {column} {op} :{name}" for name, op in (("lo", ">="), ("hi", "<")) if params.get(name) is not None
    )


HISTORY_COLUMNS = "h.atena_no, h.rireki_no, h.ido_id, " + ", ".join(
    f"h.{n}" for n, _ in STAGING_PERSON_COLUMNS + STAGING_FOREIGN_COLUMNS
)


def _history_sql(params: dict[str, Any], columns: str = HISTORY_COLUMNS) -> str:
    where = "h.lg_code = :lg" + (" AND h.ido_id > :since" if params.get("since") is not None else "")
    return f"SELECT {columns} FROM residents_history h WHERE {where}" + _in_chunk("h.atena_no", params)


def _ido_sql(params: dict[str, Any]) -> str:
    """The 異動 records of one chunk's history rows, chosen by the parameters :func:`_ido_params` set."""
    cols = "ido_id, reason AS ido_reason, ido_date, ido_date_text, shori_date, todokede_date, notice_date"
    if "ido_ids" in params:
        return f"SELECT {cols} FROM residents_ido WHERE lg_code = :lg AND ido_id = ANY(CAST(:ido_ids AS bigint[]))"
    if "ido_lo" in params:
        return f"SELECT {cols} FROM residents_ido WHERE lg_code = :lg AND ido_id BETWEEN :ido_lo AND :ido_hi"
    return f"SELECT {cols} FROM residents_ido WHERE lg_code = :lg AND ido_id IN ({_history_sql(params, 'h.ido_id')})"


def _ido_params(postgresql: bool, ido_ids: pl.Series) -> dict[str, Any]:
    """How :func:`_ido_sql` reads a chunk's 異動 records on PostgreSQL: the span of their numbers when it is
    dense (a migrated municipality: one index range, the rows outside it dropped by the join), else the
    list (one index lookup each, ~3.5 µs). SQLite, without array parameters, takes a subquery."""
    if not postgresql or ido_ids.len() == 0:
        return {}
    lo, hi = int(ido_ids.min()), int(ido_ids.max())  # type: ignore[arg-type]
    if hi - lo < 4 * ido_ids.len():
        return {"ido_lo": lo, "ido_hi": hi}
    return {"ido_ids": ido_ids.sort().to_list()}


def _extras_sql(params: dict[str, Any]) -> str:
    if params.get("since") is None:
        return "SELECT atena_no, rireki_no, part, items FROM migration_extras WHERE lg_code = :lg" + _in_chunk(
            "atena_no", params
        )
    return """SELECT e.atena_no, e.rireki_no, e.part, e.items FROM migration_extras e
        JOIN residents_history h ON h.lg_code = e.lg_code AND h.atena_no = e.atena_no AND h.rireki_no = e.rireki_no
        WHERE e.lg_code = :lg AND h.ido_id > :since""" + _in_chunk("e.atena_no", params)


def _current_sql(params: dict[str, Any]) -> str:
    return """SELECT atena_no, rireki_no AS current_rireki_no, setai_no AS current_setai_no,
        status AS current_status FROM residents_current WHERE lg_code = :lg""" + _in_chunk("atena_no", params)


EXTRA_PARTS = {"person": "x_person", "foreign": "x_foreign", "noforeign": "x_noforeign"}


def _chunks(session: Session, lg_code: str, size: int) -> tuple[list[tuple[str | None, str | None]], int]:
    """The 宛名番号 ranges of the chunks, in the database's order of 宛名番号, and the number of persons.

    Every person has a current row, so cutting the current rows every ``size`` persons covers them all; the
    first and last ranges are open, so a history row is in exactly one chunk whatever its 宛名番号.
    """
    rows = session.execute(
        text("""SELECT atena_no, n FROM (
                  SELECT atena_no, ROW_NUMBER() OVER (ORDER BY atena_no) AS n, COUNT(*) OVER () AS total
                  FROM residents_current WHERE lg_code = :lg) t
                WHERE (n - 1) % :size = 0 OR n = total ORDER BY n"""),
        {"lg": lg_code, "size": size},
    ).all()
    persons = int(rows[-1][1]) if rows else 0
    cuts = [str(atena) for atena, n in rows if (n - 1) % size == 0 and n > 1]
    return list(zip([None, *cuts], [*cuts, None], strict=True)), persons


def _registry(session: Session | Connection, params: dict[str, Any]) -> pl.DataFrame:
    """One chunk's history rows with their 異動 record, ``latest``, the current row's 世帯 and status
    (``current_*``) and the kept items (``x_*``), by 宛名番号 and 履歴番号.

    Single-table reads joined and sorted here: one SQL join of them makes PostgreSQL hash and sort the wide
    history rows. Only the chunk's 異動 records are read, so memory does not grow with the municipality.
    Sorting here is by code point, as the ``C`` collations do; 宛名番号 are digits, which every collation
    orders the same way.
    """
    hist = _typed(read_frame(session, _history_sql(params), params))
    chosen = params | _ido_params(is_postgresql(session), hist["ido_id"].unique())
    ido = _typed(read_frame(session, _ido_sql(chosen), chosen))
    current = read_frame(session, _current_sql(params), params)
    extras = read_frame(session, _extras_sql(params), params)
    reg = hist.join(ido, on="ido_id", how="inner", maintain_order="left")
    reg = reg.join(current, on="atena_no", how="left", maintain_order="left")
    for part, column in EXTRA_PARTS.items():
        kept = extras.filter(pl.col("part") == part).select("atena_no", "rireki_no", pl.col("items").alias(column))
        kept = kept.with_columns(pl.col("rireki_no").cast(pl.Int64))
        reg = reg.join(kept, on=["atena_no", "rireki_no"], how="left", maintain_order="left")
    reg = reg.sort("atena_no", "rireki_no")
    latest = pl.col("current_rireki_no").cast(pl.Int64, strict=False) == pl.col("rireki_no")
    return reg.with_columns(latest.fill_null(False).alias("latest"))


def person_items(reg: pl.DataFrame, layout: Layout, tenant: mapping.Tenant) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(person items, foreign items) in canonical form for registry rows read by :func:`_registry`."""
    derived = mapping.person_from_registry(reg, layout, tenant)
    person = apply_extras(derived, reg["x_person"])
    has_foreign = ((reg["kind"] == "2") & reg["x_noforeign"].is_null()) | reg["x_foreign"].is_not_null()
    sub = reg.filter(has_foreign)
    foreign = apply_extras(mapping.foreign_from_registry(sub, layout), sub["x_foreign"])
    return person, foreign


#: Which 世帯 :func:`_household_sql` reads: all, those a 差分 touches, or those an import job staged. Applied to
#: the households and to the members read (a hash join would otherwise read every resident of the municipality).
HOUSEHOLD_FILTERS = {
    "all": "",
    "since": " AND {col} IN (SELECT DISTINCT setai_no FROM residents_history WHERE lg_code = :lg AND ido_id > :since)",
    "job": " AND {col} IN (SELECT setai_no FROM migration_staging_household WHERE lg_code = :lg AND job_id = :job)",
}


def _household_sql(which: str) -> str:
    where = HOUSEHOLD_FILTERS[which]
    return f"""
        SELECT hh.setai_no, m.atena_no, m.shimei, m.zokugara, m.household_order, m.address, m.address_code,
          m.katagaki, x.items AS x_household
        FROM residents_households hh
        LEFT JOIN (SELECT c.setai_no, h.atena_no, h.shimei, h.zokugara, h.household_order, h.address,
                     h.address_code, h.katagaki
                   FROM residents_current c JOIN residents_history h ON h.lg_code = c.lg_code
                     AND h.atena_no = c.atena_no AND h.rireki_no = c.rireki_no
                   WHERE c.lg_code = :lg AND c.status = '住民'{where.format(col="c.setai_no")}) m
          ON m.setai_no = hh.setai_no
        LEFT JOIN migration_household_extras x ON x.lg_code = hh.lg_code AND x.setai_no = hh.setai_no
        WHERE hh.lg_code = :lg{where.format(col="hh.setai_no")}"""


HOUSEHOLDS_SQL = """SELECT hh.setai_no, x.items AS x_household FROM residents_households hh
    LEFT JOIN migration_household_extras x ON x.lg_code = hh.lg_code AND x.setai_no = hh.setai_no
    WHERE hh.lg_code = :lg"""
MEMBER_COLUMNS = ("atena_no", "shimei", "zokugara", "household_order", "address", "address_code", "katagaki")


def _households(session: Session, params: dict[str, Any], which: str) -> pl.DataFrame:
    """The rows of :func:`_household_sql`, sorted as :func:`_sorted_households` does."""
    return _sorted_households(session, _typed(read_frame(session, _household_sql(which), params)))


def _members(reg: pl.DataFrame) -> pl.DataFrame:
    """The household members among one chunk's registry rows: each resident's current row (status 住民)."""
    resident = pl.col("latest") & (pl.col("current_status") == "住民")
    return reg.filter(resident).select(pl.col("current_setai_no").alias("setai_no"), *MEMBER_COLUMNS)


class _RangeSpill:
    """Rows kept on disk by 世帯番号 range (``setai_no``; Arrow streams in ``folder``) until they are worked on
    range by range: memory holds one range of 世帯, never the whole municipality.

    ``cuts`` are the first 世帯番号 of every range after the first, by code point: the order in which polars
    compares and assigns the rows, and in which SQL reads with ``COLLATE "C"`` (SQLite compares bytes), so a
    row always lands in its 世帯's range whatever the database's collation.
    """

    def __init__(self, cuts: list[str], folder: Path, name: str) -> None:
        self.cuts = cuts
        self.ranges = list(zip([None, *cuts], [*cuts, None], strict=True))
        self.paths = [folder / f"{name}-{i}.arrows" for i in range(len(self.ranges))]
        self._writers: dict[int, pa.ipc.RecordBatchStreamWriter] = {}
        self._schema: pa.Schema | None = None

    def add(self, rows: pl.DataFrame) -> None:
        rows = rows.filter(pl.col("setai_no").is_not_null())
        ranges = pl.Series(self.cuts, dtype=pl.String).search_sorted(rows["setai_no"], side="right")
        parts = rows.with_columns(ranges.alias("__range")).partition_by("__range", as_dict=True, include_key=False)
        for (i,), part in parts.items():
            table = part.to_arrow()
            self._schema = self._schema or table.schema
            if i not in self._writers:
                self._writers[i] = pa.ipc.new_stream(str(self.paths[i]), self._schema)
            self._writers[i].write_table(table.cast(self._schema))

    def add_file(self, path: Path) -> None:
        """Every row of a :func:`~lgcloud.migration.staging.query_to_file` file, read block by block."""
        for block in staging.iter_file(path):
            self.add(block)

    def close(self) -> None:
        for writer in self._writers.values():
            writer.close()
        self._writers.clear()

    def __enter__(self) -> _RangeSpill:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def read(self, i: int, columns: list[str]) -> pl.DataFrame:
        """Range ``i``'s rows (string ``columns`` when it has none)."""
        self.close()
        if self.paths[i].exists():
            return pl.read_ipc_stream(self.paths[i])
        return pl.DataFrame(schema=dict.fromkeys(columns, pl.String))


def _spilled_households(session: Session, params: dict[str, Any], members: _RangeSpill) -> Iterator[pl.DataFrame]:
    """Each range's 世帯 with their members (the rows :func:`_household_sql` gives), in order. Joining the
    members met in the person chunks here rather than in SQL spares PostgreSQL a second pass over the history."""
    for i, (lo, hi) in enumerate(members.ranges):
        bound = params | {"lo": lo, "hi": hi}
        households = read_frame(session, HOUSEHOLDS_SQL + _in_chunk(_by_code_point(session, "hh.setai_no"), bound),
                                bound)
        rows = households.join(members.read(i, ["setai_no", *MEMBER_COLUMNS]), on="setai_no", how="left",
                               maintain_order="left")
        yield _sorted_households(session, rows.select("setai_no", *MEMBER_COLUMNS, "x_household"))


def _by_code_point(session: Session, column: str) -> str:
    """``column`` compared by code point, as polars compares (SQLite's default already is)."""
    return f'{column} COLLATE "C"' if is_postgresql(session) else column


def _household_cuts(session: Session, lg_code: str, size: int) -> list[str]:
    """The first 世帯番号 of every range of ``size`` 世帯 after the first, by code point."""
    return list(session.execute(
        text(f"""SELECT setai_no FROM (
                   SELECT setai_no, ROW_NUMBER() OVER (ORDER BY {_by_code_point(session, "setai_no")}) AS n
                   FROM residents_households WHERE lg_code = :lg) t
                 WHERE n > 1 AND (n - 1) % :size = 0 ORDER BY n"""),
        {"lg": lg_code, "size": size},
    ).scalars())


def _sorted_households(session: Session, rows: pl.DataFrame) -> pl.DataFrame:
    """By 世帯番号, 記載順位 and 宛名番号, NULLs where the database puts them.

    Sorted here rather than in SQL: PostgreSQL sorts the rows through the collation, polars by code point
    (the same for these digit strings) in a fraction of the time.
    """
    if rows.height == 0:
        return rows
    return rows.sort("setai_no", "household_order", "atena_no", nulls_last=is_postgresql(session))


def household_items(rows: pl.DataFrame, spec: FileSpec, apply: bool = True) -> pl.DataFrame:
    """One row per 世帯: head, member count and address from the resident members' current rows."""
    if rows.height == 0:
        return pl.DataFrame(schema={n: pl.String for n in spec.names})
    rows = rows.with_columns(pl.col("household_order").cast(pl.Int64, strict=False))
    head = pl.col("zokugara") == "世帯主"
    first = rows.group_by("setai_no", maintain_order=True).agg(
        pl.col("atena_no").filter(head).first().alias("世帯主宛名番号"),
        pl.col("shimei").filter(head).first().alias("世帯主氏名"),
        pl.col("atena_no").count().cast(pl.String).alias("世帯員数"),
        pl.col("address_code").filter(head).first().alias("住所_町字コード"),
        pl.col("address").filter(head).first().alias("住所"),
        pl.col("x_household").first().alias("x"),
    )
    derived = first.select(
        pl.col("setai_no").alias("世帯番号"),
        *mapping.HOUSEHOLD_DERIVED,
        pl.lit(None, dtype=pl.String).alias("世帯構成年月日"),
    )
    derived = derived.select([pl.col(n) for n in spec.names])
    if not apply:
        return derived
    extra = first["x"].str.json_decode(pl.Struct({n: pl.String for n in spec.names}))
    return derived.with_columns(extra.alias("__x")).select(
        [pl.coalesce(pl.col(n), pl.col("__x").struct.field(n)).alias(n) for n in spec.names]
    )


def household_extras_for_job(
    session: Session, layout: Layout, tenant: mapping.Tenant, job_id: str, folder: Path, size: int | None = None
) -> int:
    """Keep the household file's items that the registry cannot derive (no members, 世帯構成年月日).

    The job's staged 世帯 and their members' current rows are streamed by COPY to files in ``folder``, split
    into ranges of :data:`HOUSEHOLD_RANGE` 世帯 on disk and compared range by range, so memory holds one range
    (held at once, 4,000,000 rows took 3.9 GB). Everything written there is removed afterwards.
    """
    params = {"lg": tenant.lg_code, "job": job_id}
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder, prefix=".households-") as tmp:
        work = Path(tmp)
        staged_file = staging.query_to_file(session, "SELECT setai_no, items FROM migration_staging_household "
                                            "WHERE lg_code = :lg AND job_id = :job", params, work / "staged")
        bulk_plans(session)
        members_file = staging.query_to_file(session, _household_sql("job"), params, work / "members")
        blocks = [b.get_column("setai_no") for b in staging.iter_file(staged_file)]
        if not blocks:
            return 0
        keys = pl.concat(blocks).sort()
        step = size or HOUSEHOLD_RANGE
        cuts = keys.gather(list(range(step, len(keys), step))).to_list()
        with _RangeSpill(cuts, work, "staged") as staged, _RangeSpill(cuts, work, "members") as members:
            staged.add_file(staged_file)
            members.add_file(members_file)
            spec, kept = layout.file("household"), 0
            for i in range(len(staged.ranges)):
                rows = _typed(members.read(i, ["setai_no", *MEMBER_COLUMNS, "x_household"]))
                kept += _keep_household_items(session, spec, tenant.lg_code, staged.read(i, ["setai_no", "items"]),
                                              _sorted_households(session, rows))
        return kept


def _keep_household_items(session: Session, spec: FileSpec, lg_code: str, staged: pl.DataFrame,
                          rows: pl.DataFrame) -> int:
    """Store the staged items of these 世帯 that :func:`household_items` does not derive from ``rows``."""
    if staged.height == 0:
        return 0
    source = staged["items"].str.json_decode(pl.Struct({n: pl.String for n in spec.names})).struct.unnest()
    derived = household_items(rows, spec, apply=False)
    joined = source.join(derived, on="世帯番号", how="left", suffix="__d")
    others = [n for n in spec.names if n != "世帯番号"]
    keep = [pl.when(pl.col(f"{n}__d").is_null() & pl.col(n).is_not_null()).then(pl.col(n)).alias(n) for n in others]
    gaps = joined.select(pl.col("世帯番号"), *keep)
    gaps = gaps.filter(pl.any_horizontal([pl.col(n).is_not_null() for n in others]))
    docs = gaps.select(pl.col("世帯番号"), pl.struct(others).struct.json_encode().alias("items"))
    if docs.height:
        # executemany (psycopg pipelines it): measured faster than one unnest() of two text arrays here, whose
        # JSON values are quoted and escaped as array literals (53,273 世帯: 1.4–2.1 s against 2.9–3.2 s)
        session.execute(
            text(
                "INSERT INTO migration_household_extras (lg_code, setai_no, items) "
                "VALUES (:lg, :s, :i) ON CONFLICT (lg_code, setai_no) DO NOTHING"
            ),
            [{"lg": lg_code, "s": s, "i": i} for s, i in docs.iter_rows()],
        )
    return docs.height


# ------------------------------------------------------------------------------------ encodings


#: Blocks checked character by character besides the decoded repertoire: Latin-1, punctuation, symbols and
#: full-width forms, where the legacy codecs also encode characters no byte sequence decodes to (〜, −, ¢ …).
SYMBOL_BLOCKS = (range(0x80, 0x400), range(0x2000, 0x3400), range(0xFE00, 0x10000))


@lru_cache(maxsize=8)
def outside_class(codec: str) -> str:
    """A regex class of the characters not known to encode in ``codec`` on their own.

    Only a filter: a value with none of them fits; a value with one is checked with the codec itself, so the
    filter never changes which values are fixed and need not be exact. A combining mark that encodes only
    after its base is outside; so is any character :func:`_encodable` does not find.
    """
    ranges: list[list[int]] = [[0, 0x7F]]  # ASCII fits every supported encoding
    for cp in sorted(_encodable(codec)):
        if cp <= ranges[-1][1]:
            continue
        if ranges[-1][1] == cp - 1:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp])
    return "[^" + "".join(f"{_escaped(a)}-{_escaped(b)}" for a, b in ranges) + "]"


def _encodable(codec: str) -> set[int]:
    """Code points that encode on their own: what the one- to three-byte sequences decode to, and the symbol
    blocks, each checked. Decoding all sequences at once (newline-separated, a byte no lead byte takes as its
    second) costs far less than trying every code point."""
    sequences = [bytes([a]) for a in range(0x80, 0x100)]
    sequences += [bytes([a, b]) for a in range(0x80, 0x100) for b in range(0x40, 0x100)]
    sequences += [bytes([0x8F, a, b]) for a in range(0xA1, 0xFF) for b in range(0xA1, 0xFF)]  # EUC plane 2
    decoded = b"\n".join(sequences).decode(codec, errors="replace").split("\n")
    candidates = {c for c in decoded if len(c) == 1 and c != "\ufffd"}
    candidates.update(chr(cp) for block in SYMBOL_BLOCKS for cp in block)
    found = set()
    for char in candidates:
        try:
            char.encode(codec)
        except UnicodeEncodeError:
            continue
        found.add(ord(char))
    return found


def _escaped(cp: int) -> str:
    return f"\\x{{{cp:X}}}"


def _degrade_target(encoding: str) -> str:
    return "jisx0208" if encoding in ("cp932",) else "jisx0213"


class _Encoder:
    def __init__(self, dialect: Dialect, mode: str, reverse_gaiji: dict[str, str]):
        self.codec = dialect.codec
        self.encoding = dialect.encoding
        self.mode = mode
        self.reverse = reverse_gaiji
        self.degraded: list[dict[str, str]] = []
        self.cache: dict[str, str] = {}

    def fits(self, value: str) -> bool:
        try:
            value.encode(self.codec)
            return True
        except UnicodeEncodeError:
            return False

    def fix(self, value: str, file: str, key: str, item: str) -> str:
        from lgcloud.moji import degrade_char, graphemes

        out = []
        for _off, char in graphemes(value):
            if self.fits(char):
                out.append(char)
                continue
            if self.mode == "vendor" and char in self.reverse and self.fits(self.reverse[char]):
                repl, how = self.reverse[char], "外字コード"
            elif self.mode == "degrade":
                decision = degrade_char(char, _degrade_target(self.encoding))
                if decision.target is None or not self.fits(decision.target):
                    raise EncodeError(
                        f"{file} {key} の「{item}」の文字「{char}」(U+{ord(char[0]):04X})は "
                        f"{self.encoding} に縮退できません",
                        item=item,
                        char=char,
                    )
                repl, how = decision.target, f"縮退({decision.table})"
            else:
                raise EncodeError(
                    f"{file} {key} の「{item}」の文字「{char}」(U+{ord(char[0]):04X})は "
                    f"{self.encoding} で表せません(--unencodable degrade / vendor を指定できます)",
                    item=item,
                    char=char,
                )
            self.degraded.append(
                {
                    "file": file,
                    "key": key,
                    "item": item,
                    "char": char,
                    "codepoint": " ".join(f"U+{ord(c):04X}" for c in char),
                    "replacement": repl,
                    "how": how,
                }
            )
            out.append(repl)
        return "".join(out)

    def frame(self, frame: pl.DataFrame, file: str, key_item: str) -> pl.DataFrame:
        if self.encoding.startswith("utf-8"):
            return frame
        outside = outside_class(self.codec)
        # instead of an encode call per value: which columns hold non-ASCII text (one parallel select), then one
        # regex pass over those columns' distinct values; only the values it flags are tried with the codec
        wide = frame.select([(pl.col(n).str.len_bytes() != pl.col(n).str.len_chars()).any() for n in frame.columns])
        fixes = []
        for name in (n for n, hit in zip(frame.columns, wide.row(0), strict=True) if hit):
            values = frame[name].unique()
            bad = {v for v in values.filter(values.str.contains(outside)).to_list() if not self.fits(v)}
            if not bad:
                continue
            rows = frame.filter(pl.col(name).is_in(list(bad))).select(key_item, name)
            table = {}
            for key, value in rows.iter_rows():
                table[value] = self.fix(value, file, key, name)
            fixes.append(pl.col(name).replace(table).alias(name))
        return frame.with_columns(fixes) if fixes else frame


# ---------------------------------------------------------------------------------------- export


#: ``progress(persons_done, persons_total)``, called after each chunk.
ExportProgress = Callable[[int, int], None]


def export(db: Database, req: ExportRequest, progress: ExportProgress | None = None) -> ExportResult:
    """Write the files chunk by chunk (:data:`CHUNK_PERSONS` persons at a time), all read from one snapshot."""
    if req.unencodable not in UNENCODABLE:
        raise ExportError(f"--unencodable は {'/'.join(UNENCODABLE)} のいずれかです", code="migration-export-option")
    layout = mapping.cached_layout(req.layout)
    dialect = resolve_dialect(layout.dialects, req.dialect, encoding=req.encoding)
    from lgcloud.migration.importer import tenant_of

    params: dict[str, Any] = {"lg": req.lg_code, "since": req.since}
    with db.session(req.lg_code) as session:
        if db.is_postgresql:  # the registry is read by many statements: all from one snapshot
            session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            # households are joined and sorted there: in memory, not in temp files
            session.execute(text("SET LOCAL work_mem = '256MB'"))
        tenant = tenant_of(session, req.lg_code)
        encoder = _Encoder(dialect, req.unencodable, _reverse_gaiji(session, req))
        bulk_plans(session)  # whole-municipality joins: hash joins, whatever the statistics say
        cursor = int(
            session.execute(
                text("SELECT COALESCE(MAX(ido_id), 0) FROM residents_ido WHERE lg_code = :lg"), params
            ).scalar_one()
        )
        spec = layout.file("household")
        full = req.since is None  # a 差分 reads the changed 世帯's members in SQL: not all are among the changed rows
        with (
            _Writer(req, layout, dialect, encoder) as writer,
            tempfile.TemporaryDirectory(dir=req.out, prefix=".members-") as folder,
            _RangeSpill(_household_cuts(session, req.lg_code, req.household_range) if full else [], Path(folder),
                        "members") as spill,
        ):
            _person_chunks(session, params, writer, tenant, progress, req.chunk_persons, spill if full else None)
            parts = _spilled_households(session, params, spill) if full else [_households(session, params, "since")]
            for households in parts:
                writer.write("household", household_items(households, spec))
            return writer.finish(cursor)


def _person_chunks(
    session: Session,
    params: dict[str, Any],
    writer: _Writer,
    tenant: mapping.Tenant,
    progress: ExportProgress | None,
    size: int,
    spill: _RangeSpill | None,
) -> None:
    """Write the person and 外国人 files chunk by chunk, handing the household members met to ``spill``."""
    ranges, persons = _chunks(session, params["lg"], size)
    for done, reg in enumerate(_read_ahead(session, params, ranges), start=1):
        if reg.height:
            person, foreign = person_items(reg, writer.layout, tenant)
            writer.write("person", person)
            writer.write("foreign", foreign)
            if spill is not None:
                spill.add(_members(reg))
        del reg
        release_memory()  # the allocators would keep each chunk's peak and grow with the next
        if progress:
            progress(min(done * size, persons), persons)


def _read_ahead(
    session: Session, params: dict[str, Any], ranges: list[tuple[str | None, str | None]]
) -> Iterator[pl.DataFrame]:
    """Each chunk's registry rows, in order. On PostgreSQL a second connection on the export's snapshot reads
    the next chunk while this one is derived and written: PostgreSQL producing the rows (a core's worth)
    overlaps the work here. SQLite reads in line."""
    chunks = ({"lo": lo, "hi": hi} for lo, hi in ranges)
    if not is_postgresql(session):
        yield from (_registry(session, params | chunk) for chunk in chunks)
        return
    snapshot = session.execute(text("SELECT pg_export_snapshot()")).scalar_one()
    if not re.fullmatch(r"[0-9A-F-]+", snapshot):  # SET TRANSACTION SNAPSHOT takes no bind parameter
        raise ExportError(f"snapshot id {snapshot!r}")
    with session.get_bind().connect() as reader:  # type: ignore[union-attr]
        reader = reader.execution_options(isolation_level="REPEATABLE READ")
        reader.execute(text(f"SET TRANSACTION SNAPSHOT '{snapshot}'"))  # first in its transaction
        reader.execute(text("SELECT set_config('lgcloud.lg_code', :lg, true)"), {"lg": params["lg"]})
        yield from prefetched(_registry(reader, params | chunk) for chunk in chunks)


def _reverse_gaiji(session: Session, req: ExportRequest) -> dict[str, str]:
    if req.unencodable != "vendor":
        return {}
    if not req.source_system:
        raise ExportError(
            "--unencodable vendor には --source-system(外字対応表の移行元システム名)が必要です",
            code="migration-export-option",
        )
    from lgcloud.moji.service import load_mapping

    return {glyph: char for char, glyph in load_mapping(session, req.lg_code, req.source_system).items()}


#: The files of an export and the item naming a record in messages.
FILE_KEYS = {"person": "宛名番号", "foreign": "宛名番号", "household": "世帯番号"}


class _Writer:
    """The export's files, opened with their header and appended to chunk by chunk."""

    def __init__(self, req: ExportRequest, layout: Layout, dialect: Dialect, encoder: _Encoder):
        self.req, self.layout, self.dialect, self.encoder = req, layout, dialect, encoder
        req.out.mkdir(parents=True, exist_ok=True)
        ext = "dat" if dialect.format == "fixed" else "csv"
        self.files = {name: req.out / f"{name}.{ext}" for name in FILE_KEYS}
        self.counts = dict.fromkeys(FILE_KEYS, 0)
        self.handles = {name: path.open("wb") for name, path in self.files.items()}
        for name, handle in self.handles.items():  # header (and BOM) only
            spec = layout.file(name)
            write_frame(pl.DataFrame(schema={n: pl.String for n in spec.names}), handle, spec, dialect)

    def __enter__(self) -> _Writer:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        for handle in self.handles.values():
            handle.close()

    def write(self, name: str, frame: pl.DataFrame) -> None:
        if frame.height == 0:
            return
        spec = self.layout.file(name)
        out = mapping.from_canonical_dates(frame, spec, self.dialect)
        out = self.encoder.frame(out, self.files[name].name, FILE_KEYS[name])
        first_line = self.counts[name] + (2 if self.dialect.header and self.dialect.format != "fixed" else 1)
        try:
            write_frame(out, self.handles[name], spec, self.dialect, header=False, bom=False, first_line=first_line)
        except EncodeError as exc:  # say which file and record: the line counts from the file's start
            key = frame[FILE_KEYS[name]][exc.detail["line"] - first_line]
            raise EncodeError(f"{self.files[name].name} {FILE_KEYS[name]} {key} の{exc.message}",
                              **exc.detail) from exc
        self.counts[name] += frame.height

    def finish(self, cursor: int) -> ExportResult:
        self.close()
        req, encoder = self.req, self.encoder
        hashes = {name: jobs.file_sha256(path) for name, path in self.files.items()}
        degraded_file = None
        if encoder.degraded:
            degraded_file = req.out / "degraded.csv"
            pl.DataFrame(encoder.degraded, schema=DEGRADED_SCHEMA).write_csv(degraded_file)
        manifest = req.out / "manifest.json"
        files = {n: {"name": p.name, "records": self.counts[n], "sha256": hashes[n]} for n, p in self.files.items()}
        manifest.write_text(
            json.dumps(
                {
                    "layout": self.layout.name,
                    "layout_version": self.layout.version,
                    "lg_code": req.lg_code,
                    "kind": "差分" if req.since is not None else "全件",
                    "since": req.since,
                    "cursor": cursor,
                    "dialect": {k: v for k, v in self.dialect.__dict__.items() if k != "description"},
                    "unencodable": req.unencodable,
                    "files": files,
                    "degraded": len(encoder.degraded),
                    "exported_at": utcnow().isoformat(),
                },
                ensure_ascii=False,
                indent=2,
            ),
            encoding="utf-8",
        )
        return ExportResult(
            self.files, manifest, cursor, self.counts, len(encoder.degraded), degraded_file, hashes
        )


def run_export_job(db: Database, lg_code: str, job_id: str, progress: jobs.ProgressCallback | None = None) -> jobs.Job:
    """The export task (UI): write into the job's directory; the page offers it as a ZIP."""
    with db.session(lg_code) as session:
        job = jobs.get(session, lg_code, job_id)
        jobs.update(session, lg_code, job_id, state="running")
    options = job.options
    req = ExportRequest(
        lg_code=lg_code,
        out=job.work_dir / "export",
        layout=job.layout,
        dialect=options.get("dialect"),
        encoding=options.get("encoding"),
        since=options.get("since"),
        unencodable=options.get("unencodable", "error"),
        source_system=options.get("source_system"),
        actor=job.actor,
    )

    def step(done: int, total: int) -> None:
        with db.session(lg_code) as session:
            jobs.update(session, lg_code, job_id, records_total=total, loaded=done)
        if progress:
            with db.session(lg_code) as session:
                progress(jobs.get(session, lg_code, job_id))

    archive = job.work_dir / "export.zip"
    archive.unlink(missing_ok=True)  # a rerun exports from a new snapshot: never serve an earlier run's ZIP
    result = export(db, req, progress=step)
    with db.session(lg_code) as session:
        jobs.update(session, lg_code, job_id, phase="archive")
    jobs.archive(req.out, archive)  # in the job, with its progress: a download is instant
    summary = {
        "cursor": result.cursor,
        "counts": result.counts,
        "degraded": result.degraded,
        "sha256": result.sha256,
        "kind": "差分" if req.since is not None else "全件",
    }
    with db.session(lg_code) as session:
        jobs.update(
            session,
            lg_code,
            job_id,
            state="done",
            phase="done",
            summary=summary,
            records_total=sum(result.counts.values()),
            loaded=sum(result.counts.values()),
            finished_at=utcnow(),
        )
        return jobs.get(session, lg_code, job_id)

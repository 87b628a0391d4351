"""Staging and merge: COPY (PostgreSQL) / bulk insert (SQLite) into staging, then set-based SQL into the registry.

Every statement names the tenant explicitly (``lg_code = :lg``); RLS is the second lock. A merge batch is the
person staging rows with ``seq`` in ``[batch_no * size, (batch_no + 1) * size)``: its 異動 records, history rows,
extras, current pointers and its done-marker are written in one transaction, so a batch is merged exactly once.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl
from psycopg import sql as pgsql
from sqlalchemy import Connection, Table, delete, func, insert, select, text
from sqlalchemy.orm import Session

from lgcloud.db.base import utcnow
from lgcloud.migration.models import (
    STAGING_FOREIGN_COLUMNS,
    STAGING_IDO_COLUMNS,
    STAGING_KEY_COLUMNS,
    STAGING_PERSON_COLUMNS,
    batches,
    jobs,
    staging_foreign,
    staging_household,
    staging_person,
)
from lgcloud.residents.models import counters

STAGING = (staging_person, staging_foreign, staging_household)
PERSON_COLS = [n for n, _ in STAGING_PERSON_COLUMNS]
FOREIGN_COLS = [n for n, _ in STAGING_FOREIGN_COLUMNS]


def is_postgresql(source: Session | Connection) -> bool:
    return _connection(source).dialect.name == "postgresql"


def _connection(source: Session | Connection) -> Connection:
    return source.connection() if isinstance(source, Session) else source


def bulk_plans(session: Session) -> None:
    """Staging has no planner statistics (the application role may not ANALYZE it), so PostgreSQL would pick
    nested loops for what are set-sized joins; hash joins are right for a bulk merge. Transaction-local."""
    if is_postgresql(session):
        session.execute(text("SET LOCAL enable_nestloop = off"))


#: CSV with control characters as delimiter and quote: the kept items (JSON) and addresses are full of '"' and
#: ',', which PostgreSQL would quote and double and the reader undo (extras at 200k: 0.45 → 0.28 s CPU each side).
COPY_CSV = "FORMAT csv, HEADER true, DELIMITER E'\\x01', QUOTE E'\\x02'"
_PARAM = re.compile(r"(?<![:\w]):(\w+)")  # a bind parameter, never a ``::`` cast


def _copy_out(connection: Connection, sql: str, params: dict[str, Any]) -> Iterator[bytes]:
    """The query's rows as :data:`COPY_CSV` text, block by block (PostgreSQL; parameters bound as literals)."""
    raw = connection.connection.driver_connection
    bound = _PARAM.sub(lambda m: pgsql.Literal(params.get(m.group(1))).as_string(raw), sql)
    with raw.cursor() as cur, cur.copy(f"COPY ({bound}) TO STDOUT ({COPY_CSV})") as copy:
        yield from copy


def read_frame(source: Session | Connection, sql: str, params: dict[str, Any]) -> pl.DataFrame:
    """A query's rows as string columns: COPY TO on PostgreSQL, straight into polars (no Python object per
    value: a million rows as tuples is a gigabyte); the cursor on SQLite."""
    if is_postgresql(source):
        buffer = io.BytesIO()  # one copy of each row (a list of bytes and a join made two)
        for block in _copy_out(_connection(source), sql, params):
            buffer.write(block)
        if not buffer.tell():
            return pl.DataFrame()
        buffer.seek(0)
        return pl.read_csv(buffer, infer_schema=False, separator="\x01", quote_char="\x02")
    result = source.execute(text(sql), params)
    columns = list(result.keys())
    rows = result.fetchall()
    data = {c: [None if r[i] is None else str(r[i]) for r in rows] for i, c in enumerate(columns)}
    return pl.DataFrame(data, schema={c: pl.String for c in columns})


def query_to_file(source: Session | Connection, sql: str, params: dict[str, Any], path: Path) -> Path:
    """A query's rows in a file that :func:`iter_file` reads: streamed by COPY TO on PostgreSQL, so a whole
    municipality's rows pass through without being held; through :func:`read_frame` on SQLite."""
    if not is_postgresql(source):
        read_frame(source, sql, params).write_csv(path, separator="\x01", quote_char="\x02")
        return path
    with path.open("wb") as out:
        for block in _copy_out(_connection(source), sql, params):
            out.write(block)
    return path


def iter_file(path: Path, block_bytes: int = 32 << 20) -> Iterator[pl.DataFrame]:
    """The rows :func:`query_to_file` wrote, as string columns (read as :func:`read_frame` reads), a block of
    whole records at a time: memory holds one block whatever the file's size. (polars' readers take in the
    whole file even to filter it; pyarrow's streaming reader peaked at 1.7× the file in a trial.)"""
    with path.open("rb") as fh:
        header, rest = fh.readline(), b""
        while True:
            data = fh.read(block_bytes)
            buffer = rest + data
            end = _last_record_end(buffer) if data else len(buffer) - 1
            if buffer[: end + 1].strip():
                yield pl.read_csv(io.BytesIO(header + buffer[: end + 1]), infer_schema=False, separator="\x01",
                                  quote_char="\x02")
            rest = buffer[end + 1 :]
            if not data:
                return


def _last_record_end(buffer: bytes) -> int:
    """The last line end outside a quoted value (COPY quotes a value holding a line end; a quote inside a
    value is doubled, so an even count of quotes before a line end means it ends a record); -1 if none."""
    end = buffer.rfind(b"\n")
    while end >= 0 and buffer.count(b"\x02", 0, end) % 2:
        end = buffer.rfind(b"\n", 0, end)
    return end


# ------------------------------------------------------------------------------------------ staging


def write_rows(session: Session, table: Table, frame: pl.DataFrame) -> None:
    """Append ``frame`` (columns named as ``table``'s) to a staging table."""
    if frame.height == 0:
        return
    frame = frame.select([c.name for c in table.columns if c.name in frame.columns])
    if is_postgresql(session):
        _copy(session, table.name, frame)
    else:
        session.execute(insert(table), frame.to_dicts())


def _copy(session: Session, name: str, frame: pl.DataFrame) -> None:
    """COPY … FROM STDIN (FORMAT csv) with polars writing the CSV: no Python tuples per row.

    PostgreSQL refuses COPY FROM into a table with row-level security, so the rows are copied into a
    transaction-local temporary table and moved with one INSERT … SELECT (which RLS checks row by row).
    """
    raw = session.connection().connection.driver_connection
    columns = ", ".join(f'"{c}"' for c in frame.columns)
    buffer = io.BytesIO()
    frame.write_csv(buffer, include_header=False, null_value="", quote_style="necessary")
    temp = f"tmp_{name}"
    with raw.cursor() as cur:
        cur.execute(f"CREATE TEMP TABLE IF NOT EXISTS {temp} (LIKE {name}) ON COMMIT DELETE ROWS")
        with cur.copy(f"COPY {temp} ({columns}) FROM STDIN (FORMAT csv)") as copy:
            view = buffer.getbuffer()
            step = 1 << 20
            for start in range(0, len(view), step):
                copy.write(view[start:start + step])
        cur.execute(f"INSERT INTO {name} ({columns}) SELECT {columns} FROM {temp}")
        cur.execute(f"TRUNCATE {temp}")


def clear_job(session: Session, lg_code: str, job_id: str) -> None:
    for table in STAGING:
        session.execute(delete(table).where(table.c.lg_code == lg_code, table.c.job_id == job_id))


def staged_count(session: Session, table: Table, lg_code: str, job_id: str, file_no: int | None = None) -> int:
    stmt = select(func.count()).select_from(table).where(table.c.lg_code == lg_code, table.c.job_id == job_id)
    if file_no is not None:
        stmt = stmt.where(table.c.file_no == file_no)
    return int(session.execute(stmt).scalar_one())


# ------------------------------------------------------------------------------------------ markers


def batch_done(session: Session, lg_code: str, job_id: str, phase: str, batch_no: int) -> bool:
    stmt = select(batches.c.batch_no).where(batches.c.lg_code == lg_code, batches.c.job_id == job_id,
                                            batches.c.phase == phase, batches.c.batch_no == batch_no)
    return session.execute(stmt).first() is not None


def mark_done(session: Session, lg_code: str, job_id: str, phase: str, batch_no: int, rows: int) -> None:
    session.execute(insert(batches).values(lg_code=lg_code, job_id=job_id, phase=phase, batch_no=batch_no,
                                           rows=rows, done_at=utcnow()))
    session.execute(jobs.update().where(jobs.c.lg_code == lg_code, jobs.c.job_id == job_id).values(
        batches_done=jobs.c.batches_done + 1, loaded=jobs.c.loaded + rows, updated_at=utcnow()))


# ------------------------------------------------------------------------------------------- merge


def allocate(session: Session, lg_code: str, name: str, count: int) -> int:
    """Reserve ``count`` numbers of a residents counter; return the value *before* them."""
    stmt = (counters.update().where(counters.c.lg_code == lg_code, counters.c.name == name)
            .values(value=counters.c.value + count).returning(counters.c.value))
    value = session.execute(stmt).scalar()
    if value is None:
        session.execute(insert(counters).values(lg_code=lg_code, name=name, value=count))
        return 0
    return int(value) - count


def raise_counter(session: Session, lg_code: str, name: str, at_least: int) -> None:
    current = session.execute(select(counters.c.value).where(counters.c.lg_code == lg_code,
                                                             counters.c.name == name)).scalar()
    if current is None:
        session.execute(insert(counters).values(lg_code=lg_code, name=name, value=at_least))
    elif current < at_least:
        session.execute(counters.update().where(counters.c.lg_code == lg_code, counters.c.name == name)
                        .values(value=at_least))


def _json_fn(pg: bool) -> tuple[str, str]:
    return ("json_build_array", "json_build_object") if pg else ("json_array", "json_object")


_BATCH = "p.lg_code = :lg AND p.job_id = :job AND p.seq >= :lo AND p.seq < :hi"


def merge_batch(session: Session, lg_code: str, job_id: str, batch_no: int, size: int, actor: str) -> int:
    """Merge one batch of staged persons into the registry; return the number of history rows written."""
    params = {"lg": lg_code, "job": job_id, "lo": batch_no * size, "hi": (batch_no + 1) * size}
    n = int(session.execute(text(f"SELECT count(*) FROM migration_staging_person p WHERE {_BATCH}"),
                            params).scalar_one())
    if n:
        bulk_plans(session)
        params |= {"base": allocate(session, lg_code, "ido", n), "actor": actor, "now": utcnow(),
                   "note": f"データ移行 (ジョブ {job_id})"}
        for statement in _merge_statements(is_postgresql(session)):
            session.execute(text(statement), params)
    mark_done(session, lg_code, job_id, "merge", batch_no, n)
    return n


def _batch_rows(columns: str) -> str:
    """The batch's person rows (key columns + ``columns``) read by the primary key's seq range, with their
    異動 number, as a subquery ``p``.

    A subquery with a window function is planned on its own, never flattened into the join with the 外国人
    rows: flattened, PostgreSQL (no statistics on staging, nested loops off) merge-joined the two through
    ix_migration_staging_person_key and filtered the seq range, reading every staged row of the job in every
    batch. Rows come out of the primary key in seq order, so the numbering needs no sort either.
    """
    return (f"(SELECT p.lg_code, p.job_id, p.atena_no, p.rireki_no, {columns}, "
            f":base + ROW_NUMBER() OVER (ORDER BY p.seq) AS ido_id "
            f"FROM migration_staging_person p WHERE {_BATCH}) p")


def _merge_statements(pg: bool) -> list[str]:
    arr, obj = _json_fn(pg)
    ido_no = ":base + ROW_NUMBER() OVER (ORDER BY p.seq)"
    ido_cols = ", ".join(n for n, _ in STAGING_IDO_COLUMNS if n != "valid_from")
    person = ", ".join(f"p.{c}" for c in PERSON_COLS)
    foreign = ", ".join(f"f.{c}" for c in FOREIGN_COLS)
    keys_ = ", ".join(f"p.{c}" for c in STAGING_KEY_COLUMNS)
    # the job as constants: the planner does not carry them out of the batch subquery to the 外国人 scan
    join_f = ("LEFT JOIN migration_staging_foreign f ON f.lg_code = :lg AND f.job_id = :job "
              "AND f.atena_no = p.atena_no AND f.rireki_no = p.rireki_no")
    return [
        f"""INSERT INTO residents_ido (lg_code, ido_id, kind, reason, reason_class, ido_date, ido_date_text,
              shori_date, todokede_date, notice_date, actor, place, note, subjects, command, cancels_ido_id,
              recorded_at)
            SELECT p.lg_code, {ido_no}, 'migration', {", ".join("p." + c for c in ido_cols.split(", "))},
              :actor, NULL, :note, {arr}(p.atena_no),
              {obj}('kind', 'migration', 'job_id', p.job_id, 'file_no', p.file_no, 'record', p.record),
              NULL, :now
            FROM migration_staging_person p WHERE {_BATCH}""",
        f"""INSERT INTO residents_history (lg_code, atena_no, rireki_no, ido_id, valid_from, recorded_at,
              {", ".join(PERSON_COLS)}, {", ".join(FOREIGN_COLS)}, {", ".join(STAGING_KEY_COLUMNS)})
            SELECT p.lg_code, p.atena_no, p.rireki_no, p.ido_id, p.valid_from, :now, {person}, {foreign}, {keys_}
            FROM {_batch_rows(f"p.valid_from, {person}, {keys_}")} {join_f}""",
        f"""INSERT INTO migration_extras (lg_code, atena_no, rireki_no, part, items)
            SELECT p.lg_code, p.atena_no, p.rireki_no, 'person', p.extras
            FROM migration_staging_person p WHERE {_BATCH} AND p.extras IS NOT NULL""",
        # 外国人 file row (its extras, or none) and 住民種別 2 without one: one pass over the batch for both
        f"""INSERT INTO migration_extras (lg_code, atena_no, rireki_no, part, items)
            SELECT p.lg_code, p.atena_no, p.rireki_no, CASE WHEN f.seq IS NULL THEN 'noforeign' ELSE 'foreign' END,
              COALESCE(f.extras, '{{"k":[],"v":{{}}}}')
            FROM {_batch_rows("p.kind")} {join_f}
            WHERE (f.seq IS NOT NULL AND (f.extras IS NOT NULL OR p.kind IS NULL OR p.kind <> '2'))
              OR (f.seq IS NULL AND p.kind = '2')""",
        f"""INSERT INTO residents_current (lg_code, atena_no, rireki_no, setai_no, status)
            SELECT lg_code, atena_no, rireki_no, setai_no, status FROM (
              SELECT p.lg_code, p.atena_no, p.rireki_no, p.setai_no, p.status,
                ROW_NUMBER() OVER (PARTITION BY p.atena_no ORDER BY p.rireki_no DESC) AS rn
              FROM migration_staging_person p WHERE {_BATCH}) t
            WHERE rn = 1
            ON CONFLICT (lg_code, atena_no) DO UPDATE SET rireki_no = excluded.rireki_no,
              setai_no = excluded.setai_no, status = excluded.status
            WHERE excluded.rireki_no > residents_current.rireki_no""",
    ]


def merge_households(session: Session, lg_code: str, job_id: str) -> int:
    """Register every 世帯番号 of the job (household file and persons) not yet in the registry."""
    params = {"lg": lg_code, "job": job_id}
    bulk_plans(session)
    result = session.execute(text("""
        INSERT INTO residents_households (lg_code, setai_no, created_ido_id)
        SELECT :lg, s.setai_no, COALESCE((SELECT MIN(h.ido_id) FROM residents_history h
                                          WHERE h.lg_code = :lg AND h.setai_no = s.setai_no), 0)
        FROM (SELECT setai_no FROM migration_staging_household WHERE lg_code = :lg AND job_id = :job
              UNION SELECT setai_no FROM migration_staging_person WHERE lg_code = :lg AND job_id = :job) s
        WHERE NOT EXISTS (SELECT 1 FROM residents_households x WHERE x.lg_code = :lg AND x.setai_no = s.setai_no)
    """), params)
    # both counters from one pass over the job's staged persons (the number is the key without its check digit)
    tops = session.execute(text(
        "SELECT MAX(CAST(substr(atena_no, 1, length(atena_no) - 1) AS BIGINT)), "
        "MAX(CAST(substr(setai_no, 1, length(setai_no) - 1) AS BIGINT)) "
        "FROM migration_staging_person WHERE lg_code = :lg AND job_id = :job"), params).one()
    for name, top in zip(("atena", "setai"), tops, strict=True):
        if top is not None:
            raise_counter(session, lg_code, name, int(top))
    return int(result.rowcount or 0)


def json_text(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, default=_default)


def _default(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)

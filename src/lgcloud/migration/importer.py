"""Import: validate → quarantine → stage (COPY) → merge per batch → reconcile. Resumable and idempotent.

Phases of a job (``migration_jobs.phase``), each committed before the next starts:

1. ``validate`` + ``stage``: the layout's vectorised validator reads every file; a second streaming read maps
   the accepted records to registry columns and loads them into staging, remembering the byte span of every
   record. Rejections then cascade so the registry never holds half a person: all history rows of a 宛名番号
   go in together or not at all (and the 外国人 file's row with them). Rejected records are copied *verbatim*
   (their original bytes) to a quarantine file per input, with a reasons CSV. Rerun from here: staging is
   emptied and rebuilt (nothing has reached the registry yet).
2. ``merge``: one transaction per batch writes 異動 records, history rows, extras, current pointers and the
   batch's done-marker; a rerun skips marked batches.
3. ``household``: 世帯番号 and counters. 4. ``report``: reconciliation per file — input = loaded + quarantined.
"""

from __future__ import annotations

import contextlib
import fnmatch
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from sqlalchemy import Table, func, select, text
from sqlalchemy import column as sa_column
from sqlalchemy import table as sa_table
from sqlalchemy.orm import Session

from lgcloud.db import Database
from lgcloud.db.base import utcnow
from lgcloud.errors import LgcloudError
from lgcloud.layout import Batch, Dialect, FileSpec, Layout, Validator, iter_batches, resolve_dialect
from lgcloud.layout.dialect import dialect_from_mapping
from lgcloud.migration import io_mapping as mapping
from lgcloud.migration import jobs, reconcile, staging
from lgcloud.migration.models import staging_foreign, staging_household, staging_person
from lgcloud.residents.models import current

BATCH_SIZE = 50_000
RECORD_RULES = {"field-count", "blank-row", "record-length"}
CASCADE_RULES = {
    "other-municipality": "他の市区町村のデータです(市区町村コードが取込先と異なる)",
    "already-registered": "この宛名番号は既に住民記録にあります",
    "person-incomplete": "同じ宛名番号の他の行が隔離されたため、この人の全履歴を隔離しました",
    "person-rejected": "対応する住民ファイルの行が隔離されたため隔離しました",
    "household-incomplete": "同じ世帯の他の人が隔離されたため、世帯ごと隔離しました",
    "file-header": "見出し行がレイアウトと一致しないため、このファイルの全レコードを隔離しました",
}
REASON_SCHEMA = {"record": pl.Int64, "line": pl.Int64, "byte_offset": pl.Int64, "item": pl.String,
                 "rule": pl.String, "value": pl.String, "message": pl.String}


class ImportError_(LgcloudError):
    code = "migration-import-invalid"


@dataclass
class ImportRequest:
    lg_code: str
    paths: list[Path]
    work_root: Path
    layout: str = "juki"
    dialect: str | None = None
    encoding: str | None = None
    source_system: str | None = None
    gaiji_csv: Path | None = None
    actor: str = "cli"
    batch_size: int = BATCH_SIZE
    #: Delete the input files once the import is done and balanced: the web's uploaded copies, which would
    #: otherwise keep every resident's record at rest twice (a failed job keeps them to be resumed).
    discard_inputs: bool = False


def assign_files(layout: Layout, paths: list[Path]) -> list[tuple[FileSpec, Path]]:
    """Which layout file each input is, by the layout's ``match`` patterns (file name, case-insensitive)."""
    out = []
    for path in paths:
        name = path.name.lower()
        spec = next((f for f in layout.files if any(fnmatch.fnmatch(name, p.lower()) for p in f.match)), None)
        if spec is None:
            names = ", ".join(f"{f.name}({'/'.join(f.match)})" for f in layout.files)
            raise ImportError_(f"ファイル {path.name} がレイアウトのどのファイルか判別できません(ファイル名: {names})",
                               code="migration-unknown-file")
        out.append((spec, path))
    order = {f.name: i for i, f in enumerate(layout.files)}
    return sorted(out, key=lambda sp: (order[sp[0].name], sp[1].name))


def check_headers(assigned: list[tuple[FileSpec, Path]], dialect: Dialect) -> None:
    """A file whose header row is not the layout's is refused whole, before any job exists."""
    if not dialect.header:
        return
    for spec, path in assigned:
        with path.open("rb") as fh:
            first = fh.readline(1 << 16).removeprefix(b"\xef\xbb\xbf").rstrip(b"\r\n")
        found = first.decode(dialect.codec, errors="replace").split(dialect.sep)
        if [f.strip('"') for f in found] != spec.names:
            raise ImportError_(f"ファイル {path.name} の見出し行がレイアウト「{spec.title}」と一致しません"
                               f"(方言 {dialect.encoding}/{dialect.format}、{len(found)} 項目"
                               f"/レイアウト {len(spec.names)} 項目)", code="migration-header-mismatch")


def prepare(db: Database, req: ImportRequest) -> jobs.Job:
    """Create (or find) the job for this import: same municipality, options and file contents → same job."""
    layout = mapping.cached_layout(req.layout)
    dialect = resolve_dialect(layout.dialects, req.dialect, encoding=req.encoding)
    missing = [str(p) for p in req.paths if not p.is_file()]
    if missing:
        raise ImportError_(f"ファイルがありません: {', '.join(missing)}", code="migration-file-missing")
    assigned = assign_files(layout, req.paths)
    check_headers(assigned, dialect)
    files = [{"name": p.name, "spec": spec.name, "path": str(p.resolve()), "bytes": p.stat().st_size,
              "sha256": jobs.file_sha256(p)} for spec, p in assigned]
    if len({f["name"] for f in files}) != len(files):
        raise ImportError_("同じ名前のファイルが複数あります", code="migration-duplicate-file")
    options = {"dialect": dialect.__dict__, "source_system": req.source_system, "batch_size": req.batch_size,
               "gaiji_csv": str(req.gaiji_csv) if req.gaiji_csv else None}
    job_id = jobs.derive_job_id("import", req.lg_code, req.layout, options, [f["sha256"] for f in files])
    with db.session(req.lg_code) as session:
        return jobs.create(session, lg_code=req.lg_code, job_id=job_id, kind="import", layout=req.layout,
                           options=options | {"discard_inputs": req.discard_inputs}, files=files,
                           work_dir=req.work_root / req.lg_code / job_id, actor=req.actor)


# ------------------------------------------------------------------------------------------ context


@dataclass
class _Ctx:
    job: jobs.Job
    layout: Layout
    dialect: Dialect
    gaiji: dict[str, str]
    tenant: mapping.Tenant
    progress: jobs.ProgressCallback | None = None


@dataclass
class _FileRun:
    """What the stage pass learns about one input file."""

    no: int
    spec: FileSpec
    path: Path
    info: dict[str, Any]
    records: int = 0
    first_offset: int | None = None
    rejected: list[tuple[int, int, int, int]] = field(default_factory=list)  # record, line, offset, length
    reasons: list[pl.DataFrame] = field(default_factory=list)
    rejected_keys: list[pl.DataFrame] = field(default_factory=list)  # 宛名番号 (+履歴番号) of rejected rows


def tenant_of(session: Session, lg_code: str) -> mapping.Tenant:
    row = session.execute(text("SELECT prefecture, name FROM tenancy_municipalities WHERE lg_code = :c"),
                          {"c": lg_code}).first()
    return mapping.Tenant(lg_code, row[0], row[1]) if row else mapping.Tenant(lg_code)


def gaiji_map(session: Session, lg_code: str, options: dict[str, Any]) -> dict[str, str]:
    """Vendor 外字 → MJ glyph: the municipality's confirmed moji mapping, or a mapping CSV file."""
    out: dict[str, str] = {}
    if options.get("source_system"):
        from lgcloud.moji.service import load_mapping

        out |= dict(load_mapping(session, lg_code, options["source_system"]))
    if options.get("gaiji_csv"):
        from lgcloud.layout import load_gaiji_csv
        from lgcloud.moji import lookup

        for char, mj in load_gaiji_csv(options["gaiji_csv"]).items():
            record = lookup(mj)
            if record is None:
                raise ImportError_(f"外字対応表の MJ 文字図形名 {mj} が見つかりません", code="migration-gaiji-map")
            out[char] = record.glyph
    return out


def _context(db: Database, job: jobs.Job, progress: jobs.ProgressCallback | None) -> _Ctx:
    layout = mapping.cached_layout(job.layout)
    dialect = dialect_from_mapping({k: v for k, v in job.options["dialect"].items() if k != "description"})
    with db.session(job.lg_code) as session:
        return _Ctx(job, layout, dialect, gaiji_map(session, job.lg_code, job.options),
                    tenant_of(session, job.lg_code), progress)


def _notify(db: Database, ctx: _Ctx) -> None:
    if ctx.progress:
        with db.session(ctx.job.lg_code) as session:
            ctx.progress(jobs.get(session, ctx.job.lg_code, ctx.job.job_id))


def _set(db: Database, ctx: _Ctx, **values: Any) -> None:
    with db.session(ctx.job.lg_code) as session:
        jobs.update(session, ctx.job.lg_code, ctx.job.job_id, **values)
    _notify(db, ctx)


# ---------------------------------------------------------------------------------------------- run


def run_import(db: Database, lg_code: str, job_id: str, progress: jobs.ProgressCallback | None = None) -> jobs.Job:
    with db.session(lg_code) as session:
        job = jobs.get(session, lg_code, job_id)
    if job.state == "done":
        return job
    with jobs.exclusive(job):
        return _run(db, job, progress)


def _run(db: Database, job: jobs.Job, progress: jobs.ProgressCallback | None) -> jobs.Job:
    lg_code, job_id = job.lg_code, job.job_id
    ctx = _context(db, job, progress)
    _set(db, ctx, state="running", error=None)
    if job.phase in ("validate", "stage"):
        _validate_and_stage(db, ctx)
    _merge(db, ctx)
    _households(db, ctx)
    _report(db, ctx)
    with db.session(lg_code) as session:
        return jobs.get(session, lg_code, job_id)


# -------------------------------------------------------------------------------- validate + stage


def _validate_and_stage(db: Database, ctx: _Ctx) -> None:
    job = ctx.job
    with db.session(job.lg_code) as session:
        staging.clear_job(session, job.lg_code, job.job_id)
    _set(db, ctx, phase="validate", bytes_done=0, bytes_total=2 * sum(f["bytes"] for f in job.files))
    runs = [_FileRun(i, ctx.layout.file(f["spec"]), Path(f["path"]), f) for i, f in enumerate(job.files)]
    for run in runs:
        if jobs.file_sha256(run.path) != run.info["sha256"]:
            raise ImportError_(f"ファイル {run.path.name} がジョブ作成後に変更されています",
                               code="migration-file-changed")
    validator = Validator(ctx.layout, ctx.dialect, ctx.gaiji)

    def seen(count: int) -> None:
        with db.session(job.lg_code) as session:
            jobs.add_bytes(session, job.lg_code, job.job_id, count)
        _notify(db, ctx)

    result = validator.validate([(r.spec, r.path) for r in runs], progress=seen)
    _set(db, ctx, phase="stage")
    seq = {"person": 0, "foreign": 0, "household": 0}
    for run in runs:
        errors = result.errors.filter(pl.col("file") == run.path.name).drop("file")
        seq[run.spec.name] = _stage_file(db, ctx, run, errors, seq[run.spec.name])
    _cascade(db, ctx, runs)
    files = _write_quarantine(ctx, runs)
    with db.session(job.lg_code) as session:
        top = session.execute(select(func.max(staging_person.c.seq)).where(
            staging_person.c.lg_code == job.lg_code, staging_person.c.job_id == job.job_id)).scalar()
        size = int(job.options.get("batch_size") or BATCH_SIZE)
        jobs.update(session, job.lg_code, job.job_id, phase="merge", files=files,
                    records_total=sum(f["records"] for f in files), quarantined=sum(f["quarantined"] for f in files),
                    batches_total=0 if top is None else top // size + 1, batches_done=0, loaded=0)
    ctx.job.files = files
    _notify(db, ctx)


def _spans(batch: Batch) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(record, line, offset, length) of every record of a batch, in record order."""
    frame = batch.frame
    recs = [frame["__rec"].to_numpy()]
    lines = [frame["__line"].to_numpy()]
    offs = [frame["__off"].to_numpy()]
    extra = [i for i in batch.issues if i["rule"] in RECORD_RULES and i["record"] >= 0]
    if extra:
        recs.append(np.array([i["record"] for i in extra], dtype=np.int64))
        lines.append(np.array([i["line"] for i in extra], dtype=np.int64))
        offs.append(np.array([i["byte_offset"] for i in extra], dtype=np.int64))
    rec, line, off = (np.concatenate(a).astype(np.int64) for a in (recs, lines, offs))
    order = np.argsort(rec, kind="stable")
    rec, line, off = rec[order], line[order], off[order]
    if rec.size != batch.records:
        raise ImportError_(f"レコード境界を確定できません({rec.size}/{batch.records})", code="migration-spans")
    end = int(off[0]) + batch.bytes if off.size else 0
    length = np.diff(np.append(off, end))
    return rec, line, off, length


def _stage_file(db: Database, ctx: _Ctx, run: _FileRun, errors: pl.DataFrame, seq: int) -> int:
    header_bad = errors.filter((pl.col("record") < 0) & (pl.col("rule") == "header")).height > 0
    bad = set(errors.filter(pl.col("record") >= 0)["record"].to_list())
    run.reasons.append(errors)
    table = {"person": staging_person, "foreign": staging_foreign, "household": staging_household}[run.spec.name]
    with _StageWriter(db, ctx, table) as writer:
        return _stage_batches(ctx, run, bad, header_bad, writer, seq)


def _stage_batches(ctx: _Ctx, run: _FileRun, bad: set[int], header_bad: bool, writer: _StageWriter,
                   seq: int) -> int:
    for batch in iter_batches(run.path, run.spec, ctx.dialect):
        if batch.records == 0:
            continue
        rec, line, off, length = _spans(batch)
        run.records += batch.records
        if run.first_offset is None:
            run.first_offset = int(off[0])
        spans = pl.DataFrame({"__rec": rec, "__len": length})
        items = mapping.normalise(batch.frame, run.spec, ctx.dialect, ctx.gaiji).join(spans, on="__rec", how="left")
        rejected = pl.Series([header_bad] * items.height, dtype=pl.Boolean) | items["__rec"].is_in(list(bad))
        if run.spec.name == "person":
            other = ~rejected & (pl.Series(items["市区町村コード"]) != ctx.tenant.lg_code).fill_null(True)
            _cascade_reason(run, items.filter(other), "other-municipality")
            rejected = rejected | other
        if header_bad:
            _cascade_reason(run, items, "file-header")
        good = items.filter(~rejected)
        _remember_rejected(run, items.filter(rejected), rec, line, off, length, good["__rec"])
        frame = _staging_frame(ctx, run, good, seq)
        seq += good.height
        writer.submit(frame, batch.bytes)
    return seq


class _StageWriter:
    """Writes the staged batches one behind the mapping, each in its own transaction.

    On PostgreSQL a batch's COPY and INSERT … SELECT (server work, ~40 % of staging) run in a thread while
    the next batch is read and mapped (polars and psycopg release the GIL). SQLite writes inline: an
    in-memory database is per connection, and its inserts are Python work anyway.
    """

    def __init__(self, db: Database, ctx: _Ctx, table: Table) -> None:
        self.db, self.ctx, self.table = db, ctx, table
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="lgcloud-stage") if db.is_postgresql else None
        self._pending: Future[None] | None = None

    def __enter__(self) -> _StageWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        try:
            if exc_type is None:
                self._wait()
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=True)  # never leave a write running behind a failure

    def submit(self, frame: pl.DataFrame, nbytes: int) -> None:
        self._wait()
        if self._pool is None:
            self._write(frame, nbytes)
            _notify(self.db, self.ctx)
        else:
            self._pending = self._pool.submit(self._write, frame, nbytes)

    def _wait(self) -> None:
        """Let the write in flight finish (raising its error here) and report progress from this thread."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()
            _notify(self.db, self.ctx)

    def _write(self, frame: pl.DataFrame, nbytes: int) -> None:
        job = self.ctx.job
        with self.db.session(job.lg_code) as session:
            staging.write_rows(session, self.table, frame)
            jobs.add_bytes(session, job.lg_code, job.job_id, nbytes)


def _remember_rejected(run: _FileRun, rejected: pl.DataFrame, rec: np.ndarray, line: np.ndarray, off: np.ndarray,
                       length: np.ndarray, good: pl.Series) -> None:
    keep = ~np.isin(rec, good.to_numpy())
    run.rejected += list(zip(rec[keep].tolist(), line[keep].tolist(), off[keep].tolist(), length[keep].tolist(),
                             strict=True))
    if "宛名番号" in rejected.columns and rejected.height:
        cols = ["宛名番号", *(c for c in ("履歴番号", "世帯番号") if c in rejected.columns)]
        run.rejected_keys.append(rejected.select(cols))


def _cascade_reason(run: _FileRun, rows: pl.DataFrame, rule: str) -> None:
    if rows.height == 0:
        return
    value = pl.col("宛名番号") if "宛名番号" in rows.columns else pl.col("世帯番号")
    run.reasons.append(rows.select(
        pl.col("__rec").alias("record"), pl.col("__line").alias("line"), pl.col("__off").alias("byte_offset"),
        pl.lit(None, dtype=pl.String).alias("item"), pl.lit(rule).alias("rule"), value.alias("value"),
        pl.lit(CASCADE_RULES[rule]).alias("message")))


def _staging_frame(ctx: _Ctx, run: _FileRun, items: pl.DataFrame, seq: int) -> pl.DataFrame:
    keys_ = items.select(
        pl.lit(ctx.job.lg_code).alias("lg_code"), pl.lit(ctx.job.job_id).alias("job_id"),
        (pl.int_range(pl.len(), dtype=pl.Int64) + seq).alias("seq"), pl.lit(run.no).alias("file_no"),
        pl.col("__rec").alias("record"), pl.col("__line").alias("line"), pl.col("__off").alias("byte_offset"),
        pl.col("__len").cast(pl.Int64).alias("byte_length"))
    spec = run.spec
    if spec.name == "person":
        reg = mapping.person_to_registry(items, ctx.layout)
        derived = mapping.person_from_registry(reg.with_columns(pl.lit(None, dtype=pl.Boolean).alias("latest")),
                                               ctx.layout, ctx.tenant)
        extras = mapping.extras_json(items, derived, spec.names)
        return pl.concat([keys_, reg, mapping.search_keys(reg), extras.to_frame()], how="horizontal")
    if spec.name == "foreign":
        reg = mapping.foreign_to_registry(items, ctx.layout)
        extras = mapping.extras_json(items, mapping.foreign_from_registry(reg, ctx.layout), spec.names)
        return pl.concat([keys_, reg, extras.to_frame()], how="horizontal")
    doc = items.select(pl.struct(spec.names).struct.json_encode().alias("items"))
    return pl.concat([keys_, items.select(pl.col("世帯番号").alias("setai_no")), doc], how="horizontal")


# ----------------------------------------------------------------------------------------- cascade


def _cascade(db: Database, ctx: _Ctx, runs: list[_FileRun]) -> None:
    """Quarantine whole persons and whole 世帯, never part of them.

    A 宛名番号 with any rejected row, or already in the registry, goes to quarantine with all its rows; so do
    the other members of its 世帯 (by each person's latest row: the 世帯 rules — one 世帯主 — hold only for whole
    世帯), the 外国人 rows of those persons and the 世帯 file's row. Repeated until nothing changes.
    """
    lg, job = ctx.job.lg_code, ctx.job.job_id
    by_kind = {r.spec.name: r for r in runs}
    if "person" not in by_kind:
        _orphans(db, ctx, by_kind)
        return
    with db.session(lg) as session:
        staged = staging.read_frame(session, 'SELECT atena_no AS "宛名番号", rireki_no AS "履歴番号", '
                                    'setai_no AS "世帯番号" FROM migration_staging_person '
                                    "WHERE lg_code = :lg AND job_id = :job", {"lg": lg, "job": job})
        staged = staged.select(pl.col("宛名番号"), pl.col("履歴番号").cast(pl.Int64), pl.col("世帯番号"))
        staging.bulk_plans(session)
        registered = set(session.execute(select(staging_person.c.atena_no).distinct().join(
            current, (current.c.lg_code == staging_person.c.lg_code) & (current.c.atena_no == staging_person.c.atena_no)
        ).where(staging_person.c.lg_code == lg, staging_person.c.job_id == job)).scalars())
    rejected = [f.select(pl.col("宛名番号"), pl.col("履歴番号").cast(pl.Int64, strict=False),
                         pl.col("世帯番号") if "世帯番号" in f.columns else _null("世帯番号"))
                for r in runs if r.spec.name in ("person", "foreign") for f in r.rejected_keys]
    everyone = pl.concat([staged, *rejected])
    latest = (everyone.filter(pl.col("世帯番号").is_not_null()).sort("履歴番号", nulls_last=False)
              .group_by("宛名番号").agg(pl.col("世帯番号").last()))
    bad = {a for f in rejected for a in f["宛名番号"].to_list() if a}
    _drop(db, ctx, by_kind, registered, "already-registered")
    done, bad_setai = set(registered), set()
    pending = (bad | registered)
    while pending:
        setai = set(latest.filter(pl.col("宛名番号").is_in(list(pending)))["世帯番号"].to_list()) - bad_setai
        bad_setai |= setai
        members = set(latest.filter(pl.col("世帯番号").is_in(list(setai)))["宛名番号"].to_list())
        own, pulled = (pending - done), (members - done - pending)
        _drop(db, ctx, by_kind, own - registered, "person-incomplete")
        _drop(db, ctx, by_kind, pulled, "household-incomplete")
        done |= own | pulled
        pending = _orphans(db, ctx, by_kind) - done
    _drop_households(db, ctx, by_kind, bad_setai)


def _null(name: str) -> pl.Expr:
    return pl.lit(None, dtype=pl.String).alias(name)


def _keys(session: Session, values: set[str]) -> Any:
    """The values in a transaction-local temporary table, for one set-based semi-join (an IN list of
    thousands of keys on a table without statistics is a scan per statement on PostgreSQL)."""
    staging.bulk_plans(session)
    if staging.is_postgresql(session):
        session.execute(text("CREATE TEMP TABLE IF NOT EXISTS tmp_migration_keys (k varchar(20)) "
                             "ON COMMIT DELETE ROWS"))
    else:
        session.execute(text("CREATE TEMP TABLE IF NOT EXISTS tmp_migration_keys (k TEXT)"))
    session.execute(text("DELETE FROM tmp_migration_keys"))
    if staging.is_postgresql(session):  # one array parameter: a round trip per key was most of the cascade
        session.execute(text("INSERT INTO tmp_migration_keys (k) SELECT unnest(CAST(:k AS varchar[]))"),
                        {"k": sorted(values)})
    else:
        session.execute(text("INSERT INTO tmp_migration_keys (k) VALUES (:k)"), [{"k": v} for v in sorted(values)])
    return select(sa_table("tmp_migration_keys", sa_column("k")).c.k)


def _drop_households(db: Database, ctx: _Ctx, runs: dict[str, _FileRun], setai: set[str]) -> None:
    if "household" not in runs or not setai:
        return
    lg, job, t = ctx.job.lg_code, ctx.job.job_id, staging_household
    with db.session(lg) as session:
        where = (t.c.lg_code == lg, t.c.job_id == job, t.c.setai_no.in_(_keys(session, setai)))
        rows = session.execute(t.delete().where(*where).returning(
            t.c.record, t.c.line, t.c.byte_offset, t.c.byte_length, t.c.setai_no.label("atena_no"))).all()
    _quarantine_rows(runs["household"], rows, "household-incomplete")


def _drop(db: Database, ctx: _Ctx, runs: dict[str, _FileRun], atenas: set[str], rule: str) -> None:
    lg, job = ctx.job.lg_code, ctx.job.job_id
    if not atenas:
        return
    for table, kind, why in ((staging_person, "person", rule), (staging_foreign, "foreign", "person-rejected")):
        if kind not in runs:
            continue
        with db.session(lg) as session:
            where = (table.c.lg_code == lg, table.c.job_id == job, table.c.atena_no.in_(_keys(session, atenas)))
            rows = session.execute(table.delete().where(*where).returning(  # one pass: no SELECT, then DELETE
                table.c.file_no, table.c.record, table.c.line, table.c.byte_offset, table.c.byte_length,
                table.c.atena_no)).all()
        _quarantine_rows(runs[kind], rows, why)


def _orphans(db: Database, ctx: _Ctx, runs: dict[str, _FileRun]) -> set[str]:
    """Foreign rows whose person row is not staged: quarantine them, and their persons' other rows."""
    if "foreign" not in runs:
        return set()
    lg, job = ctx.job.lg_code, ctx.job.job_id
    f, p = staging_foreign, staging_person
    match = (p.c.lg_code == f.c.lg_code) & (p.c.job_id == f.c.job_id) & (p.c.atena_no == f.c.atena_no) & (
        p.c.rireki_no == f.c.rireki_no)
    with db.session(lg) as session:
        staging.bulk_plans(session)
        rows = session.execute(f.delete().where(f.c.lg_code == lg, f.c.job_id == job,
                                                ~select(p.c.seq).where(match).exists()).returning(
            f.c.file_no, f.c.record, f.c.line, f.c.byte_offset, f.c.byte_length, f.c.atena_no, f.c.seq)).all()
    _quarantine_rows(runs["foreign"], rows, "person-rejected")
    return {r.atena_no for r in rows}


def _quarantine_rows(run: _FileRun, rows: list[Any], rule: str) -> None:
    if not rows:
        return
    run.rejected += [(r.record, r.line, r.byte_offset, r.byte_length) for r in rows]
    run.reasons.append(pl.DataFrame({
        "record": [r.record for r in rows], "line": [r.line for r in rows],
        "byte_offset": [r.byte_offset for r in rows], "item": [None] * len(rows), "rule": [rule] * len(rows),
        "value": [r.atena_no for r in rows], "message": [CASCADE_RULES[rule]] * len(rows)}, schema=REASON_SCHEMA))


# -------------------------------------------------------------------------------------- quarantine


def _write_quarantine(ctx: _Ctx, runs: list[_FileRun]) -> list[dict[str, Any]]:
    qdir = ctx.job.work_dir / "quarantine"
    qdir.mkdir(parents=True, exist_ok=True)
    files = []
    for run in runs:
        target = qdir / run.path.name
        records = sorted(set(run.rejected))
        with run.path.open("rb") as src, target.open("wb") as out:
            out.write(src.read(run.first_offset if run.first_offset is not None else run.info["bytes"]))
            for _rec, _line, offset, length in records:
                src.seek(offset)
                data = src.read(length)
                if ctx.dialect.line_end != "none" and not data.endswith(b"\n"):
                    data += ctx.dialect.newline
                out.write(data)
        reasons = pl.concat([r.select(list(REASON_SCHEMA)).cast(REASON_SCHEMA) for r in run.reasons]).sort(
            ["line", "record"], nulls_last=False)
        reasons_path = qdir / f"{run.path.name}.reasons.csv"
        reasons.write_csv(reasons_path, include_bom=True)  # Excel reads UTF-8 with a BOM as UTF-8
        files.append({**run.info, "records": run.records, "quarantined": len(records),
                      "quarantine": str(target), "quarantine_sha256": jobs.file_sha256(target),
                      "reasons": str(reasons_path), "errors": reasons.height,
                      "rule_counts": dict(reasons.group_by("rule").len().sort("rule").iter_rows())})
    return files


# --------------------------------------------------------------------------------------- merge etc.


def _merge(db: Database, ctx: _Ctx) -> None:
    lg, job_id = ctx.job.lg_code, ctx.job.job_id
    with db.session(lg) as session:
        job = jobs.get(session, lg, job_id)
    if job.phase != "merge":
        return
    size = int(job.options.get("batch_size") or BATCH_SIZE)
    for batch_no in range(job.batches_total):
        with db.session(lg) as session:
            if not staging.batch_done(session, lg, job_id, "merge", batch_no):
                staging.merge_batch(session, lg, job_id, batch_no, size, job.actor)
        _notify(db, ctx)
    _set(db, ctx, phase="household")


def _households(db: Database, ctx: _Ctx) -> None:
    lg, job_id = ctx.job.lg_code, ctx.job.job_id
    with db.session(lg) as session:
        if jobs.get(session, lg, job_id).phase != "household":
            return
        staging.merge_households(session, lg, job_id)
        from lgcloud.migration.exporter import household_extras_for_job

        household_extras_for_job(session, ctx.layout, ctx.tenant, job_id, ctx.job.work_dir)
        jobs.update(session, lg, job_id, phase="report")
    _notify(db, ctx)


def _report(db: Database, ctx: _Ctx) -> None:
    lg, job_id = ctx.job.lg_code, ctx.job.job_id
    with db.session(lg) as session:
        job = jobs.get(session, lg, job_id)
        if job.phase != "report":
            return
        loaded = {
            i: staging.staged_count(session, {"person": staging_person, "foreign": staging_foreign,
                                              "household": staging_household}[f["spec"]], lg, job_id, i)
            for i, f in enumerate(job.files)}
    files = [{**f, "loaded": loaded[i]} for i, f in enumerate(job.files)]
    summary = reconcile.write_report(job, files, ctx.dialect)
    with db.session(lg) as session:
        staging.clear_job(session, lg, job_id)
        jobs.update(session, lg, job_id, phase="done", state="done" if summary["balanced"] else "failed",
                    files=files, summary=summary, finished_at=utcnow(), loaded=summary["loaded"],
                    error=None if summary["balanced"] else "照合結果が一致しません(入力 ≠ 取込 + 隔離)")
    if summary["balanced"] and job.options.get("discard_inputs"):
        _discard_inputs(job)
    _notify(db, ctx)


def _discard_inputs(job: jobs.Job) -> None:
    """Remove the job's input files, and their folder once empty (the upload folder of the web)."""
    for f in job.files:
        path = Path(f["path"])
        path.unlink(missing_ok=True)
        with contextlib.suppress(OSError):  # not empty: other files are not ours to remove
            path.parent.rmdir()

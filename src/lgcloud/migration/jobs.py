"""Migration jobs: the ``migration_jobs`` row, its progress, and running it.

A job's id is derived from what it does (municipality, layout, options and the SHA-256 of every input file),
so starting the same import again — after a crash, a ``kill -9``, or twice by mistake — finds the same job and
continues it from its last committed batch instead of loading anything twice.

:func:`run_job` is the task function: the embedded default runs it in a background thread
(:func:`start_in_thread`); a real job engine (Procrastinate on PostgreSQL) can call the same function.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import threading
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from lgcloud.db import Database
from lgcloud.db.base import utcnow
from lgcloud.errors import Conflict, NotFound
from lgcloud.migration.models import jobs

log = logging.getLogger(__name__)

PHASES = ("validate", "stage", "merge", "household", "report", "done")
PHASE_TITLES = {
    "validate": "検証", "stage": "ステージング(COPY)", "merge": "住民記録へ反映", "household": "世帯の登録",
    "report": "照合レポート作成", "done": "完了", "export": "出力", "archive": "ZIP の作成",
}
STATE_TITLES = {"queued": "待機中", "running": "実行中", "done": "完了", "failed": "失敗"}


@dataclass
class Job:
    lg_code: str
    job_id: str
    kind: str
    state: str
    phase: str
    layout: str
    options: dict[str, Any]
    files: list[dict[str, Any]]
    work_dir: Path
    actor: str
    bytes_total: int = 0
    bytes_done: int = 0
    records_total: int = 0
    loaded: int = 0
    quarantined: int = 0
    batches_total: int = 0
    batches_done: int = 0
    summary: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    finished_at: datetime | None = None

    @property
    def percent(self) -> float:
        """Overall progress: for an import, reading counts for half and merging for the other half."""
        if self.state == "done":
            return 100.0
        if self.kind == "export":  # persons written of the municipality's persons
            return round(99.0 * min(self.loaded / self.records_total, 1.0), 1) if self.records_total else 0.0
        read = self.bytes_done / self.bytes_total if self.bytes_total else 0.0
        merged = self.batches_done / self.batches_total if self.batches_total else 0.0
        if self.phase in ("validate", "stage", "export"):
            return round(50.0 * min(read, 1.0), 1)
        return round(50.0 + 45.0 * merged + (5.0 if self.phase in ("report", "done") else 0.0), 1)

    @property
    def phase_title(self) -> str:
        return PHASE_TITLES.get(self.phase, self.phase)

    @property
    def state_title(self) -> str:
        return STATE_TITLES.get(self.state, self.state)

    def public(self) -> dict[str, Any]:
        """Counts and checksums only (what an operator may see): never record contents."""
        return {
            "lg_code": self.lg_code, "job_id": self.job_id, "kind": self.kind, "state": self.state,
            "phase": self.phase, "layout": self.layout, "percent": self.percent,
            "records_total": self.records_total, "loaded": self.loaded, "quarantined": self.quarantined,
            "batches_total": self.batches_total, "batches_done": self.batches_done,
            "files": [{k: f.get(k) for k in ("name", "spec", "bytes", "sha256", "records", "loaded", "quarantined",
                                              "quarantine_sha256")} for f in self.files],
            "error": self.error,
            "created_at": self.created_at.isoformat() if self.created_at else None,
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
        }


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 22):
            digest.update(block)
    return digest.hexdigest()


def write_once(target: Path, write: Callable[[Path], object]) -> Path:
    """``target`` as ``write`` makes it, unless it is there already: written under a temporary name and then
    renamed, so it is never seen half-written, also with two requests at once."""
    if target.exists():
        return target
    partial = target.with_name(f".{target.name}.{os.getpid()}-{threading.get_ident()}.tmp")
    try:
        write(partial)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def archive(folder: Path, target: Path) -> Path:
    """``folder``'s files as one ZIP at ``target`` (:func:`write_once`): a download is served from disk, never
    built in a request's memory."""

    def write(path: Path) -> None:
        # level 1: the legacy CSVs still shrink several times over, at a multiple of level 6's speed
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
            for file in sorted(folder.rglob("*")):
                if file.is_file():
                    zf.write(file, file.relative_to(folder).as_posix())

    return write_once(target, write)


def derive_job_id(kind: str, lg_code: str, layout: str, options: dict[str, Any], hashes: list[str]) -> str:
    text = json.dumps([kind, lg_code, layout, options, sorted(hashes)], sort_keys=True, ensure_ascii=False)
    return f"{kind[:3]}-{hashlib.sha256(text.encode()).hexdigest()[:24]}"


def _from_row(row: Any) -> Job:
    m = row._mapping
    return Job(
        lg_code=m["lg_code"], job_id=m["job_id"], kind=m["kind"], state=m["state"], phase=m["phase"],
        layout=m["layout"], options=json.loads(m["options"]), files=json.loads(m["files"]),
        work_dir=Path(m["work_dir"]), actor=m["actor"], bytes_total=m["bytes_total"], bytes_done=m["bytes_done"],
        records_total=m["records_total"], loaded=m["loaded"], quarantined=m["quarantined"],
        batches_total=m["batches_total"], batches_done=m["batches_done"],
        summary=json.loads(m["summary"]) if m["summary"] else {}, error=m["error"],
        created_at=m["created_at"], updated_at=m["updated_at"], finished_at=m["finished_at"],
    )


def find(session: Session, lg_code: str, job_id: str) -> Job | None:
    row = session.execute(select(jobs).where(jobs.c.lg_code == lg_code, jobs.c.job_id == job_id)).first()
    return _from_row(row) if row else None


def get(session: Session, lg_code: str, job_id: str) -> Job:
    job = find(session, lg_code, job_id)
    if job is None:
        raise NotFound("指定された移行ジョブは見つかりません", code="migration-job-not-found")
    return job


def list_jobs(session: Session, lg_code: str, limit: int = 50) -> list[Job]:
    stmt = (select(jobs).where(jobs.c.lg_code == lg_code).order_by(jobs.c.created_at.desc(), jobs.c.job_id)
            .limit(limit))
    return [_from_row(r) for r in session.execute(stmt)]


def create(session: Session, *, lg_code: str, job_id: str, kind: str, layout: str, options: dict[str, Any],
           files: list[dict[str, Any]], work_dir: Path, actor: str) -> Job:
    """Create the job, or return the existing one with the same id (same work, same inputs)."""
    existing = find(session, lg_code, job_id)
    if existing is not None:
        return existing
    now = utcnow()
    session.execute(insert(jobs).values(
        lg_code=lg_code, job_id=job_id, kind=kind, state="queued", phase=PHASES[0] if kind == "import" else "export",
        layout=layout, options=json.dumps(options, ensure_ascii=False),
        files=json.dumps(files, ensure_ascii=False), work_dir=str(work_dir), actor=actor,
        bytes_total=sum(int(f.get("bytes", 0)) for f in files), bytes_done=0, records_total=0, loaded=0,
        quarantined=0, batches_total=0, batches_done=0, created_at=now, updated_at=now))
    return get(session, lg_code, job_id)


def update(session: Session, lg_code: str, job_id: str, **values: Any) -> None:
    for key in ("files", "summary", "options"):
        if key in values and not isinstance(values[key], str):
            values[key] = json.dumps(values[key], ensure_ascii=False)
    values["updated_at"] = utcnow()
    session.execute(jobs.update().where(jobs.c.lg_code == lg_code, jobs.c.job_id == job_id).values(**values))


def add_bytes(session: Session, lg_code: str, job_id: str, count: int) -> None:
    session.execute(jobs.update().where(jobs.c.lg_code == lg_code, jobs.c.job_id == job_id).values(
        bytes_done=jobs.c.bytes_done + count, updated_at=utcnow()))


# --------------------------------------------------------------------------------------- running


@contextmanager
def exclusive(job: Job) -> Iterator[None]:
    """One runner per job: an exclusive lock on a file in the job's directory, released by the operating system
    when the process ends however it ends (a ``kill -9`` included), so a rerun never waits for a dead runner."""
    job.work_dir.mkdir(parents=True, exist_ok=True)
    with (job.work_dir / "job.lock").open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise Conflict("この移行ジョブは別のプロセスで実行中です", code="migration-job-running") from exc
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)

ProgressCallback = Callable[[Job], None]


def run_job(db: Database, lg_code: str, job_id: str, progress: ProgressCallback | None = None) -> Job:
    """The task function: run (or resume) one job to its end. Safe to call again after any failure."""
    from lgcloud.migration import exporter, importer

    with db.session(lg_code) as session:
        job = get(session, lg_code, job_id)
    if job.state == "done":
        return job
    try:
        if job.kind == "import":
            return importer.run_import(db, lg_code, job_id, progress)
        return exporter.run_export_job(db, lg_code, job_id, progress)
    except Conflict:
        raise  # another runner has it: not a failure of the job
    except Exception as exc:
        log.exception("migration job %s failed", job_id)
        with db.session(lg_code) as session:
            update(session, lg_code, job_id, state="failed", error=str(exc)[:2000])
            return get(session, lg_code, job_id)


_threads: dict[tuple[str, str], threading.Thread] = {}
_lock = threading.Lock()


def start_in_thread(db: Database, lg_code: str, job_id: str) -> bool:
    """Run the job in a background thread of this process (embedded default); False if already running."""
    key = (lg_code, job_id)
    with _lock:
        running = _threads.get(key)
        if running is not None and running.is_alive():
            return False
        thread = threading.Thread(target=run_job, args=(db, lg_code, job_id), daemon=True,
                                  name=f"lgcloud-migration-{job_id}")
        _threads[key] = thread
        thread.start()
        return True


def wait(lg_code: str, job_id: str, timeout: float | None = None) -> None:
    thread = _threads.get((lg_code, job_id))
    if thread is not None:
        thread.join(timeout)

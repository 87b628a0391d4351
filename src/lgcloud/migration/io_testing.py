"""Helpers shared by the import/export tests and benchmarks: generated files for a tenant, a fresh database,
an import or export in one call, and a fingerprint of a municipality's registry.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from sqlalchemy import text

from lgcloud.db import Database
from lgcloud.db.migrate import upgrade
from lgcloud.migration import exporter, importer, jobs

SOURCE_SYSTEM = "vendor-a"  # the generator's vendor 外字 mapping


def generate_for(out: Path, lg_code: str, rows: int, **options: Any) -> Any:
    """``lgcloud demo-data generate`` output whose 市区町村コード is ``lg_code``."""
    from lgcloud.migration import generate as gen

    return gen.generate(gen.GenerateOptions(rows=rows, out=out, lg_code=lg_code, **options))


def add_tenants(db: Database, lg_codes: tuple[str, ...], group: str = "io-test") -> None:
    from lgcloud.tenancy import services
    from lgcloud.tenancy.models import PLATFORM_CHAIN

    with db.session(PLATFORM_CHAIN) as session:
        services.create_group(session, code=group, name="移行テスト")
    for lg_code in lg_codes:
        with db.session(lg_code) as session:
            services.add_municipality(session, group_code=group, lg_code=lg_code)


def fresh_sqlite(path: Path, lg_codes: tuple[str, ...] = ("182079",)) -> Database:
    upgrade(f"sqlite:///{path}")
    db = Database(f"sqlite:///{path}")
    add_tenants(db, lg_codes)
    return db


def load_vendor_mapping(db: Database, lg_code: str, mapping_csv: Path) -> None:
    from lgcloud.moji.service import import_csv

    with db.session(lg_code) as session:
        import_csv(session, lg_code, mapping_csv.read_bytes(), actor="test")


def import_files(db: Database, lg_code: str, paths: list[Path], work: Path, **options: Any) -> jobs.Job:
    req = importer.ImportRequest(lg_code, list(paths), work, **options)
    job = importer.prepare(db, req)
    return jobs.run_job(db, lg_code, job.job_id)


def export_to(db: Database, lg_code: str, out: Path, **options: Any) -> exporter.ExportResult:
    return exporter.export(db, exporter.ExportRequest(lg_code, out, **options))


REGISTRY_QUERIES = {
    "history": "SELECT atena_no, rireki_no, ido_id, setai_no, status, shimei, shimei_kana, birth_date, address, "
               "name_key, kana_key FROM residents_history WHERE lg_code = :lg ORDER BY atena_no, rireki_no",
    "ido": "SELECT ido_id, kind, reason, reason_class, ido_date, shori_date FROM residents_ido WHERE lg_code = :lg "
           "ORDER BY ido_id",
    "current": "SELECT atena_no, rireki_no, setai_no, status FROM residents_current WHERE lg_code = :lg "
               "ORDER BY atena_no",
    "households": "SELECT setai_no, created_ido_id FROM residents_households WHERE lg_code = :lg ORDER BY setai_no",
    "extras": "SELECT atena_no, rireki_no, part, items FROM migration_extras WHERE lg_code = :lg "
              "ORDER BY atena_no, rireki_no, part",
    "counters": "SELECT name, value FROM residents_counters WHERE lg_code = :lg ORDER BY name",
}


def registry_fingerprint(db: Database, lg_code: str) -> dict[str, tuple[int, str]]:
    """(row count, SHA-256 of the rows) of every registry table the import writes, for one municipality."""
    out = {}
    with db.session(lg_code) as session:
        for name, sql in REGISTRY_QUERIES.items():
            rows = session.execute(text(sql), {"lg": lg_code}).all()
            digest = hashlib.sha256(repr([tuple(str(v) for v in r) for r in rows]).encode()).hexdigest()
            out[name] = (len(rows), digest)
    return out

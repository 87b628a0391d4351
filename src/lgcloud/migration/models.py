"""Migration tables: jobs, per-batch done-markers, staging, and the source items the registry has no column for.

- ``migration_jobs``: one import or export run (state, phase, progress counters, files, report summary).
- ``migration_batches``: a done-marker per merged batch, committed in the *same* transaction as the batch's
  rows, so a job killed at any point and rerun merges every batch exactly once.
- ``migration_staging_person`` / ``_foreign`` / ``_household``: accepted records, already mapped to registry
  columns, loaded with COPY (PostgreSQL, UNLOGGED tables) or a bulk insert (SQLite); emptied when the job ends.
- ``migration_extras`` / ``migration_household_extras``: the source items that the registry cannot hold or
  cannot reproduce exactly (append-only), keyed like the history row they belong to. Export = what the
  registry derives, overridden by these, so export → import → export is byte-identical.

``lg_code`` leads every primary key (Citus-ready).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)
from sqlalchemy.types import TypeEngine

from lgcloud.db.base import Base

metadata = Base.metadata

#: Registry columns carried in person staging (residents_history names), frozen here and in 0500_migration.
STAGING_PERSON_COLUMNS: list[tuple[str, TypeEngine[object] | type[TypeEngine[object]]]] = [
    ("setai_no", String(20)),
    ("kind", String(1)),
    ("status", String(4)),
    ("shimei", Text),
    ("shimei_kana", Text),
    ("shimei_kana_confirmed", Boolean),
    ("alpha_name", Text),
    ("kyushi", Text),
    ("kyushi_kana", Text),
    ("kyushi_kana_confirmed", Boolean),
    ("tsusho", Text),
    ("tsusho_kana", Text),
    ("birth_date", Date),
    ("birth_date_text", Text),
    ("sex", String(1)),
    ("zokugara", String(60)),
    ("head_name", Text),
    ("household_order", Integer),
    ("honseki", Text),
    ("hittosha", Text),
    ("address", Text),
    ("address_code", String(20)),
    ("katagaki", Text),
    ("postal_code", String(10)),
    ("became_resident_on", Date),
    ("became_resident_on_text", Text),
    ("address_set_on", Date),
    ("address_set_on_text", Text),
    ("notified_on", Date),
    ("prev_address", Text),
    ("prev_postal_code", String(10)),
    ("juminhyo_code", String(11)),
    ("mynumber", String(12)),
    ("elector", Boolean),
    ("kokuho", Boolean),
    ("kouki", Boolean),
    ("kaigo", Boolean),
    ("pension_no", String(10)),
    ("pension_kind", String(20)),
    ("child_allowance_from", String(7)),
    ("adult_guardianship", Boolean),
    ("removal_reason", String(40)),
    ("move_out_planned_on", Date),
    ("move_out_to", Text),
    ("move_out_on", Date),
    ("removed_on", Date),
    ("removed_on_text", Text),
    ("remarks", Text),
]
#: The 異動 record items of each imported history row (residents_ido columns, prefixed).
STAGING_IDO_COLUMNS: list[tuple[str, TypeEngine[object] | type[TypeEngine[object]]]] = [
    ("ido_reason", String(40)),
    ("ido_reason_class", String(4)),
    ("ido_date", Date),
    ("ido_date_text", Text),
    ("shori_date", Date),
    ("todokede_date", Date),
    ("notice_date", Date),
    ("valid_from", Date),
]
STAGING_KEY_COLUMNS = ["kana_key", "kana_mei_key", "name_key", "name_mei_key", "alias_kana_key", "alias_key",
                       "address_key"]
STAGING_FOREIGN_COLUMNS: list[tuple[str, TypeEngine[object] | type[TypeEngine[object]]]] = [
    ("nationality", String(60)),
    ("foreign_status_kind", String(40)),
    ("residence_status", String(60)),
    ("period_of_stay", String(40)),
    ("stay_expires_on", Date),
    ("residence_card_no", String(20)),
    ("became_foreign_resident_on", Date),
    ("became_foreign_resident_on_text", Text),
    ("tsusho_recorded_on", Date),
]


def _lg() -> Column[str]:
    return Column("lg_code", String(6), nullable=False)


jobs = Table(
    "migration_jobs",
    metadata,
    _lg(),
    Column("job_id", String(40), nullable=False),
    Column("kind", String(10), nullable=False),  # import | export
    Column("state", String(12), nullable=False),  # queued | running | done | failed
    Column("phase", String(12), nullable=False),  # validate | stage | merge | household | report | done
    Column("layout", String(40), nullable=False),
    Column("options", Text, nullable=False),  # JSON: dialect, source system, …
    Column("files", Text, nullable=False),  # JSON list: name, path, sha256, bytes, records, loaded, quarantined
    Column("work_dir", Text, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("bytes_total", BigInteger, nullable=False, default=0),
    Column("bytes_done", BigInteger, nullable=False, default=0),
    Column("records_total", BigInteger, nullable=False, default=0),
    Column("loaded", BigInteger, nullable=False, default=0),
    Column("quarantined", BigInteger, nullable=False, default=0),
    Column("batches_total", Integer, nullable=False, default=0),
    Column("batches_done", Integer, nullable=False, default=0),
    Column("summary", Text),  # JSON: the reconciliation (counts and checksums only, no record contents)
    Column("error", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    PrimaryKeyConstraint("lg_code", "job_id"),
)

batches = Table(
    "migration_batches",
    metadata,
    _lg(),
    Column("job_id", String(40), nullable=False),
    Column("phase", String(12), nullable=False),
    Column("batch_no", Integer, nullable=False),
    Column("rows", Integer, nullable=False),
    Column("done_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("lg_code", "job_id", "phase", "batch_no"),
)


def _staging_keys() -> list[Column[object]]:
    return [
        _lg(),
        Column("job_id", String(40), nullable=False),
        Column("seq", BigInteger, nullable=False),  # order of the record among the job's records of this file kind
        Column("file_no", Integer, nullable=False),
        Column("record", BigInteger, nullable=False),  # 0-based record number in its file
        Column("line", BigInteger, nullable=False),  # 1-based physical line
        Column("byte_offset", BigInteger, nullable=False),
        Column("byte_length", Integer, nullable=False),
    ]


staging_person = Table(
    "migration_staging_person",
    metadata,
    *_staging_keys(),
    Column("atena_no", String(20), nullable=False),
    Column("rireki_no", Integer, nullable=False),
    *(Column(n, t) for n, t in STAGING_IDO_COLUMNS),
    *(Column(n, t) for n, t in STAGING_PERSON_COLUMNS),
    *(Column(n, String(200)) for n in STAGING_KEY_COLUMNS),
    Column("extras", Text),
    PrimaryKeyConstraint("lg_code", "job_id", "seq"),
    Index("ix_migration_staging_person_key", "lg_code", "job_id", "atena_no", "rireki_no"),
)

staging_foreign = Table(
    "migration_staging_foreign",
    metadata,
    *_staging_keys(),
    Column("atena_no", String(20), nullable=False),
    Column("rireki_no", Integer, nullable=False),
    *(Column(n, t) for n, t in STAGING_FOREIGN_COLUMNS),
    Column("extras", Text),
    PrimaryKeyConstraint("lg_code", "job_id", "seq"),
    Index("ix_migration_staging_foreign_key", "lg_code", "job_id", "atena_no", "rireki_no"),
)

staging_household = Table(
    "migration_staging_household",
    metadata,
    *_staging_keys(),
    Column("setai_no", String(20), nullable=False),
    Column("items", Text),  # JSON of the household file's items (derived items are recomputed at export)
    PrimaryKeyConstraint("lg_code", "job_id", "seq"),
)

extras = Table(
    "migration_extras",
    metadata,
    _lg(),
    Column("atena_no", String(20), nullable=False),
    Column("rireki_no", Integer, nullable=False),
    Column("part", String(10), nullable=False),  # person | foreign
    Column("items", Text, nullable=False),  # JSON {"k": [item names], "v": {item: value}}
    PrimaryKeyConstraint("lg_code", "atena_no", "rireki_no", "part"),
)

household_extras = Table(
    "migration_household_extras",
    metadata,
    _lg(),
    Column("setai_no", String(20), nullable=False),
    Column("items", Text, nullable=False),
    PrimaryKeyConstraint("lg_code", "setai_no"),
)

STAGING_TABLES = ("migration_staging_person", "migration_staging_foreign", "migration_staging_household")
READ_WRITE_TABLES = ("migration_jobs", "migration_batches", *STAGING_TABLES)
APPEND_ONLY_TABLES = ("migration_extras", "migration_household_extras")

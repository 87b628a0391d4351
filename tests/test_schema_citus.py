"""The schema stays ready for Citus: distributed by lg_code, which leads every tenant key."""

from lgcloud.db.models import load_all_models

#: Platform tables that carry lg_code as a plain attribute (they are not distributed by it).
PLATFORM_TABLES = {"tenancy_municipalities", "tenancy_users", "tenancy_group_memberships"}


def _tenant_tables():  # type: ignore[no-untyped-def]
    return [t for t in load_all_models().sorted_tables if "lg_code" in t.c and t.name not in PLATFORM_TABLES]


def test_lg_code_leads_every_tenant_primary_key() -> None:
    bad = [t.name for t in _tenant_tables() if next(iter(t.primary_key.columns)).name != "lg_code"]
    assert bad == []


def test_foreign_keys_between_tenant_tables_include_lg_code() -> None:
    tenant_names = {t.name for t in _tenant_tables()}
    bad = []
    for table in _tenant_tables():
        for fk in table.foreign_key_constraints:
            if fk.referred_table.name in tenant_names and "lg_code" not in {c.name for c in fk.columns}:
                bad.append(f"{table.name} -> {fk.referred_table.name}")
    assert bad == []


def test_there_are_tenant_tables_to_check() -> None:
    assert {"tenancy_audit_log", "tenancy_api_tokens"} <= {t.name for t in _tenant_tables()}

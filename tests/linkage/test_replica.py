"""The example 国保 replica equals the registry after random 異動 with consumer crashes and kill -9."""

from __future__ import annotations

import random
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from linkage_helpers import Clerk, registry_state
from scenarios import run_random

from lgcloud.tenancy import services

EXAMPLE = Path(__file__).parents[2] / "examples" / "kokuho_replica"
sys.path.insert(0, str(EXAMPLE))

from kokuho_replica import Replica, catch_up, sync_once  # noqa: E402


def _token(database, lg_code: str) -> str:  # type: ignore[no-untyped-def]
    with database.session(lg_code) as session:
        token, _ = services.create_token(session, lg_code=lg_code, name="国保", scopes=["resident:read"])
    return token


def _expected(database, lg_code: str) -> dict[str, tuple]:  # type: ignore[no-untyped-def]
    return {a: (r, s, f"福井県鯖江市{addr}", st) for a, (r, s, addr, st) in registry_state(database, lg_code).items()}


class Crash(Exception):
    pass


@pytest.mark.parametrize("seed", [7, 2025])
def test_replica_converges_through_crashes(app, database, tenants, clerk: Clerk, tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    token, client = _token(database, tenants.a), TestClient(app)
    path = tmp_path / "kokuho.sqlite3"
    replica, crashes = Replica(path, tenants.a), 0
    original = Replica.apply

    def flaky(self: Replica, event: dict) -> bool:
        if rng.random() < 0.15:
            raise Crash("consumer died mid-page")
        return original(self, event)

    Replica.apply = flaky  # type: ignore[method-assign]
    try:
        for _ in range(6):
            run_random(rng, clerk, 6)
            for _ in range(3):
                try:
                    sync_once(client, replica, token=token, limit=rng.randint(1, 7))
                except Crash:
                    crashes += 1
                    replica.close()
                    replica = Replica(path, tenants.a)  # restart from the durable cursor
    finally:
        Replica.apply = original  # type: ignore[method-assign]
    catch_up(client, replica, token=token, limit=5)
    expected = _expected(database, tenants.a)
    assert crashes > 0 and len(expected) > 5
    assert replica.persons() == expected


def test_replica_survives_kill_9(app, database, tenants, clerk: Clerk, live_server: str, tmp_path: Path) -> None:
    run_random(random.Random(11), clerk, 40)
    token, db = _token(database, tenants.a), tmp_path / "kokuho.sqlite3"
    base = [sys.executable, str(EXAMPLE / "kokuho_replica.py"), "--url", live_server, "--tenant", tenants.a,
            "--token", token, "--db", str(db), "--limit", "1"]  # fmt: skip
    process = subprocess.Popen([*base, "--wait", "1"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (not db.exists() or Replica(db, tenants.a).cursor < 3):
        time.sleep(0.05)
    process.kill()  # SIGKILL: no cleanup, possibly mid-transaction
    process.wait(timeout=10)
    assert Replica(db, tenants.a).cursor >= 3
    run_random(random.Random(12), clerk, 10)  # the registry moves on while the consumer is down
    finished = subprocess.run([*base, "--until-head"], capture_output=True, text=True, timeout=120, check=True)
    assert '"cursor"' in finished.stdout
    assert Replica(db, tenants.a).persons() == _expected(database, tenants.a)

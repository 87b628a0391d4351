"""A small 国保 (National Health Insurance) replica: keeps its own SQLite copy of one municipality's
residents current from the lgcloud PULL feed, and survives being killed at any moment.

It depends on httpx and the standard library only — a linked system does not install lgcloud.

Durability: each page of events is applied *and* the cursor advanced in one SQLite transaction, so a
kill before the commit replays the page on restart and a kill after it resumes after the page. Applying
is idempotent (an event id is applied once; a person row only moves forward in 履歴番号), so replays
are harmless.

    python kokuho_replica.py --url http://127.0.0.1:8000 --tenant 182079 \\
        --token lgc_182079_… --db kokuho.sqlite3            # follow forever (long poll)
    python kokuho_replica.py … --until-head                  # catch up, then exit
"""

from __future__ import annotations

import argparse
import json
import signal
import sqlite3
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import httpx

SCHEMA = """
CREATE TABLE IF NOT EXISTS feed_cursor (lg_code TEXT PRIMARY KEY, after INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS applied_events (event_id TEXT PRIMARY KEY, seq INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS persons (
    atena_no TEXT PRIMARY KEY,      -- 宛名番号
    rireki_no INTEGER NOT NULL,     -- 履歴番号 of the snapshot held
    setai_no TEXT NOT NULL,         -- 世帯番号
    shimei TEXT NOT NULL,           -- 氏名, byte for byte (IVS kept)
    kana TEXT,
    birth_date TEXT,                -- ISO
    birth_text TEXT,                -- 不詳 / non-calendar wording
    sex TEXT NOT NULL,
    address TEXT,                   -- 住所.表記
    status TEXT NOT NULL,           -- 住民状態
    kokuho INTEGER NOT NULL,        -- 国保被保険者
    protected INTEGER,              -- 支援対象者 (NULL: unknown, treat as protected)
    last_seq INTEGER NOT NULL
);
"""


class Replica:
    """The replica's own database. One instance per process; reopen after a crash."""

    def __init__(self, path: str | Path, lg_code: str) -> None:
        self.lg_code = lg_code
        self.db = sqlite3.connect(str(path), isolation_level=None)  # explicit transactions below
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.executescript(SCHEMA)

    @property
    def cursor(self) -> int:
        row = self.db.execute("SELECT after FROM feed_cursor WHERE lg_code = ?", (self.lg_code,)).fetchone()
        return int(row[0]) if row else 0

    def apply_page(self, events: Iterable[dict[str, Any]], next_cursor: int) -> int:
        """Apply a page and move the cursor, atomically. Returns how many events were new."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            applied = sum(self.apply(event) for event in events)
            self.db.execute(
                "INSERT INTO feed_cursor (lg_code, after) VALUES (?, ?) "
                "ON CONFLICT (lg_code) DO UPDATE SET after = excluded.after",
                (self.lg_code, next_cursor),
            )
            self.db.execute("COMMIT")
            return applied
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def apply(self, event: dict[str, Any]) -> bool:
        seen = self.db.execute("SELECT 1 FROM applied_events WHERE event_id = ?", (event["id"],)).fetchone()
        if seen:
            return False
        self.db.execute("INSERT INTO applied_events (event_id, seq) VALUES (?, ?)", (event["id"], event["lgcloudseq"]))
        person = event["data"].get("人")
        if person:
            self._upsert(person, event)
        return True

    def _upsert(self, p: dict[str, Any], event: dict[str, Any]) -> None:
        birth = p.get("生年月日") or {}
        values = (
            p["宛名番号"], p["履歴番号"], p["世帯番号"], p["氏名"]["姓名"], p["氏名"].get("姓名カナ表記"),
            birth.get("標準型日付"), birth.get("表記"), p["性別コード"], (p.get("住所") or {}).get("表記"),
            p["住民状態"], int(bool((p.get("他業務") or {}).get("国民健康保険"))),
            None if event["data"].get("支援対象者") is None else int(event["data"]["支援対象者"]),
            event["lgcloudseq"],
        )  # fmt: skip
        self.db.execute(
            """INSERT INTO persons VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (atena_no) DO UPDATE SET rireki_no = excluded.rireki_no, setai_no = excluded.setai_no,
                 shimei = excluded.shimei, kana = excluded.kana, birth_date = excluded.birth_date,
                 birth_text = excluded.birth_text, sex = excluded.sex, address = excluded.address,
                 status = excluded.status, kokuho = excluded.kokuho, protected = excluded.protected,
                 last_seq = excluded.last_seq
               WHERE excluded.rireki_no >= persons.rireki_no""",
            values,
        )

    def persons(self) -> dict[str, tuple[int, str, str | None, str]]:
        """宛名番号 → (履歴番号, 氏名, 住所表記, 住民状態)."""
        rows = self.db.execute("SELECT atena_no, rireki_no, shimei, address, status FROM persons")
        return {r[0]: (r[1], r[2], r[3], r[4]) for r in rows}

    def close(self) -> None:
        self.db.close()


def sync_once(
    client: httpx.Client, replica: Replica, *, token: str, limit: int = 100, wait: float = 0
) -> tuple[int, int]:
    """Fetch one page after the durable cursor and apply it. Returns (events received, head)."""
    response = client.get(
        f"/api/v1/municipalities/{replica.lg_code}/events",
        params={"after": str(replica.cursor), "limit": limit, "wait": wait},
        headers={"Authorization": f"Bearer {token}"},
    )
    response.raise_for_status()
    page = response.json()
    replica.apply_page(page["events"], int(page["next_cursor"]))
    return len(page["events"]), int(page["head"])


def catch_up(client: httpx.Client, replica: Replica, *, token: str, limit: int = 100) -> None:
    while True:
        received, head = sync_once(client, replica, token=token, limit=limit)
        if received == 0 and replica.cursor >= head:
            return


def follow(client: httpx.Client, replica: Replica, *, token: str, limit: int, wait: float) -> None:
    """Forever: long-poll, apply, repeat; back off on errors (server restarts, network)."""
    delay = 1.0
    while True:
        try:
            sync_once(client, replica, token=token, limit=limit, wait=wait)
            delay = 1.0
        except httpx.HTTPError as exc:
            print(f"feed error: {exc}; retrying in {delay:.0f} s", file=sys.stderr)
            time.sleep(delay)
            delay = min(delay * 2, 60)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="国保 replica from the lgcloud PULL feed")
    parser.add_argument("--url", required=True)
    parser.add_argument("--tenant", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--db", default="kokuho.sqlite3")
    parser.add_argument("--limit", type=int, default=100)
    parser.add_argument("--wait", type=float, default=25)
    parser.add_argument("--until-head", action="store_true", help="catch up, print the state as JSON and exit")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    replica = Replica(args.db, args.tenant)
    with httpx.Client(base_url=args.url, timeout=args.wait + 30) as client:
        if args.until_head:
            catch_up(client, replica, token=args.token, limit=args.limit)
            print(json.dumps({"cursor": replica.cursor, "persons": len(replica.persons())}))
            return 0
        follow(client, replica, token=args.token, limit=args.limit, wait=args.wait)
    return 0


if __name__ == "__main__":
    sys.exit(main())

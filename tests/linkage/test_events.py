"""CloudEvents from the outbox: envelope, IMI/GIF data, characters intact, schemas, catalogue."""

from __future__ import annotations

import json

import jsonschema
from linkage_helpers import IVS_MEI, IVS_SEI, Clerk

from lgcloud.linkage import cloudevents, feed, outbox
from lgcloud.linkage.catalogue import BY_TYPE, CATALOGUE
from lgcloud.linkage.schemas import all_schemas, event_schema
from lgcloud.residents.commands import AddressInput, MoveOut, MoveWithin
from lgcloud.residents.events import EventType


def _events(clerk: Clerk, after: int = 0) -> list[dict]:
    with clerk.db.session(clerk.lg_code) as session:
        return feed.read_page(session, clerk.lg_code, after=after, limit=100).events


def _validate(event: dict) -> None:
    jsonschema.Draft202012Validator(
        event_schema(event["type"]), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    ).validate(event)


def test_move_in_event_is_a_cloudevent_in_imi_vocabulary(clerk: Clerk) -> None:
    result = clerk.move_in(f"{IVS_SEI}　{IVS_MEI}", kana="カツラギ　ナベコ", others=1)
    events = _events(clerk)
    assert [e["lgcloudseq"] for e in events] == [1, 2]
    head = events[0]
    assert head["specversion"] == "1.0"
    assert head["type"] == EventType.TENNYU
    assert head["source"] == f"urn:lgcloud:municipality:{clerk.lg_code}"
    assert head["subject"] == result.rows[0].atena_no
    assert head["time"].endswith("Z")
    person = head["data"]["人"]
    assert person["氏名"]["姓名"] == f"{IVS_SEI}　{IVS_MEI}"  # IVS kept, nothing normalised
    assert person["氏名"]["姓"] == IVS_SEI
    assert person["生年月日"] == {"@type": "日付型", "標準型日付": "1980-01-02", "表記": None}
    address = person["住所"]
    assert address["全国地方公共団体コード"] == clerk.lg_code
    assert address["表記"] == "福井県鯖江市本町一丁目1番地"
    assert (address["町字"], address["番地以下"]) == ("本町一丁目", "1番地")
    assert head["data"]["異動"]["異動事由"] == "国内転入"
    assert head["data"]["異動"]["本人異動"] is True
    assert "個人番号" not in person
    for event in events:
        _validate(event)
    # The wire form keeps the characters too (UTF-8, no escaping needed, round trip exact).
    wire = json.dumps(head, ensure_ascii=False).encode()
    assert json.loads(wire)["data"]["人"]["氏名"]["姓名"] == f"{IVS_SEI}　{IVS_MEI}"


def test_every_event_type_of_a_sequence_validates(clerk: Clerk) -> None:
    family = clerk.move_in(others=2)
    head, child = family.rows[0].atena_no, family.rows[1].atena_no
    clerk.do(MoveWithin(atena_nos=[child], address=AddressInput(address="新町2番地"), zokugara={child: "世帯主"}))
    clerk.do(MoveOut(atena_nos=[head], move_out_to="東京都港区芝公園1丁目", ido_date="2025-07-10"))
    events = _events(clerk)
    assert {e["type"] for e in events} >= {EventType.TENNYU, EventType.TENKYO, EventType.TENSHUTSU}
    for event in events:
        _validate(event)
    follow_ups = [e for e in events if e["type"] == EventType.TENSHUTSU and not e["data"]["異動"]["本人異動"]]
    assert follow_ups  # the child left behind gets a new 世帯主 by 職権: flagged as not the mover


def test_the_cursor_is_gap_free_and_pages_are_stable(clerk: Clerk) -> None:
    for i in range(5):
        clerk.move_in(f"山田　{i}郎", kana=f"ヤマダ　{i}")
    with clerk.db.session(clerk.lg_code) as session:
        first = feed.read_page(session, clerk.lg_code, after=0, limit=3)
        second = feed.read_page(session, clerk.lg_code, after=first.next_cursor, limit=3)
        again = feed.read_page(session, clerk.lg_code, after=0, limit=3)
    seqs = [e["lgcloudseq"] for e in first.events + second.events]
    assert seqs == [1, 2, 3, 4, 5]
    assert second.next_cursor == 5 == second.head
    assert again.events == first.events  # same cursor, same bytes


def test_type_filter_skips_ahead_to_the_head(clerk: Clerk) -> None:
    family = clerk.move_in(others=1)
    clerk.do(MoveOut(atena_nos=[r.atena_no for r in family.rows], move_out_to="東京都港区"))
    with clerk.db.session(clerk.lg_code) as session:
        page = feed.read_page(session, clerk.lg_code, after=0, limit=10, types=[EventType.SHIBOU])
        head = outbox.head(session, clerk.lg_code)
    assert page.events == []
    assert page.next_cursor == head == 4


def test_catalogue_covers_every_residents_event_type() -> None:
    from lgcloud.linkage.catalogue import is_protection

    assert {str(t) for t in EventType} == {t for t in BY_TYPE if not is_protection(t)}
    schemas = all_schemas()
    assert set(schemas) == set(BY_TYPE)
    for schema in schemas.values():
        jsonschema.Draft202012Validator.check_schema(schema)


def test_generated_events_doc_is_current() -> None:
    from pathlib import Path

    from lgcloud.linkage.docs import events_markdown

    path = Path(__file__).parents[2] / "docs" / "linkage" / "events.md"
    assert path.read_text(encoding="utf-8") == events_markdown(), "run: lgcloud linkage docs"
    for kind in CATALOGUE:
        assert kind.type in path.read_text(encoding="utf-8")


def test_source_and_time_format() -> None:
    from datetime import UTC, datetime

    assert cloudevents.iso_time(datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)) == "2025-01-02T03:04:05Z"


def test_protected_persons_are_flagged(clerk: Clerk) -> None:
    from datetime import date

    from lgcloud.protection import domain, services
    from lgcloud.protection.domain import Level, Process, Scope

    family = clerk.move_in(others=1)
    head, child = family.rows[0].atena_no, family.rows[1].atena_no
    supervisor = services.Actor(f"supervisor-{clerk.lg_code}")
    with clerk.db.session(clerk.lg_code) as session:
        measure = domain.apply(domain.Party(name="山田　太郎", atena_no=head), date(2025, 6, 1))
        services.register_measure(session, clerk.lg_code, supervisor, measure, today=date(2025, 6, 30))
        services.set_suppression(session, clerk.lg_code, supervisor, scope=Scope.PERSON, target=child,
                                 process=Process.CERTIFICATE, level=Level.ERROR, start_on=date(2025, 1, 1))  # fmt: skip
    by_subject = {e["subject"]: e["data"] for e in _events(clerk)}
    assert by_subject[head]["支援対象者"] is True
    assert by_subject[child]["支援対象者"] is False
    assert by_subject[child]["抑止"] == {"証明書発行": "エラー"}
    for event in _events(clerk):
        _validate(event)


def test_protection_changes_publish_in_their_own_transaction(clerk: Clerk) -> None:
    """How lgcloud.protection is to publish: ``outbox.publish`` in the same transaction as the change."""
    from datetime import date

    import pytest

    from lgcloud.linkage.catalogue import ProtectionEventType
    from lgcloud.protection import services
    from lgcloud.protection.domain import Level, Process, Scope

    family = clerk.move_in()
    atena = family.rows[0].atena_no
    supervisor = services.Actor(f"supervisor-{clerk.lg_code}")

    def suppress(fail: bool) -> None:
        """Setting a 抑止 publishes its event itself, in the same transaction."""
        with clerk.db.session(clerk.lg_code) as session:
            services.set_suppression(
                session,
                clerk.lg_code,
                supervisor,
                scope=Scope.PERSON,
                target=atena,
                process=Process.CERTIFICATE,
                level=Level.ERROR,
                start_on=date(2025, 1, 1),
            )
            if fail:
                raise RuntimeError("fault after the event, before commit")  # fmt: skip

    with pytest.raises(RuntimeError):
        suppress(fail=True)
    assert [e["type"] for e in _events(clerk)] == [EventType.TENNYU]  # neither the 抑止 nor its event
    suppress(fail=False)
    event = _events(clerk)[-1]
    assert (event["type"], event["subject"], event["lgcloudseq"]) == (ProtectionEventType.YOKUSHI_SETTEI, atena, 2)
    assert event["data"]["保護"]["処理"] == "証明書発行" and event["data"]["抑止"] == {"証明書発行": "エラー"}
    _validate(event)

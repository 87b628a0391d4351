"""Webhooks may not reach the platform's own insides (SSRF): loopback, link-local (metadata), "this host"."""

from __future__ import annotations

import socket
from ipaddress import ip_address

import httpx
import pytest
from linkage_helpers import Clerk
from receiver import Receiver, running

from lgcloud.linkage import subscriptions, webhooks
from lgcloud.linkage.destinations import DestinationGuard, DestinationRefused, GuardedTransport

REFUSED = ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1", "169.254.169.254", "fe80::1", "0.0.0.0", "224.0.0.1"]
#: LGWAN and 庁内 networks use private ranges: the linked systems live there.
OPEN = ["10.1.2.3", "172.16.0.5", "192.168.10.20", "203.0.113.7", "2001:db8::1"]


@pytest.mark.parametrize("address", REFUSED)
def test_internal_addresses_are_refused(address: str) -> None:
    assert DestinationGuard().refuses(ip_address(address))
    with pytest.raises(DestinationRefused, match="内部向け"):
        DestinationGuard().check(address if ":" not in address else f"[{address}]")


@pytest.mark.parametrize("address", OPEN)
def test_private_and_public_addresses_are_open(address: str) -> None:
    assert not DestinationGuard().refuses(ip_address(address))


def test_a_name_is_checked_by_what_it_resolves_to() -> None:
    with pytest.raises(DestinationRefused):
        DestinationGuard().check("localhost")
    assert DestinationGuard().check("no-such-host.invalid") == []  # unresolvable: the connection fails


def test_the_operator_opens_only_what_it_names() -> None:
    guard = DestinationGuard.from_setting("127.0.0.1/32")
    assert not guard.refuses(ip_address("127.0.0.1"))
    assert guard.refuses(ip_address("127.0.0.2")) and guard.refuses(ip_address("169.254.169.254"))
    with pytest.raises(DestinationRefused):
        DestinationGuard.from_setting("127.0.0.1/33")


def test_a_refused_delivery_never_reaches_the_receiver_and_ends_dead(database, tenants, clerk: Clerk) -> None:
    policy = webhooks.RetryPolicy(base_seconds=0, max_attempts=2)  # the default guard: loopback refused
    with running(Receiver()) as rx:
        with database.session(tenants.a) as session:
            _, rx.secret = subscriptions.create(session, tenants.a, name="国保", url=rx.url, actor="admin")
        clerk.move_in()
        first = webhooks.deliver_due(database, policy=policy)
        assert first.failed == 1 and "内部向け" in (first.outcomes[0].error or "")
        assert webhooks.deliver_due(database, policy=policy).dead == 1
        assert rx.requests == 0
    with database.session(tenants.a) as session:
        (dead,) = subscriptions.list_deliveries(session, tenants.a, state="dead")
    assert dead["last_status"] is None and "LGCLOUD_WEBHOOK_ALLOW_NETWORKS" in dead["last_error"]


@pytest.fixture
def resolver(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Names under ``.test`` answer from this table, one answer per lookup (the last one repeats)."""
    answers: dict[str, list[str]] = {}
    real = socket.getaddrinfo

    def lookup(host, port, *args, **kwargs):  # type: ignore[no-untyped-def]
        if isinstance(host, str) and host.endswith(".test"):
            queue = answers[host]
            address = queue.pop(0) if len(queue) > 1 else queue[0]
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port or 0))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", lookup)
    return answers


def test_a_name_is_connected_to_the_address_that_was_checked(resolver: dict[str, list[str]]) -> None:
    """DNS rebinding: the name answers a harmless address to the first lookup and loopback to the next. The
    connection goes to the address checked; the service on loopback is never reached."""
    with running(Receiver()) as rx:
        port = httpx.URL(rx.url).port
        resolver["rebind.test"] = ["192.0.2.1", "127.0.0.1"]  # TEST-NET-1: nothing answers there
        with httpx.Client(transport=GuardedTransport(DestinationGuard()), timeout=0.5) as client:
            with pytest.raises(httpx.TransportError):
                client.post(f"http://rebind.test:{port}/", content=b"{}")
            resolver["loopback.test"] = ["127.0.0.1"]
            with pytest.raises(httpx.ConnectError, match="内部向け"):
                client.post(f"http://loopback.test:{port}/", content=b"{}")
        assert rx.requests == 0


def test_a_name_the_operator_opened_reaches_its_receiver(resolver: dict[str, list[str]]) -> None:
    with running(Receiver(always_fail=True)) as rx:
        resolver["receiver.test"] = ["127.0.0.1"]
        guard = DestinationGuard.from_setting("127.0.0.1/32")
        with httpx.Client(transport=GuardedTransport(guard), timeout=5) as client:
            response = client.post(f"http://receiver.test:{httpx.URL(rx.url).port}/", content=b"{}")
        assert response.status_code == 503 and rx.requests == 1

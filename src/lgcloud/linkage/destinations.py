"""Where webhooks may go: not into the platform's own insides (SSRF).

A municipal admin registers a webhook URL and the worker POSTs to it from inside the cloud. Unchecked, a
URL naming 127.0.0.1 or 169.254.169.254 would have the platform call its own services, or the cloud's
metadata endpoint, on the admin's behalf. Those ranges are refused when the request is made (after name
resolution, so a host name pointing there is refused too). Private ranges (10/8, 172.16/12, 192.168/16)
stay open: the linked 税・国保・選挙 systems sit on LGWAN and 庁内 networks that use them. The operator can
open a refused range for a deployment (``LGCLOUD_WEBHOOK_ALLOW_NETWORKS``, e.g. ``127.0.0.1/32`` for a
receiver on the same host in development).

The check is made where the connection is opened, on the addresses the name resolved to, and the
connection goes to one of those very addresses: a name answering differently to a second lookup (DNS
rebinding) never gets one. TLS still verifies the certificate against the name.
"""

from __future__ import annotations

import socket
import typing
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network

import httpcore
import httpx

from lgcloud.errors import LgcloudError

Network = IPv4Network | IPv6Network
Address = IPv4Address | IPv6Address

REFUSED_NETWORKS: tuple[Network, ...] = tuple(
    ip_network(n)
    for n in (
        "127.0.0.0/8", "::1/128",  # loopback: this host's own services
        "169.254.0.0/16", "fe80::/10",  # link-local: cloud metadata endpoints live here
        "0.0.0.0/8", "::/128",  # "this host"
        "224.0.0.0/4", "ff00::/8",  # multicast
    )
)  # fmt: skip


class DestinationRefused(LgcloudError):
    code = "webhook-destination-refused"
    status = 422


@dataclass(frozen=True)
class DestinationGuard:
    """Refuses :data:`REFUSED_NETWORKS` except what ``allow`` opens."""

    allow: tuple[Network, ...] = ()

    @classmethod
    def from_setting(cls, networks: str) -> DestinationGuard:
        """``"127.0.0.1/32, ::1"`` → a guard that lets those through; an invalid entry is an error."""
        try:
            return cls(tuple(ip_network(n.strip()) for n in networks.split(",") if n.strip()))
        except ValueError as exc:
            raise DestinationRefused(f"LGCLOUD_WEBHOOK_ALLOW_NETWORKS が正しくありません: {exc}") from exc

    def refuses(self, address: Address) -> bool:
        if isinstance(address, IPv6Address) and address.ipv4_mapped:  # ::ffff:127.0.0.1 is 127.0.0.1
            address = address.ipv4_mapped
        refused = any(address in n for n in REFUSED_NETWORKS if n.version == address.version)
        return refused and not any(address in n for n in self.allow if n.version == address.version)

    def check(self, host: str) -> list[Address]:
        """The addresses ``host`` is or resolves to, or :class:`DestinationRefused` if one of them is refused.
        A name that does not resolve gives no address: connecting to it then fails."""
        addresses = _addresses(host)
        for address in addresses:
            if self.refuses(address):
                raise DestinationRefused(
                    f"配信先 {host}({address})は内部向けのアドレスのため送信しません"
                    "(運用者が LGCLOUD_WEBHOOK_ALLOW_NETWORKS で許可できます)"
                )
        return addresses


def _addresses(host: str) -> list[Address]:
    try:
        return [ip_address(host.strip("[]"))]
    except ValueError:
        pass
    try:
        found = [ip_address(info[4][0].split("%")[0]) for info in socket.getaddrinfo(host, None)]
    except (socket.gaierror, UnicodeError):
        return []
    return list(dict.fromkeys(found))  # one per address (getaddrinfo repeats it per socket type)


class _GuardedBackend(httpcore.NetworkBackend):
    """httpcore's own sockets, opened only to an address the guard checked: the name is looked up once,
    here, and the connection goes to the checked address (httpcore would look the name up again)."""

    def __init__(self, guard: DestinationGuard) -> None:
        self.guard = guard
        self.inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            addresses = self.guard.check(host)
        except DestinationRefused as exc:  # a failed connection: retried, then 配信停止, shown to the admin
            raise httpcore.ConnectError(str(exc)) from exc
        if not addresses:
            raise httpcore.ConnectError(f"配信先 {host} の名前解決ができません")
        failure: Exception | None = None
        for address in addresses:
            try:
                return self.inner.connect_tcp(str(address), port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None
        raise failure

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("webhooks are sent over TCP only")

    def sleep(self, seconds: float) -> None:
        self.inner.sleep(seconds)


class GuardedTransport(httpx.HTTPTransport):
    """httpx's transport whose connections are opened by :class:`_GuardedBackend`. A refusal is a connection
    error, so it is recorded as a failed attempt (retries, then 配信停止) where the municipal admin sees it."""

    def __init__(self, guard: DestinationGuard) -> None:
        super().__init__()
        # httpx builds its httpcore pool without a way to pass a network backend: the same pool, with ours
        # (httpx is pinned; tests/linkage/test_destinations.py fails if this stops taking effect).
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=100,  # httpx's default limits
            max_keepalive_connections=20,
            keepalive_expiry=5.0,
            network_backend=_GuardedBackend(guard),
        )

"""Where webhooks may go: not into the platform's own insides (SSRF).

A municipal admin registers a webhook URL and the worker POSTs to it from inside the cloud. Unchecked, a
URL naming 127.0.0.1 or 169.254.169.254 would have the platform call its own services, or the cloud's
metadata endpoint, on the admin's behalf. Those ranges are refused when the request is made (after name
resolution, so a host name pointing there is refused too). Private ranges (10/8, 172.16/12, 192.168/16)
stay open: the linked 税・国保・選挙 systems sit on LGWAN and 庁内 networks that use them. The operator can
open a refused range for a deployment (``LGCLOUD_WEBHOOK_ALLOW_NETWORKS``, e.g. ``127.0.0.1/32`` for a
receiver on the same host in development).

Left open: a name that resolves differently between the check and the connection (DNS rebinding).
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network

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

    def check(self, host: str) -> None:
        """Raise :class:`DestinationRefused` if ``host`` is, or resolves to, a refused address. A name that
        does not resolve passes: the connection then fails with the resolver's own error."""
        for address in _addresses(host):
            if self.refuses(address):
                raise DestinationRefused(
                    f"配信先 {host}({address})は内部向けのアドレスのため送信しません"
                    "(運用者が LGCLOUD_WEBHOOK_ALLOW_NETWORKS で許可できます)"
                )


def _addresses(host: str) -> list[Address]:
    try:
        return [ip_address(host.strip("[]"))]
    except ValueError:
        pass
    try:
        return [ip_address(info[4][0].split("%")[0]) for info in socket.getaddrinfo(host, None)]
    except (socket.gaierror, UnicodeError):
        return []


#: How long a host that passed the check is not checked again (a refused one is checked every time).
RECHECK_SECONDS = 60.0


class GuardedTransport(httpx.HTTPTransport):
    """httpx's transport, checking each request's host first; a refusal is a connection error, so it is
    recorded as a failed attempt (retries, then 配信停止) where the municipal admin sees it."""

    def __init__(self, guard: DestinationGuard) -> None:
        # TCP_NODELAY: a POST is written as headers then body; with Nagle the body waited for the ACK of
        # the headers, which the receiver delays (tens of ms per delivery at 200 events/s).
        super().__init__(socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)])
        self.guard = guard
        self._passed: dict[str, float] = {}  # host → until when its last check holds

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        if self._passed.get(host, 0.0) < time.monotonic():  # not a name lookup per delivery
            try:
                self.guard.check(host)
            except DestinationRefused as exc:
                raise httpx.ConnectError(str(exc), request=request) from exc
            self._passed[host] = time.monotonic() + RECHECK_SECONDS
        return super().handle_request(request)

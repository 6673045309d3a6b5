"""Server-side request forgery guard: no connection to loopback, private, link-local or metadata addresses.

The check runs where the socket is opened (an httpcore network backend), so it covers the first request,
every redirect hop, robots.txt, and a name that resolves differently the second time (DNS rebinding).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

from newsdesk.errors import FetchError

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

ALLOW_HINT = "set NEWSDESK_ALLOW_PRIVATE_ADDRESSES=1 to allow it"


def address_problem(address: Address) -> str | None:
    """Why we refuse to connect to an address ("loopback", "private", ...), or None when it is public."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local (cloud metadata)"
    if address.is_multicast:
        return "multicast"
    if address.is_unspecified:
        return "unspecified"
    if address.is_private or address.is_reserved or not address.is_global:
        return "private"
    return None


class RefusedAddressError(FetchError):
    """A URL resolves only to addresses the SSRF guard refuses."""


class GuardedNetworkBackend(httpcore.AsyncNetworkBackend):
    """Resolves each host itself and connects only to an address that passes the guard."""

    def __init__(self, resolve_timeout: float) -> None:
        self._inner = httpcore.AnyIOBackend()
        self._resolve_timeout = resolve_timeout

    async def _addresses(self, host: str, port: int) -> list[Address]:
        try:
            return [ipaddress.ip_address(host)]
        except ValueError:
            pass
        loop = asyncio.get_running_loop()
        try:
            infos = await asyncio.wait_for(
                loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), timeout=self._resolve_timeout
            )
        except (OSError, TimeoutError) as exc:
            raise httpcore.ConnectError(f"cannot resolve {host} ({exc})") from None
        found: list[Address] = []
        for info in infos:
            address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
            if address not in found:
                found.append(address)
        return found

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await self._addresses(host, port)
        allowed = [a for a in addresses if address_problem(a) is None]
        if not allowed:
            if not addresses:
                raise httpcore.ConnectError(f"{host} has no address")
            first = addresses[0]
            what = f"a {address_problem(first)} address"
            where = f"{first} is {what}" if str(first) == host.strip("[]") else f"{host} resolves to {what} ({first})"
            raise RefusedAddressError(f"refused: {where}; {ALLOW_HINT}")
        return await self._inner.connect_tcp(
            str(allowed[0]), port, timeout=timeout, local_address=local_address, socket_options=socket_options
        )

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise RefusedAddressError("refused: unix sockets are never fetched")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def make_transport(allow_private: bool, resolve_timeout: float, limits: httpx.Limits) -> httpx.AsyncHTTPTransport:
    """An httpx transport that applies the guard unless private addresses are allowed."""
    # trust_env=False: a proxy from the environment would make every connection go to the proxy, around the guard
    transport = httpx.AsyncHTTPTransport(limits=limits, trust_env=False)
    if not allow_private:
        # httpx has no public hook for the network backend, so the pool is rebuilt with ours (httpx 0.28 layout)
        transport._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedNetworkBackend(resolve_timeout),
        )
    return transport

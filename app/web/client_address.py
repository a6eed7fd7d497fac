"""Who is asking: the client's address, and the group of addresses one client controls.

The direct peer is the client unless it is one of the reverse proxies the operator lists in
CRENEAU_TRUSTED_PROXIES; then X-Forwarded-For is read from the right, skipping the trusted
proxies, and the first address that is not one of them is the client. A header sent by
anybody else is ignored, so nobody dodges a limit by writing it (docs/DECISIONS.md §95).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from litestar import Request

UNKNOWN = "inconnue"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(trusted: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    return tuple(ipaddress.ip_network(item, strict=False) for item in trusted)


def _parse(value: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def _is_trusted(address: IPAddress, networks: Iterable[IPNetwork]) -> bool:
    return any(address in network for network in networks)


def resolve(peer: str | None, forwarded_for: list[str], trusted: tuple[str, ...]) -> str:
    """The client's address from the direct `peer`, the X-Forwarded-For header values (in
    the order received) and the trusted proxies."""
    address = _parse(peer or "")
    if address is None:
        return peer or UNKNOWN
    networks = _networks(trusted)
    if not networks or not _is_trusted(address, networks):
        return str(address)
    hops = [hop for value in forwarded_for for hop in value.split(",")]
    for hop in reversed(hops):
        forwarded = _parse(hop)
        if forwarded is None:
            break  # a hop we cannot read: stop at the last proxy we trust
        address = forwarded
        if not _is_trusted(forwarded, networks):
            break
    return str(address)


def client_address(request: Request[Any, Any, Any]) -> str:
    peer = request.client.host if request.client else None
    trusted = request.app.state.settings.protection.trusted_proxies
    return resolve(peer, request.headers.getall("x-forwarded-for", []), trusted)


def address_group(address: str) -> str:
    """What one client controls: its IPv4 address, or its IPv6 /64 (one customer's
    network: anyone with IPv6 can use millions of addresses of their /64)."""
    parsed = _parse(address)
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed) if parsed is not None else address

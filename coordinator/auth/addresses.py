"""Which address a request comes from: the peer, or X-Forwarded-For only when the peer is a trusted proxy.

Anyone can send an X-Forwarded-For header; believing it lets a password guesser pick a fresh address for
every try (issue 12 item 5). Only a deployment that names its proxies (OUEN_TRUSTED_PROXIES: addresses or
networks, e.g. ["127.0.0.1", "10.0.0.0/8"]) gets its header read, right to left, skipping those proxies.
`ouen serve` turns uvicorn's own proxy-header handling off, so this is the one place that decides.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from functools import lru_cache

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=16)
def _networks(trusted: tuple[str, ...]) -> tuple[tuple[Network, ...], frozenset[str]]:
    networks: list[Network] = []
    names: set[str] = set()
    for entry in trusted:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            names.add(entry.strip())  # a host name as the server sees it (e.g. "testclient")
    return tuple(networks), frozenset(names)


def is_trusted(address: str | None, trusted: Iterable[str]) -> bool:
    """Whether a peer address is one of the trusted proxies (an address, a network, or a name)."""
    if not address:
        return False
    networks, names = _networks(tuple(trusted))
    if address in names:
        return True
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(peer: str | None, headers: Mapping[str, str], trusted: Iterable[str]) -> str:
    """The client's address: the peer, unless the peer is a trusted proxy; then the right-most address of
    X-Forwarded-For that is not itself a trusted proxy."""
    trusted = tuple(trusted)
    if not is_trusted(peer, trusted):
        return peer or "unknown"
    forwarded = [part.strip() for part in headers.get("x-forwarded-for", "").split(",") if part.strip()]
    for candidate in reversed(forwarded):
        if not is_trusted(candidate, trusted):
            return candidate[:64]
    return peer or "unknown"

"""The one outbound HTTP client: it refuses private, loopback and link-local addresses (SSRF).

The host is resolved once, every address is checked, and the connection goes to the checked address
(Host header and TLS SNI keep the name), so DNS rebinding cannot swap in an internal target.
Redirects are not followed. Operators may allow named ``host:port`` pairs (local fakes, an intranet shop).
"""

import ipaddress
import socket
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# Deprecated IPv4-compatible form (::127.0.0.1); Python counts it as global, some stacks still route it.
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


def _embedded(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> list[Any]:
    """The address and every IPv4 address hidden inside it (mapped, compatible, 6to4, Teredo, NAT64)."""
    found: list[Any] = [address]
    if isinstance(address, ipaddress.IPv6Address):
        found += [a for a in (address.ipv4_mapped, address.sixtofour) if a is not None]
        if address.teredo:
            found += list(address.teredo)
        if address in _NAT64 or address in _IPV4_COMPATIBLE:
            found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return found


class BlockedDestination(Exception):
    """The URL points at an address outbound requests may not reach."""


class SafeHttp:
    def __init__(self, allow: Iterable[str] = (), timeout: float = 10.0) -> None:
        self.allow = {a.lower() for a in allow}
        self.client = httpx.Client(timeout=timeout, follow_redirects=False)

    def resolve(self, url: str) -> tuple[str, str, int]:
        """(checked IP, host name, port) for ``url``, or BlockedDestination."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise BlockedDestination(f"only http(s) URLs with a host are allowed: {url!r}")
        host = parts.hostname.lower()
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise BlockedDestination(f"cannot resolve {host}") from exc
        addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
        if f"{host}:{port}" in self.allow or host in self.allow:
            return str(addresses[0]), host, port
        for address in addresses:
            if not all(a.is_global and not a.is_multicast for a in _embedded(address)):
                raise BlockedDestination(f"{host} resolves to a non-public address")
        return str(addresses[0]), host, port

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        ip, host, port = self.resolve(url)
        parts = urlsplit(url)
        netloc = f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"
        headers = {"Host": parts.netloc, **kwargs.pop("headers", {})}
        extensions = {"sni_hostname": host} if parts.scheme == "https" else {}
        pinned = urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
        return self.client.request(method, pinned, headers=headers, extensions=extensions, **kwargs)

    def close(self) -> None:
        self.client.close()

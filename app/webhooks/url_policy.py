"""Which URLs a webhook may go to. A URL names a host; the host must be on the course's
allowed list, and every address it resolves to must be public: a webhook is a request the
service makes on someone's behalf, and without these checks a callback_url could reach the
service's own Redis or database on loopback, the private network, or a cloud's metadata
service (169.254.169.254) and its credentials. Addresses are checked again at each delivery
and connections go only to the addresses checked, so a name that resolves elsewhere later
(DNS rebinding) gains nothing."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_URL_CHARS = 2000


class RefusedUrl(Exception):
    """A webhook URL the course or the service does not allow; the message says why."""


@dataclass(frozen=True)
class Target:
    """A URL cleared for one delivery, and the addresses to connect to."""

    url: str
    host: str
    """The URL's host as checked: what Host, TLS's SNI and the certificate check name."""
    addresses: tuple[str, ...]
    """Every address the host resolved to, all checked, in the resolver's order of
    preference: the sender tries them in turn, and connects to no other."""


def check_url_shape(url: str, allowed_hosts: Iterable[str]) -> str:
    """The URL's host, when it is an http(s) URL to a host on the allowed list."""
    if len(url) > MAX_URL_CHARS:
        raise RefusedUrl(f"the webhook URL is longer than {MAX_URL_CHARS} characters")
    try:
        parts = urlsplit(url)
        parts.port  # raises ValueError for a port that is not a number
    except ValueError as error:
        raise RefusedUrl(f"the webhook URL {url!r} cannot be read: {error}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RefusedUrl(f"the webhook URL {url!r} must be http:// or https:// with a host")
    if parts.username or parts.password:
        raise RefusedUrl("the webhook URL must not carry a user name or password")
    host = parts.hostname.lower().rstrip(".")
    try:
        host.encode("idna")  # what the resolver does with it; a label over 63 characters fails
    except UnicodeError:
        raise RefusedUrl(f"the webhook host {host[:80]!r} is not a valid host name") from None
    allowed = [h.lower().strip("[]").rstrip(".") for h in allowed_hosts]
    if not any(host == h or (h.startswith("*.") and host.endswith(h[1:])) for h in allowed):
        listed = ", ".join(allowed) if allowed else "none"
        raise RefusedUrl(f"webhooks of this course may go to these hosts only: {listed} "
                         f"({host!r} is not one)")
    return host


def resolve_target(url: str, allowed_hosts: Iterable[str],
                   allowed_networks: Iterable[str]) -> Target:
    """The URL cleared for a delivery now: its host allowed, resolved, and every address it
    has public or in a network the service explicitly allows."""
    host = check_url_shape(url, allowed_hosts)
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        # AI_ADDRCONFIG: no IPv6 addresses on a host that has none of its own to send from.
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                   flags=socket.AI_ADDRCONFIG)
    except socket.gaierror as error:
        raise RefusedUrl(f"the webhook host {host!r} does not resolve: {error.strerror}") from None
    addresses = addresses_in_order(infos)
    check_addresses(host, addresses, allowed_networks)
    return Target(url, host, addresses)


def addresses_in_order(infos: Iterable[tuple]) -> tuple[str, ...]:
    """The addresses of getaddrinfo's answers, each once, in its order: the system's
    preference (RFC 6724, /etc/gai.conf), which sorting would throw away."""
    return tuple(dict.fromkeys(info[4][0] for info in infos))


def check_addresses(host: str, addresses: Iterable[str], allowed_networks: Iterable[str]) -> None:
    """Refuses the host unless every address it has is public or in an allowed network:
    one internal address among public ones is enough to reach the inside."""
    networks = [ipaddress.ip_network(n, strict=False) for n in allowed_networks]
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0])
        if is_internal(ip) and not any(ip in network for network in networks):
            raise RefusedUrl(f"the webhook host {host!r} resolves to {ip}, an address of "
                             "the service's own network (loopback, private, link-local or "
                             "metadata), which webhooks may not reach")


NAT64 = ipaddress.ip_network("64:ff9b::/96")
"""The well-known NAT64 prefix (RFC 6052): its last 32 bits are the IPv4 address a
translator on the path connects to, 64:ff9b::a9fe:a9fe being the metadata service."""

REFUSED_IPV6 = tuple(ipaddress.ip_network(n) for n in (
    "::/96",            # IPv4-compatible (deprecated, RFC 4291): a tunnel to its last 32 bits
    "64:ff9b:1::/48",   # local-use NAT64 (RFC 8215): where the IPv4 sits depends on the site
    "2001::/32",        # Teredo (RFC 4380): ends at a NAT mapping no one here can judge
))
"""IPv6 prefixes that carry the way to an IPv4 address this module cannot check soundly."""


def is_internal(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether a webhook to `ip` would reach a network that is not the public internet,
    judging also the IPv4 address that an IPv6 one leads to (mapped, NAT64, 6to4)."""
    if isinstance(ip, ipaddress.IPv6Address):
        if any(ip in network for network in REFUSED_IPV6):
            return True
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            return is_internal(embedded)
    return not ip.is_global or ip.is_multicast


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFF_FFFF)
    return None

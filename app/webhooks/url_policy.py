"""Which URLs a webhook may go to. A URL names a host; the host must be on the course's
allowed list, and every address it resolves to must be public: a webhook is a request the
service makes on someone's behalf, and without these checks a callback_url could reach the
service's own Redis or database on loopback, the private network, or a cloud's metadata
service (169.254.169.254) and its credentials. Addresses are checked again at each delivery
and the connection goes to the address checked, so a name that resolves elsewhere later
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
    """A URL cleared for one delivery, and the address to connect to."""

    url: str
    host: str
    address: str


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
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise RefusedUrl(f"the webhook host {host!r} does not resolve: {error.strerror}") from None
    addresses = sorted({info[4][0] for info in infos})
    networks = [ipaddress.ip_network(n, strict=False) for n in allowed_networks]
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0])
        if _internal(ip) and not any(ip in network for network in networks):
            raise RefusedUrl(f"the webhook host {host!r} resolves to {ip}, an address of "
                             "the service's own network (loopback, private, link-local or "
                             "metadata), which webhooks may not reach")
    return Target(url, host, addresses[0])


def _internal(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast

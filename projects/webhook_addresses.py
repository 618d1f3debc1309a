"""Where a webhook may be sent: the defence against server-side request forgery.

An endpoint's address is checked when an owner registers it and again at every delivery. Its host name is
resolved, and every address it resolves to must be a public one: loopback, link-local (the cloud metadata
service at 169.254.169.254), private, shared (carrier-grade NAT), multicast, reserved and unspecified addresses
are refused, in IPv4 and IPv6, an IPv4 address written inside an IPv6 one (::ffff:127.0.0.1, 6to4, Teredo) by the
IPv4 address it carries. A delivery connects to the very address it checked (projects.webhook_delivery), so a
name that resolves to a public address when checked and to a private one a moment later (DNS rebinding) gains
nothing.

WEBHOOKS_ALLOW_PRIVATE lifts the address rule (a local receiver in tests); WEBHOOKS_ALLOW_HTTP allows http://.
Both are off unless the environment turns them on.
"""

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import SplitResult, quote, urlsplit

from django.conf import settings

type IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

URL_SAFE = "/%:@!$&'()*+,;=-._~?"  # RFC 3986's reserved and unreserved characters, and escapes already made


class AddressRefused(Exception):
    """The endpoint's address may not be used; the message says why, in words an owner can act on."""


class AddressUnresolved(Exception):
    """The host name has no address now (a typo, or DNS down): at delivery, worth trying again later."""


@dataclass(frozen=True)
class Target:
    """Where one delivery goes: the URL's parts, and the checked addresses to connect to, in order."""

    scheme: str
    host: str
    port: int
    path: str  # with the query string
    addresses: tuple[IPAddress, ...]


def _why_not_public(address: IPAddress) -> str | None:
    """Why this address is not a public one (None when it is)."""
    if isinstance(address, ipaddress.IPv6Address):
        carried = address.ipv4_mapped or address.sixtofour or (address.teredo[1] if address.teredo else None)
        if carried is not None:
            inner = _why_not_public(carried)
            if inner is not None:
                return f"{inner} (carried in an IPv6 address)"
    checks = (
        (address.is_unspecified, "an unspecified address"),
        (address.is_loopback, "a loopback address"),
        (address.is_link_local, "a link-local address"),
        (address.is_multicast, "a multicast address"),
        (address.is_private, "a private address"),
        (address.is_reserved, "a reserved address"),
        (isinstance(address, ipaddress.IPv6Address) and address.is_site_local, "a site-local address"),
        (not address.is_global, "not a public address"),
    )
    return next((why for refused, why in checks if refused), None)


def refusal(address: IPAddress) -> str | None:
    """Why a delivery may not connect to this address, or None when it may."""
    if settings.WEBHOOKS_ALLOW_PRIVATE:
        return None
    return _why_not_public(address)


def _parts(url: str) -> SplitResult:
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 (reading it checks it)
    except ValueError:
        raise AddressRefused("This is not a web address.") from None
    allowed = ("https", "http") if settings.WEBHOOKS_ALLOW_HTTP else ("https",)
    if parts.scheme.lower() not in allowed:
        raise AddressRefused("Use an https:// address: events are sent only over an encrypted connection.")
    if not parts.hostname:
        raise AddressRefused("Give the host name, as in https://hooks.example.com/threatmodel.")
    if parts.username is not None or parts.password is not None:
        raise AddressRefused(
            "Leave the user name and password out of the address: the signature tells the receiver "
            "the events come from here."
        )
    if parts.fragment:
        raise AddressRefused("Leave out the part after #: it is never sent.")
    return parts


def resolve(host: str, port: int) -> tuple[IPAddress, ...]:
    """Every address the host resolves to (an IP address as itself), in the resolver's order."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as error:
        raise AddressUnresolved(f"No address found for {host}: {error}.") from None
    addresses: list[IPAddress] = []
    for family, _, _, _, sockaddr in found:
        if family not in (socket.AF_INET, socket.AF_INET6):
            continue
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise AddressUnresolved(f"No address found for {host}.")
    return tuple(addresses)


def _is_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def target(url: str) -> Target:
    """The URL checked and resolved now: AddressRefused when it may not be used, AddressUnresolved when its
    host has no address. Every address must pass, not just one: a name that also points inside is refused."""
    parts = _parts(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    addresses = resolve(host, port)
    for address in addresses:
        why = refusal(address)
        if why is not None:
            subject = host if _is_literal(host) else f"{host} resolves to {address}, which"
            raise AddressRefused(
                f"{subject} is {why}. Webhooks go only to public addresses, never into the network this "
                "server runs in."
            )
    # Letters outside ASCII in the path or query are sent percent-encoded (UTF-8), as browsers send them.
    path = quote(parts.path or "/", safe=URL_SAFE)
    if parts.query:
        path = f"{path}?{quote(parts.query, safe=URL_SAFE)}"
    return Target(parts.scheme.lower(), host, port, path, addresses)


def check_url(url: str) -> str:
    """The address as it is kept, when an owner may register it; AddressRefused (also for a host with no
    address now) naming the problem otherwise."""
    try:
        target(url)
    except AddressUnresolved as error:
        raise AddressRefused(f"{error} Check the host name.") from None
    return url.strip()

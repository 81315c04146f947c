"""Which network addresses a crawl may never reach: loopback, private,
link-local, multicast, reserved and cloud-metadata addresses. A hostile or
hijacked site (or a careless registry row) must not turn the crawler into a
probe of the machine it runs on or of its network (SSRF). The check is made
on the address actually connected to, after DNS (``crawler/resolver.py``),
and on the literal hosts of registry rows at load (``crawler/sources.py``);
``DEMARCHE_ALLOW_PRIVATE_ADDRESSES`` lifts it for the demo and the loopback
tests."""

from __future__ import annotations

import ipaddress
import socket

from scrapy.exceptions import IgnoreRequest

# Names that resolve to a cloud provider's metadata service from inside
# its machines; refused by name, whatever they resolve to here.
METADATA_NAMES = frozenset({
    "metadata.google.internal", "metadata.goog", "metadata", "instance-data",
    "instance-data.ec2.internal", "metadata.azure.internal",
})
LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})


class PrivateAddressRefused(IgnoreRequest):
    """A request that would reach an address a crawl must not: an
    IgnoreRequest, so that it is never retried (a DNS error would be, three
    times over), counted and logged once per host by the offsite
    middleware."""


def refused_address(address: str) -> str | None:
    """Why a crawl may not connect to this IP address, or None when it may.
    A string that is no IP address is None: names are checked after DNS."""
    try:
        ip = ipaddress.ip_address(address.strip("[]").split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:10.0.0.5 is 10.0.0.5
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        # 169.254.169.254 (AWS, GCP, Azure metadata) and fe80::/10.
        return "a link-local address (cloud metadata lives there)"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_unspecified:
        return "the unspecified address"
    if ip.is_private:
        # 10/8, 172.16/12, 192.168/16, fc00::/7 (fd00::/8 among them),
        # 100.64/10 (carrier-grade NAT) and the documentation ranges.
        return "a private address"
    if ip.is_reserved or not ip.is_global:
        return "a reserved address"
    return None


def dotted(host: str) -> str:
    """An IPv4 address in any spelling the C library reads (2130706433,
    0x7f.1, 127.1: all 127.0.0.1) as a dotted quad; any other host as is."""
    try:
        return socket.inet_ntoa(socket.inet_aton(host))
    except OSError:
        return host


def refused_host(host: str) -> str | None:
    """Why a URL's host may not be crawled, when that shows without DNS:
    an IP literal (in any spelling) that ``refused_address`` refuses, or a
    local or metadata name."""
    name = host.strip().rstrip(".").lower()
    if name in METADATA_NAMES:
        return "a cloud metadata service"
    if name in LOCAL_NAMES or name.endswith(".localhost"):
        return "a loopback name"
    return refused_address(dotted(name))

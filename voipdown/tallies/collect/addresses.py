"""Which addresses a fetch may reach: a source on the internet never leads us into a private
network (a redirect, or a name that resolves there), whatever it answers.

An address is public, private (RFC 1918, unique local), loopback or link-local (the cloud
metadata address among them); anything else (unspecified, multicast, reserved) is never
reached. A source may lead to a public address, or to one of the class its own configured
address has: an operator who collects from a service on the same host (loopback) or network
(private) chose that class; nothing else reaches it.
"""

from __future__ import annotations

import ipaddress

CLASSES = ("public", "private", "loopback", "link-local")


def address_class(address: str) -> str | None:
    """The class of an IP address, None for one never reached."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return "loopback"
    if ip.is_unspecified or ip.is_multicast or ip.is_reserved:
        return None
    if ip.is_link_local:
        return "link-local"
    if ip.is_private or (isinstance(ip, ipaddress.IPv4Address) and ip in _SHARED):
        return "private"
    return "public" if ip.is_global else None


_SHARED = ipaddress.ip_network("100.64.0.0/10")
"""Carrier-grade NAT space: not global, not `is_private` in every Python."""


def allowed(origin: str | None, target: str | None) -> bool:
    """Whether a source whose configured address is of class `origin` may reach an address
    of class `target`."""
    return target is not None and origin is not None and target in ("public", origin)

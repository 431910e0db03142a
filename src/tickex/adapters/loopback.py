"""Whether a host is this machine: the HTTP clients (OIDC, Resend) take plain http only
there, for tests and local providers."""

from __future__ import annotations

import ipaddress


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False

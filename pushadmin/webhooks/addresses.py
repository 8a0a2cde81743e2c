"""Where webhooks may go: the mPaaS endpoint's rule for loopback and https, plus no private network.

In development loopback is allowed (the tests' receivers, a developer's listener), as for the
sandbox; elsewhere only https to a public address. The host is resolved and checked again just
before each delivery, so a name that later points inside the network is refused then too.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from pushadmin.console import recorded_reasons as reasons
from pushadmin.mpaas.endpoints import is_loopback
from pushadmin.workspaces.endpoints import installation_policy


def _private(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    return not ip.is_global or ip.is_multicast


def refusal(url: str, *, resolve: bool = False) -> str | None:
    """Why webhooks may not go to `url` on this installation, in English as a delivery's error
    stores it (`recorded_reasons.readable` translates it), or None when they may."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return reasons.WEBHOOK_URL_INVALID
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not host or parts.username or parts.password:
        return reasons.WEBHOOK_URL_INCOMPLETE
    loopback_allowed = installation_policy().allow_loopback
    if is_loopback(host):
        return None if loopback_allowed else reasons.written(reasons.HOST_LOOPBACK, host=host)
    if parts.scheme != "https":
        return reasons.WEBHOOK_URL_NOT_HTTPS
    try:
        literal = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        literal = None
    if literal is not None and _private(str(literal)):
        return reasons.written(reasons.HOST_PRIVATE, host=host)
    if resolve and literal is None:
        try:
            infos = socket.getaddrinfo(host, port or 443, proto=socket.IPPROTO_TCP)
        except OSError:
            return reasons.written(reasons.HOST_UNRESOLVED, host=host)
        if any(_private(str(info[4][0])) for info in infos):
            return reasons.written(reasons.HOST_RESOLVES_PRIVATE, host=host)
    return None

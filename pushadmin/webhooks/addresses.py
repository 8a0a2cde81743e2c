"""Where webhooks may go: the mPaaS endpoint's rule for loopback and https, plus no private network.

In development loopback is allowed (the tests' receivers, a developer's listener), as for the
sandbox; elsewhere only https to a public address. The host is resolved and checked again just
before each delivery, so a name that later points inside the network is refused then too.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from pushadmin.mpaas.endpoints import is_loopback
from pushadmin.workspaces.endpoints import installation_policy


def _private(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    return not ip.is_global or ip.is_multicast


def refusal(url: str, *, resolve: bool = False) -> str | None:
    """Why webhooks may not go to `url` on this installation, or None when they may."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "The webhook URL is not a valid address."
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not host or parts.username or parts.password:
        return "The webhook URL must be a full https:// address without a user name."
    loopback_allowed = installation_policy().allow_loopback
    if is_loopback(host):
        return None if loopback_allowed else f"Not allowed host: {host} is a loopback address."
    if parts.scheme != "https":
        return "The webhook URL must use https://."
    try:
        literal = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        literal = None
    if literal is not None and _private(str(literal)):
        return f"Not allowed host: {host} is a private address."
    if resolve and literal is None:
        try:
            infos = socket.getaddrinfo(host, port or 443, proto=socket.IPPROTO_TCP)
        except OSError:
            return f"The webhook host {host} could not be resolved."
        if any(_private(str(info[4][0])) for info in infos):
            return f"Not allowed host: {host} resolves to a private address."
    return None

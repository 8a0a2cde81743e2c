"""Where a signed call may go: https to an allow-listed mPaaS gateway, or loopback for the sandbox.

Checked when a workspace's endpoint is saved and again when a client is built, so a value
stored before the rule (or written around the form) cannot send anywhere else. The check reads
the URL only; it never resolves or connects.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

# The documented gateway (mpaas.cn-hangzhou.aliyuncs.com) and the host the SDKs resolve every region to.
DEFAULT_ALLOWED_HOSTS = ("mpaas.aliyuncs.com", "mpaas.*.aliyuncs.com")
NOT_ALLOWED_HOST = "not allowed host"
_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
_PATTERN_LABEL = re.compile(r"\*|[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
_LOOPBACK_NAMES = frozenset({"localhost"})


class EndpointRefused(ValueError):
    """The endpoint is not one signed calls may go to; the message says why, in plain words."""


@dataclass(frozen=True)
class EndpointPolicy:
    allowed_hosts: tuple[str, ...] = DEFAULT_ALLOWED_HOSTS
    allow_loopback: bool = False  # the development sandbox only


def is_host_pattern(pattern: str) -> bool:
    """A host name whose labels may each be `*` (exactly one label), e.g. mpaas.*.aliyuncs.com."""
    labels = pattern.lower().split(".")
    return len(labels) >= 2 and all(_PATTERN_LABEL.fullmatch(label) for label in labels)


def host_matches(host: str, pattern: str) -> bool:
    host_labels = host.lower().split(".")
    pattern_labels = pattern.lower().split(".")
    if len(host_labels) != len(pattern_labels):
        return False
    return all(
        _LABEL.fullmatch(label) is not None and (wanted == "*" or wanted == label)
        for label, wanted in zip(host_labels, pattern_labels, strict=True)
    )


def is_loopback(host: str) -> bool:
    """localhost, 127.0.0.0/8 or ::1, judged from the text alone."""
    name = host.strip("[]").lower()
    if name in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def refusal(url: str, policy: EndpointPolicy) -> str | None:
    """Why signed calls may not go to `url` under `policy`, or None when they may."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "The endpoint URL is not a valid address."
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not host:
        return "The endpoint URL must be a full https:// address."
    if is_loopback(host):
        if policy.allow_loopback:
            return None
        return f"Not allowed host: {host} is a loopback address, allowed only for the development sandbox."
    if parts.scheme != "https":
        return "The endpoint URL must use https://."
    if not any(host_matches(host, pattern) for pattern in policy.allowed_hosts):
        allowed = ", ".join(policy.allowed_hosts)
        return f"Not allowed host: {host} is not an mPaaS gateway allowed here ({allowed})."
    if port not in (None, 443):
        return "Not allowed host: an mPaaS gateway is reached on the standard https port (443)."
    return None


def ensure_allowed(url: str, policy: EndpointPolicy) -> None:
    reason = refusal(url, policy)
    if reason is not None:
        raise EndpointRefused(reason)

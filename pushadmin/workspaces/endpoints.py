"""The endpoint rule of this installation: its allow-list, and loopback in development only."""

from __future__ import annotations

from django.conf import settings

from pushadmin.mpaas.endpoints import EndpointPolicy, ensure_allowed, refusal


def installation_policy() -> EndpointPolicy:
    return EndpointPolicy(
        allowed_hosts=tuple(settings.PUSHADMIN_ALLOWED_ENDPOINT_HOSTS),
        allow_loopback=settings.PUSHADMIN_ENV == "development",
    )


def endpoint_refusal(url: str) -> str | None:
    return refusal(url, installation_policy())


def ensure_endpoint_allowed(url: str) -> None:
    """Raises `EndpointRefused` when signed calls may not go to `url` on this installation."""
    ensure_allowed(url, installation_policy())

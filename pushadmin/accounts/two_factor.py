"""Who must use two-factor sign-in, and the TOTP devices that provide it (django-otp)."""

from __future__ import annotations

import base64
from typing import Protocol, cast

import segno
from django.contrib.auth.models import User
from django_otp.plugins.otp_totp.models import TOTPDevice

from pushadmin.accounts.models import Membership, Role

# Roles whose decisions (approving sends, granting roles, changing credentials) make a
# stolen password most costly; a workspace admin can require a second factor for them.
GUARDED_ROLES = (Role.REVIEWER, Role.ADMIN)
DEVICE_NAME = "Authenticator app"


class _Verifiable(Protocol):
    def is_verified(self) -> bool: ...


def is_verified(user: User) -> bool:
    """Whether this session's user has entered a code; django-otp's OTPMiddleware gives
    `request.user` an `is_verified()` method that the User model does not declare."""
    return cast(_Verifiable, user).is_verified()


def is_required_for(user: User) -> bool:
    """True when any workspace that requires two-factor gives `user` a guarded role."""
    return Membership.objects.filter(user=user, role__in=GUARDED_ROLES, workspace__require_two_factor=True).exists()


def confirmed_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def pending_device(user: User) -> TOTPDevice:
    """The unconfirmed device being enrolled; reused so reloading the page keeps its QR code."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


def base32_key(device: TOTPDevice) -> str:
    return base64.b32encode(device.bin_key).decode()


def qr_code_data_uri(device: TOTPDevice) -> str:
    """An SVG QR code as a data: URI for an <img>; no script and no inline style needed."""
    return segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2)

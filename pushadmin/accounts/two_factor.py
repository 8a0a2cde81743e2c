"""Who must use two-factor sign-in, and the authenticator apps that provide it (django-otp)."""

from __future__ import annotations

import base64
import time
from typing import Protocol, cast

import segno
from django.contrib.auth.models import User
from django_otp.oath import TOTP
from django_otp.util import random_hex

from pushadmin.accounts.models import Membership, Role, TOTPAuthenticator
from pushadmin.workspaces import encryption

# Roles whose decisions (approving sends, granting roles, changing credentials) make a
# stolen password most costly; a workspace admin can require a second factor for them.
GUARDED_ROLES = (Role.REVIEWER, Role.ADMIN)
DEVICE_NAME = "Authenticator app"
KEY_BYTES = 20


class _Verifiable(Protocol):
    def is_verified(self) -> bool: ...


def is_verified(user: User) -> bool:
    """Whether this session's user has entered a code; django-otp's OTPMiddleware gives
    `request.user` an `is_verified()` method that the User model does not declare."""
    return cast(_Verifiable, user).is_verified()


def is_required_for(user: User) -> bool:
    """True when any workspace that requires two-factor gives `user` a guarded role."""
    return Membership.objects.filter(user=user, role__in=GUARDED_ROLES, workspace__require_two_factor=True).exists()


def role_requires_it(workspace_requires: bool, role: str) -> bool:
    return workspace_requires and role in GUARDED_ROLES


def confirmed_device(user: User) -> TOTPAuthenticator | None:
    devices = TOTPAuthenticator.objects.filter(user=user, confirmed=True)
    device: TOTPAuthenticator | None = devices.order_by("pk").first()
    return device


def new_key() -> str:
    """A fresh TOTP key in hex, as django-otp makes them."""
    return str(random_hex(KEY_BYTES))


def pending_device(user: User) -> TOTPAuthenticator:
    """The unconfirmed device being enrolled; reused so reloading the page keeps its QR code."""
    pending = TOTPAuthenticator.objects.filter(user=user, confirmed=False)
    device: TOTPAuthenticator | None = pending.order_by("pk").first()
    if device is None:
        device = TOTPAuthenticator(user=user, name=DEVICE_NAME, confirmed=False)
        device.set_key(new_key())
        device.save()
    return device


def base32_key(device: TOTPAuthenticator) -> str:
    return base64.b32encode(device.bin_key).decode()


def qr_code_data_uri(device: TOTPAuthenticator) -> str:
    """An SVG QR code as a data: URI for an <img>; no script and no inline style needed."""
    return segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2)


def matching_time_step(hex_key: str, code: str) -> int | None:
    """The time step at which `code` is valid for `hex_key` (one step of clock drift allowed), or None.

    For a key not yet stored in a device, as on the invitation's join page.
    """
    if not (code.isascii() and code.isdigit()):
        return None
    totp = TOTP(bytes.fromhex(hex_key))
    totp.time = time.time()
    return int(totp.t()) if totp.verify(int(code), tolerance=1) else None


def base32_of_hex(hex_key: str) -> str:
    return base64.b32encode(bytes.fromhex(hex_key)).decode()


def qr_code_for_new_account(hex_key: str, label: str) -> str:
    """The QR code of a key not yet stored in a device, for the account that is about to exist."""
    device = TOTPAuthenticator(user=User(username=label))
    device.key_encrypted = encryption.encrypt(hex_key)
    return qr_code_data_uri(device)

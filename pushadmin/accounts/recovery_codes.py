"""Recovery codes: ten single-use codes, shown once, that sign in instead of an authenticator code.

Only hashes are stored. Issuing a new set replaces the old one; using a code is a conditional
UPDATE, so two requests cannot both use the same code. Both are audited, never with the code.
"""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.models import User
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from pushadmin.accounts.models import RecoveryCode
from pushadmin.audit import trail

COUNT = 10
ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread on paper
GROUP, GROUPS = 5, 2


def _normalise(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def _hash(code: str) -> str:
    return hashlib.sha256(_normalise(code).encode()).hexdigest()


def _new_code() -> str:
    groups = ("".join(secrets.choice(ALPHABET) for _ in range(GROUP)) for _ in range(GROUPS))
    return "-".join(groups)


def issue(user: User, request: HttpRequest | None) -> list[str]:
    """Replace `user`'s codes with a new set and return it: the only time the codes are readable."""
    codes = [_new_code() for _ in range(COUNT)]
    with transaction.atomic():
        RecoveryCode.objects.filter(user=user).delete()
        RecoveryCode.objects.bulk_create([RecoveryCode(user=user, code_hash=_hash(code)) for code in codes])
        trail.record("user.recovery_codes_issued", actor=user, request=request, obj=user, detail={"count": COUNT})
    return codes


def redeem(user: User, code: str, request: HttpRequest | None) -> bool:
    """Use one of `user`'s unused codes; False when `code` is not one of them."""
    if not _normalise(code) or len(_normalise(code)) > GROUP * GROUPS:
        return False
    with transaction.atomic():
        used = RecoveryCode.objects.filter(user=user, code_hash=_hash(code), used_at__isnull=True).update(
            used_at=timezone.now()
        )
        if used:
            trail.record(
                "user.recovery_code_used", actor=user, request=request, obj=user, detail={"left": unused_count(user)}
            )
    return bool(used)


def unused_count(user: User) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()

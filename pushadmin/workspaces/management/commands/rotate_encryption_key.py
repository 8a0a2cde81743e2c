"""Re-encrypt every stored secret under the newest key in PUSHADMIN_ENCRYPTION_KEYS: the
AccessKey secrets of workspaces and the keys of people's authenticator apps (and of those
offered on pending invitations).

Procedure (no downtime): put the new key first in PUSHADMIN_ENCRYPTION_KEYS, keep the old
ones after it, restart web and workers (they now read both and write with the new one), run
this command, then remove the old key and restart again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.management.base import CommandError
from django.db.models import Model

from pushadmin.accounts.models import Invitation, TOTPAuthenticator
from pushadmin.console.database_ready import DatabaseCommand
from pushadmin.webhooks.models import Endpoint
from pushadmin.workspaces import encryption
from pushadmin.workspaces.models import Workspace


@dataclass(frozen=True)
class EncryptedColumn:
    model: type[Model]
    column: str
    owner: str  # the field that names a row that cannot be decrypted
    owners: str
    what: str
    remedy: str


ENCRYPTED_COLUMNS = (
    EncryptedColumn(
        Workspace,
        "access_key_secret_encrypted",
        "name",
        "workspaces",
        "workspace secret",
        "re-enter them on the settings page",
    ),
    EncryptedColumn(
        TOTPAuthenticator,
        "key_encrypted",
        "user__username",
        "people",
        "authenticator key",
        "delete those authenticators in the Django admin so their owners enrol again",
    ),
    EncryptedColumn(
        Invitation,
        "enrolment_key_encrypted",
        "email",
        "invitations",
        "invitation enrolment key",
        "revoke those invitations and invite again",
    ),
    EncryptedColumn(
        Endpoint,
        "secret_encrypted",
        "url",
        "webhook endpoints",
        "webhook signing secret",
        "register those endpoints again and give their receivers the new secrets",
    ),
)


def rotate_column(spec: EncryptedColumn) -> tuple[int, list[str]]:
    rotated, unreadable = 0, []
    manager = spec.model._default_manager
    for pk, owner, token in manager.exclude(**{spec.column: ""}).values_list("pk", spec.owner, spec.column):
        try:
            fresh = encryption.rotate(token)
        except encryption.SecretUnreadable:
            unreadable.append(str(owner))
            continue
        # Conditional on the old token: a value changed meanwhile is already under the newest
        # key and must not be overwritten with the previous value.
        rotated += manager.filter(pk=pk, **{spec.column: token}).update(**{spec.column: fresh})
    return rotated, unreadable


class Command(DatabaseCommand):
    help = "Re-encrypt all stored secrets under the first key of PUSHADMIN_ENCRYPTION_KEYS."

    def handle(self, *args: Any, **options: Any) -> None:
        problems = []
        for spec in ENCRYPTED_COLUMNS:
            rotated, unreadable = rotate_column(spec)
            self.stdout.write(f"Re-encrypted {rotated} {spec.what}(s) under the newest key.")
            if unreadable:
                problems.append(
                    f"{len(unreadable)} {spec.what}(s) could not be decrypted with any configured key "
                    f"({spec.owners}: {', '.join(sorted(unreadable))}); {spec.remedy}."
                )
        if problems:
            raise CommandError(" ".join(problems))

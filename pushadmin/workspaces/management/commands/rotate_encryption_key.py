"""Re-encrypt every stored AccessKey secret under the newest key in PUSHADMIN_ENCRYPTION_KEYS.

Procedure (no downtime): put the new key first in PUSHADMIN_ENCRYPTION_KEYS, keep the old
ones after it, restart web and workers (they now read both and write with the new one), run
this command, then remove the old key and restart again.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError

from pushadmin.console.database_ready import DatabaseCommand
from pushadmin.workspaces import encryption
from pushadmin.workspaces.models import Workspace


class Command(DatabaseCommand):
    help = "Re-encrypt all AccessKey secrets under the first key of PUSHADMIN_ENCRYPTION_KEYS."

    def handle(self, *args: Any, **options: Any) -> None:
        rotated, unreadable = 0, []
        for pk, name, token in Workspace.objects.exclude(access_key_secret_encrypted="").values_list(
            "pk", "name", "access_key_secret_encrypted"
        ):
            try:
                fresh = encryption.rotate(token)
            except encryption.SecretUnreadable:
                unreadable.append(name)
                continue
            # Conditional on the old token: a secret an admin changed meanwhile is already
            # under the newest key and must not be overwritten with the previous value.
            rotated += Workspace.objects.filter(pk=pk, access_key_secret_encrypted=token).update(
                access_key_secret_encrypted=fresh
            )
        self.stdout.write(f"Re-encrypted {rotated} workspace secret(s) under the newest key.")
        if unreadable:
            raise CommandError(
                f"{len(unreadable)} secret(s) could not be decrypted with any configured key "
                f"(workspaces: {', '.join(sorted(unreadable))}); re-enter them on the settings page."
            )

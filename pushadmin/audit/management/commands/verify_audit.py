"""`python manage.py verify_audit`: walk the audit chain and name the first broken entry."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError

from pushadmin.audit.trail import verify_chain
from pushadmin.console.database_ready import DatabaseCommand


class Command(DatabaseCommand):
    help = "Verify the hash chain of the audit trail; exits non-zero at the first broken entry."

    def handle(self, *args: Any, **options: Any) -> None:
        checked, broken = verify_chain()
        if broken is not None:
            raise CommandError(
                f"Audit trail broken at entry #{broken.seq} (row id {broken.entry_id}): {broken.reason}. "
                f"{checked} entries before it are intact."
            )
        self.stdout.write(self.style.SUCCESS(f"Audit trail intact: {checked} entries verified."))

"""`python manage.py doctor`: one line per check, what to do about each failure, exit 1 on any."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand

from pushadmin.operations import doctor


class Command(BaseCommand):
    help = "Check settings, database, broker, cache, clock, encryption keys and each workspace's credentials."
    requires_system_checks: list[str] = []  # the settings check reports them as a line of its own

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--time-url", help="An https:// address whose Date header this machine's clock is compared with."
        )

    def handle(self, *args: Any, time_url: str | None, **options: Any) -> None:
        failed = 0
        for finding in doctor.run(time_url):
            self.stdout.write(finding.line())
            failed += not finding.ok
        if failed:
            self.stderr.write(f"{failed} checks failed.")
            sys.exit(1)
        self.stdout.write("Everything checked is in order.")

"""``python manage.py mpaas_sandbox``: run the local mPaaS sandbox (same flags as
``python -m pushadmin.sandbox``)."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from pushadmin.sandbox.options import add_arguments, options_from_args
from pushadmin.sandbox.server import serve


class Command(BaseCommand):
    help = "Run the local mPaaS Message Push sandbox (PushMultiple and scheduler APIs)."
    # The sandbox touches no database; skipping checks keeps start-up fast.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: ArgumentParser) -> None:
        add_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            sandbox_options = options_from_args(options)
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc

        def ready(host: str, port: int) -> None:
            self.stdout.write(f"mpaas sandbox listening on http://{host}:{port}")
            self.stdout.flush()

        serve(options["host"], options["port"], sandbox_options, ready=ready)

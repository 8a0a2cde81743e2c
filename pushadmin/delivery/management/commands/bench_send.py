"""`python manage.py bench_send --targets N [--endpoint URL] [--access-key ID:SECRET] [--signature v3|v1]
[--workers W] [--rate CALLS_PER_S]`: time a throwaway campaign end to end; prints one JSON line."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import CommandError

from pushadmin.console.database_ready import DatabaseCommand
from pushadmin.delivery.benchmark import BenchOptions, run


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError("must be at least 1")
    return number


class Command(DatabaseCommand):
    help = (
        "Create a throwaway workspace, template, audience and approved campaign of N targets, start W Celery "
        "worker processes, send everything (to --endpoint or a sandbox started here) and print one JSON line."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--targets", type=_positive, default=100_000, help="campaign size (default 100000)")
        parser.add_argument("--endpoint", help="mPaaS endpoint URL; default: a sandbox started for the run")
        parser.add_argument("--access-key", metavar="ID:SECRET", help="AccessKey pair for --endpoint")
        parser.add_argument("--signature", choices=["v3", "v1"], default="v3")
        parser.add_argument("--workers", type=_positive, default=2, help="worker processes (default 2)")
        parser.add_argument("--rate", type=_positive, metavar="CALLS_PER_S", help="workspace calls-per-second limit")
        parser.add_argument("--timeout", type=_positive, default=3600, help="give up after this many seconds")
        parser.add_argument("--keep-rows", action="store_true", help="keep the message rows afterwards")
        parser.add_argument(
            "--latency-ms", type=int, default=0, help="milliseconds the sandbox started here adds to each answer"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        key = None
        if options["access_key"]:
            key_id, _, secret = options["access_key"].partition(":")
            if not key_id or not secret:
                raise CommandError("--access-key must look like ID:SECRET")
            key = (key_id, secret)
        if options["endpoint"] and not key:
            raise CommandError("--endpoint needs --access-key ID:SECRET")
        result = run(
            BenchOptions(
                targets=options["targets"],
                endpoint=options["endpoint"],
                access_key=key,
                signature=options["signature"],
                workers=options["workers"],
                rate=options["rate"],
                timeout=float(options["timeout"]),
                keep_rows=options["keep_rows"],
                latency_ms=options["latency_ms"],
            )
        )
        self.stdout.write(json.dumps(result))

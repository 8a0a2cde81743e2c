"""`python manage.py bench_send --targets N [--endpoint URL] [--access-key ID:SECRET] [--signature v3|v1]
[--workers W] [--rate CALLS_PER_S] [--latency-ms L] [--kill-worker-after S] [--sdk-baseline N]`:
time a throwaway campaign end to end; prints one JSON line."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import CommandError

from pushadmin.console.database_ready import DatabaseCommand
from pushadmin.delivery.benchmark import BenchOptions, run
from pushadmin.delivery.sdk_baseline import SdkMissing


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError("must be at least 1")
    return number


def _not_negative(value: str) -> int:
    number = int(value)
    if number < 0:
        raise ValueError("must be 0 or more")
    return number


def _seconds(value: str) -> float:
    number = float(value)
    if not number >= 0:
        raise ValueError("must be 0 or more seconds")
    return number


class Command(DatabaseCommand):
    help = (
        "Create a throwaway workspace, template, audience and approved campaign of N targets, start W Celery "
        "worker processes and a celery beat scheduler (the sweeper), send everything (to --endpoint or a sandbox "
        "started here) and print one JSON line. It uses the configured database and broker: the embedded "
        "defaults (SQLite and the filesystem broker under PUSHADMIN_VAR_DIR), or DATABASE_URL=postgres://... "
        "and CELERY_BROKER_URL=redis://... in the environment (migrate that database first). "
        "A worker that dies is reported and the others carry on until the campaign ends."
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
            "--latency-ms",
            type=_not_negative,
            default=0,
            help="milliseconds the sandbox started here adds to each answer",
        )
        parser.add_argument(
            "--kill-worker-after",
            type=_seconds,
            metavar="S",
            help="crash drill: SIGKILL one worker's whole process group S seconds into sending",
        )
        parser.add_argument(
            "--sdk-baseline",
            type=_positive,
            metavar="N",
            help="first send N targets through the official SDK's PushMultiple in a plain loop, same sandbox",
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
        if options["latency_ms"] and options["endpoint"]:
            raise CommandError("--latency-ms is added by the sandbox started here; it cannot apply to --endpoint")
        try:
            result = self._run(options, key)
        except SdkMissing as error:
            raise CommandError(str(error)) from None
        self.stdout.write(json.dumps(result))

    def _run(self, options: dict[str, Any], key: tuple[str, str] | None) -> dict[str, Any]:
        return run(
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
                kill_worker_after=options["kill_worker_after"],
                sdk_baseline=options["sdk_baseline"] or 0,
            )
        )

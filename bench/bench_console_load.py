"""People on the console while a large campaign sends: page times, errors, and how much sending slows.

Runs `bench_send` twice on the configured database and broker (the same campaign size, sandbox
latency and worker count): once alone, once while `--people` signed-in people (each a marketer,
reviewer and auditor of the campaign's workspace) browse a web server started as `make run` does:
each opens the dashboard, the campaign, its progress (as the page's poll asks for it), the campaign
history and the message history, then waits `--pause` seconds, over and over.

    python bench/bench_console_load.py --targets 1000000 --people 20
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import console_people  # noqa: E402  (after the path is set)

PASSWORD = "bench-console-password-1"
PAGE_P95_BOUND_MS = 300
SLOWDOWN_BOUND = 0.20


def configure() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pushadmin.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def people_for(campaign: Any, count: int) -> list[tuple[str, list[str]]]:
    """`count` people holding every role in the campaign's workspace, with the pages each keeps opening."""
    from django.contrib.auth import get_user_model

    from pushadmin.accounts.models import Membership, Role

    workspace_id = campaign.workspace_id
    base = f"/w/{workspace_id}/campaigns/{campaign.pk}/"
    pages = [f"/w/{workspace_id}/", base, f"{base}sending/", f"/w/{workspace_id}/history/"]
    pages.append(f"/w/{workspace_id}/history/messages/")
    people = []
    for number in range(count):
        username = f"console-{campaign.msg_key_prefix}-{number}"
        user = get_user_model().objects.create_user(username, password=PASSWORD)
        for role in (Role.MARKETER, Role.REVIEWER, Role.AUDITOR):
            Membership.objects.create(user=user, workspace_id=workspace_id, role=role)
        people.append((username, pages))
    return people


def crowd_alongside(count: int, pause: float, summary: dict[str, Any]) -> Callable[[Any], Callable[[], None]]:
    def start(campaign: Any) -> Callable[[], None]:
        var = Path(os.environ.get("PUSHADMIN_VAR_DIR", ROOT / "var"))
        web, url = console_people.start_web(dict(os.environ), var / "bench-console-web.log")
        people = [
            console_people.Person(url, username, PASSWORD, lambda pages=pages: pages, interval=pause)  # type: ignore[misc]
            for username, pages in people_for(campaign, count)
        ]
        crowd = console_people.Crowd(people).__enter__()

        def finish() -> None:
            crowd.__exit__(None, None, None)
            summary.update(crowd.summary())
            summary["web_peak_rss_mb"] = round(console_people.peak_rss_mb(web))
            console_people.stop(web)

        return finish

    return start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", type=int, default=1_000_000)
    parser.add_argument("--people", type=int, default=20)
    parser.add_argument("--pause", type=float, default=2.0, help="seconds each person waits between rounds")
    parser.add_argument("--latency-ms", type=int, default=0)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    configure()
    from pushadmin.delivery import benchmark

    def options(**extra: Any) -> benchmark.BenchOptions:
        return benchmark.BenchOptions(targets=args.targets, latency_ms=args.latency_ms, workers=args.workers, **extra)

    alone = benchmark.run(options())
    print("alone:", json.dumps(alone), flush=True)
    time.sleep(5)
    pages: dict[str, Any] = {}
    watched = benchmark.run(options(alongside=crowd_alongside(args.people, args.pause, pages)))
    print("with people:", json.dumps(watched), flush=True)
    slowdown = 1 - watched["messages_per_s"] / alone["messages_per_s"]
    print(json.dumps({"people": args.people, "pages": pages, "slowdown": round(slowdown, 3)}, indent=2))
    print(f"{'ok  ' if pages.get('p95_ms', 1e9) < PAGE_P95_BOUND_MS else 'MISS'} page p95: {pages.get('p95_ms')} ms")
    print(f"{'ok  ' if not pages.get('failure_count') else 'MISS'} failures: {pages.get('failure_count')}")
    print(f"{'ok  ' if slowdown < SLOWDOWN_BOUND else 'MISS'} sending slowed by {slowdown:.1%}")


if __name__ == "__main__":
    main()

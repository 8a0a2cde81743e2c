"""Keyset pages of the auditor's history at scale: bulk-creates messages, then times pages.

Uses its own database (default: SQLite at var/bench/history.sqlite3; pass --database-url
for PostgreSQL) so it never touches the working data. Rows are generated once and kept;
`--rebuild` starts over. Every timed query is the one the history page runs.

    python bench/bench_history.py --messages 10000000
    python bench/bench_history.py --database-url postgres://…/bench --messages 10000000

Measured at 1 million messages (2 shared cores): every page below 5 ms on SQLite and 6 ms on
PostgreSQL, including a result-code filter that matches nothing (served by the failure-code index,
which leaves out the codes of unsent and accepted rows) and the code OK (which that index leaves
out: most rows carry it, so the newest-first walk fills a page at once).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PER_CAMPAIGN = 100_000
BATCH = 100
STARTED = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
REJECT_CODES = ["InvalidTarget", "TargetNotBound", "TemplateValueTooLong"]


def configure(database_url: str | None) -> None:
    var = ROOT / "var" / "bench"
    var.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PUSHADMIN_VAR_DIR", str(var))
    os.environ["DATABASE_URL"] = database_url or f"sqlite:///{var / 'history.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pushadmin.settings")
    import django

    django.setup()


def message_rows(campaign_id: int, prefix: str, start: int, count: int, first_id: int) -> Iterator[tuple[Any, ...]]:
    for offset in range(count):
        seq = start + offset
        n = first_id + offset
        bucket = n % 100
        if bucket < 90:
            status, code = "accepted", "OK"
        elif bucket < 98:
            status, code = "rejected", REJECT_CODES[n % len(REJECT_CODES)]
        else:
            status, code = "unknown", ""
        yield (
            n,
            campaign_id,
            seq,
            f"user{n}",
            '{"name": "Zhang San", "money": "200"}',
            f"pa{prefix}-{seq}",
            status,
            1,
            f"REQ-{campaign_id}-{(seq - 1) // BATCH}",
            code,
            "2026-11-01 08:00:00",
        )


def generate(total: int) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from pushadmin.accounts.models import Membership, Role
    from pushadmin.campaigns.models import Campaign, CampaignStatus, Template
    from pushadmin.delivery.models import Attempt, Batch
    from pushadmin.reviews.models import Approval
    from pushadmin.workspaces.models import Workspace

    user = get_user_model().objects.create_user("bench.marketer", password=None)
    reviewer = get_user_model().objects.create_user("bench.reviewer", password=None)
    workspace = Workspace(name="Bench", app_id="BENCH", mpaas_workspace_id="bench", endpoint_url="http://127.0.0.1:1")
    workspace.access_key_id = "bench"
    workspace.save()
    Membership.objects.create(user=user, workspace=workspace, role=Role.MARKETER)
    template = Template.objects.create(
        workspace=workspace, name="bench", title="Hi", content="Hello #name# #money#", created_by=user
    )
    insert_messages = (
        'INSERT INTO delivery_message (id, campaign_id, seq, target, "values", msg_key, status, send_round, '
        "request_id, result_code, updated_at, result_message, task_id)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, '', '')"
    )
    next_id = 1
    started = time.monotonic()
    for number in range((total + PER_CAMPAIGN - 1) // PER_CAMPAIGN):
        size = min(PER_CAMPAIGN, total - number * PER_CAMPAIGN)
        campaign = Campaign.objects.create(
            workspace=workspace, name=f"Bench {number}", template=template, created_by=user, status=CampaignStatus.SENT
        )
        Approval.objects.create(campaign=campaign, reviewer=reviewer, revision=1, fingerprint="0" * 64)
        with transaction.atomic(), connection.cursor() as cursor:
            rows = message_rows(campaign.pk, campaign.msg_key_prefix, 1, size, next_id)
            if connection.vendor == "postgresql":
                # COPY is what makes ten million rows take minutes rather than an hour on PostgreSQL.
                copy_sql = insert_messages.split(" VALUES")[0].replace("INSERT INTO", "COPY") + " FROM STDIN"
                with cursor.cursor.copy(copy_sql) as copy:
                    for row in rows:
                        copy.write_row((*row, "", ""))
            else:
                # Django takes any iterable here (its SQLite cursor peeks with tee); the stub asks for a Sequence.
                cursor.executemany(insert_messages, rows)  # type: ignore[arg-type]
        # Batches and calls through the ORM (a hundredth of the rows), so new columns get their defaults.
        batches = Batch.objects.bulk_create(
            Batch(campaign=campaign, seq=seq, status="done") for seq in range((size + BATCH - 1) // BATCH)
        )
        Attempt.objects.bulk_create(
            Attempt(
                batch=batch,
                campaign=campaign,
                started_at=STARTED,
                duration_ms=40,
                http_status=200,
                outcome="accepted",
                code="OK",
                request_id=f"REQ-{campaign.pk}-{batch.seq}",
            )
            for batch in batches
        )
        next_id += size
        rate = (next_id - 1) / (time.monotonic() - started)
        print(f"  {next_id - 1:>10,} messages ({rate:,.0f}/s)", flush=True)
    print("  analysing …", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def timed(run: Callable[[], Any], repeat: int) -> tuple[float, int]:
    durations, size = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        size = len(run())
        durations.append((time.perf_counter() - started) * 1000)
    return statistics.median(durations), size


def measure(repeat: int) -> list[tuple[str, float, int]]:
    from pushadmin.audit import history
    from pushadmin.delivery.models import Message
    from pushadmin.workspaces.models import Workspace

    workspace = Workspace.objects.get(name="Bench")
    last = Message.objects.order_by("-id").values_list("id", "target", "msg_key", "campaign_id").first()
    assert last is not None, "no bench data"
    top, target, msg_key, campaign_id = last
    middle = top // 2

    def run(kind: str, data: dict[str, Any], before: int | None = None) -> Callable[[], list[Any]]:
        spec = history.KINDS[kind]
        return lambda: history.page(spec.query(workspace, data), spec.key_for(data), before).rows

    cases = [
        ("messages, first page", run("messages", {})),
        ("messages, page in the middle (keyset)", run("messages", {}, middle)),
        ("messages, state = rejected", run("messages", {"state": "rejected"}, middle)),
        ("messages, result code = TargetNotBound", run("messages", {"code": "TargetNotBound"})),
        ("messages, result code matching no row", run("messages", {"code": "NoSuchCode"})),
        ("messages, result code = OK (not indexed)", run("messages", {"code": "OK"}, middle)),
        ("messages, by target", run("messages", {"target": target})),
        ("messages, by MsgKey", run("messages", {"msg_key": msg_key})),
        ("messages, one campaign", run("messages", {"campaign": campaign_id})),
        ("messages, one campaign, deep page", run("messages", {"campaign": campaign_id}, 50_000)),
        ("messages, one campaign, rejected", run("messages", {"campaign": campaign_id, "state": "rejected"})),
        ("messages, author", run("messages", {"author": "bench.marketer"}, middle)),
        ("messages, approver", run("messages", {"approver": "bench.reviewer"}, middle)),
        ("campaigns, first page", run("campaigns", {})),
        ("campaigns, by target", run("campaigns", {"target": target})),
        ("API calls, first page", run("calls", {})),
        ("API calls, one campaign", run("calls", {"campaign": campaign_id})),
    ]
    return [(name, *timed(query, repeat)) for name, query in cases]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    configure(args.database_url)

    from django.core.management import call_command
    from django.db import connection

    from pushadmin.delivery.models import Message

    if args.rebuild and connection.vendor == "sqlite":
        connection.close()
        Path(connection.settings_dict["NAME"]).unlink(missing_ok=True)
    call_command("migrate", verbosity=0)
    existing = Message.objects.count()
    if existing != args.messages:
        if existing:
            sys.exit(f"The bench database holds {existing:,} messages; pass --rebuild to regenerate {args.messages:,}.")
        print(f"Generating {args.messages:,} messages in campaigns of {PER_CAMPAIGN:,} …", flush=True)
        generate(args.messages)
    print(f"\n{connection.vendor}, {Message.objects.count():,} messages; median of {args.repeat} runs per page")
    print(f"{'page':<42} {'ms':>8} {'rows':>5}")
    worst = 0.0
    for name, ms, rows in measure(args.repeat):
        worst = max(worst, ms)
        print(f"{name:<42} {ms:>8.1f} {rows:>5}")
    print(f"\nslowest page: {worst:.1f} ms (budget 200 ms)")


if __name__ == "__main__":
    main()

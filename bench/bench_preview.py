"""Server time of the builder's preview endpoints: a 100-row page of rendered rows, and one row.

Builds a campaign of `--rows` rows in its own database (default SQLite at
var/bench/preview.sqlite3), then calls the views in-process through Django's test client
(the whole middleware stack, no network) and reports p50/p95/max in milliseconds.

    python bench/bench_preview.py --rows 1000 --requests 300
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_setup import bench_user_and_workspace  # noqa: E402  (after the path is set)

if TYPE_CHECKING:  # the models are imported once Django is set up
    from django.contrib.auth.models import User

    from pushadmin.campaigns.models import Campaign

TARGET_P95_MS = 50.0


def configure(database_url: str | None) -> None:
    var = ROOT / "var" / "bench"
    var.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PUSHADMIN_VAR_DIR", str(var))
    os.environ["DATABASE_URL"] = database_url or f"sqlite:///{var / 'preview.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pushadmin.settings")
    import django

    django.setup()
    from django.test.utils import setup_test_environment

    setup_test_environment()


def build(rows: int) -> tuple[User, Campaign]:

    from pushadmin.accounts.models import Membership, Role
    from pushadmin.campaigns.models import Campaign, Template
    from pushadmin.delivery.models import Message

    user, workspace = bench_user_and_workspace()
    Membership.objects.get_or_create(user=user, workspace=workspace, role=Role.MARKETER)
    template, _ = Template.objects.get_or_create(
        workspace=workspace,
        name="demo-welcome",
        defaults={
            "title": "Hi #name#",
            "content": "Hello #name#, congratulations on winning #money# yuan",
            "created_by": user,
        },
    )
    campaign = Campaign.objects.create(workspace=workspace, name="bench", template=template, created_by=user)
    Message.objects.bulk_create(
        (
            Message(
                campaign=campaign,
                seq=seq,
                target=f"user{seq}",
                values={"name": f"User {seq}", "money": str(seq)} if seq % 10 else {"name": f"User {seq}"},
                msg_key=campaign.msg_key_for(seq),
            )
            for seq in range(1, rows + 1)
        ),
        batch_size=1000,
    )
    return user, campaign


def timed(call: Callable[[], object], requests: int) -> tuple[list[float], list[float]]:
    """(wall ms, CPU ms) per request; CPU time leaves out waiting for a core on a shared machine."""
    for _ in range(10):
        call()  # warm caches and connections
    wall, cpu = [], []
    for _ in range(requests):
        started, started_cpu = time.perf_counter(), time.process_time()
        call()
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return wall, cpu


def p95_of(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[int(len(ordered) * 0.95) - 1]


def report(name: str, measured: tuple[list[float], list[float]]) -> float:
    wall, cpu = measured
    print(
        f"{name}: n={len(wall)} wall p50={statistics.median(wall):.1f}ms p95={p95_of(wall):.1f}ms "
        f"max={max(wall):.1f}ms · CPU p50={statistics.median(cpu):.1f}ms p95={p95_of(cpu):.1f}ms"
    )
    return p95_of(wall)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    configure(args.database_url)
    from django.test import Client
    from django.urls import reverse

    user, campaign = build(args.rows)
    client = Client()
    client.force_login(user)
    kwargs = {"workspace_id": campaign.workspace_id, "campaign_id": campaign.pk}
    rows_url = reverse("campaigns:rows", kwargs=kwargs)
    row_url = reverse("campaigns:row_preview", kwargs=kwargs)

    def page() -> object:
        response = client.get(rows_url, {"page": 2}, HTTP_HX_REQUEST="true")
        assert response.status_code == 200 and response.content.count(b'<tr id="row-') >= 100
        return response

    def one_row() -> object:
        data = {"row": "5", "row-5-target": "user5", "row-5-v-name": "Li Si", "row-5-v-money": "8", "row-5-ext": ""}
        response = client.post(row_url, data, HTTP_HX_REQUEST="true")
        assert response.status_code == 200
        return response

    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    p95 = report(f"rows page (100 rendered rows of {args.rows:,})", timed(page, args.requests))
    report("one row as typed", timed(one_row, args.requests))
    if p95 >= TARGET_P95_MS:
        raise SystemExit(f"p95 {p95:.1f} ms is over the {TARGET_P95_MS:.0f} ms target")


if __name__ == "__main__":
    main()

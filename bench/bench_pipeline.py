"""From a CSV file to a campaign ready for review, at a million rows, while people watch.

Starts the product as `make run` does (gunicorn with 2 workers of 4 threads, a prefork Celery
worker with 2 processes) on its own database and queue, signs in `--watchers` people who keep the
pages of the step under way open (the audience page while it imports; the builder and its rows
progress, polled every second as the page does, while the rows are built), and then:

1. uploads a `--rows`-row CSV through the audience form (streamed) and waits for the worker's import;
2. creates a campaign from that audience (as the New campaign form does) and waits for its rows;
3. runs pre-flight over every row (the scan the worker caches for the builder);
4. computes the approval fingerprint and packs the approved rows (as approving does).

Prints each step's time, the peak memory of web, worker and this process, the watchers' page
times and every failure (a status other than 200, a page saying the database was locked or a
step failed, such a line in the worker's log). Exits 1 on any failure.

    python bench/bench_pipeline.py --rows 1000000
    python bench/bench_pipeline.py --rows 1000000 --database-url postgres://postgres@127.0.0.1/bench_pipeline \
        --broker-url redis://127.0.0.1:6379/13
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import console_people  # noqa: E402  (after the path is set)
from bench_import import write_csv  # noqa: E402

PASSWORD = "bench-pipeline-password-1"
TARGET_SECONDS = 60
MEMORY_BOUND_MB = 300
WATCHED_PAGE_BOUND_MS = 200


def configure(database_url: str | None, broker_url: str | None) -> dict[str, str]:
    var = ROOT / "var" / "bench-pipeline"
    shutil.rmtree(var, ignore_errors=True)
    var.mkdir(parents=True)
    os.environ["PUSHADMIN_VAR_DIR"] = str(var)
    os.environ["DATABASE_URL"] = database_url or f"sqlite:///{var / 'pipeline.sqlite3'}"
    if broker_url:
        os.environ["CELERY_BROKER_URL"] = broker_url
    os.environ["PUSHADMIN_CELERY_QUEUE"] = f"bench-pipeline-{uuid.uuid4().hex[:8]}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pushadmin.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return {
        **os.environ,
        "SECRET_KEY": settings.SECRET_KEY,
        "PUSHADMIN_ENCRYPTION_KEYS": ",".join(settings.PUSHADMIN_ENCRYPTION_KEYS),
    }


def people_and_workspace() -> tuple[Any, Any, Any]:
    from django.contrib.auth import get_user_model

    from pushadmin.accounts.models import Membership, Role
    from pushadmin.campaigns.models import Template
    from pushadmin.workspaces.models import Workspace

    workspace = Workspace(
        name="Pipeline", app_id="BENCH", mpaas_workspace_id="bench", endpoint_url="http://127.0.0.1:1"
    )
    workspace.access_key_id = "bench"
    workspace.set_secret("bench-secret")
    workspace.save()
    marketer = get_user_model().objects.create_user("pipeline.marketer", password=PASSWORD)
    Membership.objects.create(user=marketer, workspace=workspace, role=Role.MARKETER)
    template = Template.objects.create(
        workspace=workspace,
        name="pipeline",
        title="Hello #name#",
        content="Your balance is #money#.",
        created_by=marketer,
    )
    return marketer, workspace, template


def wait_until(check: Callable[[], Any], what: str, timeout: float = 900) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.1)
    raise SystemExit(f"timed out waiting for {what}")


class Watched:
    """The pages the watchers keep open: those of the step under way."""

    def __init__(self) -> None:
        self.paths: list[str] = []

    def __call__(self) -> list[str]:
        return list(self.paths)


def upload(web_url: str, workspace_id: int, csv_path: Path) -> int:
    """The audience form, posted with the file streamed as a browser does; returns the new audience's id."""
    person = console_people.Person(web_url, "pipeline.marketer", PASSWORD, lambda: [])
    with httpx.Client(base_url=web_url, timeout=600, trust_env=False) as client:
        person.sign_in(client)
        form_path = f"/w/{workspace_id}/audiences/new/"
        token = console_people.CSRF_FIELD.search(client.get(form_path).text)
        assert token, "the audience form has no CSRF field"
        with open(csv_path, "rb") as rows:
            answer = client.post(
                form_path,
                data={"name": "Pipeline audience", "delivery_type": "2", "csrfmiddlewaretoken": token.group(1)},
                files={"upload": ("audience.csv", rows, "text/csv")},
                headers={"Referer": f"{web_url}{form_path}"},
            )
    if answer.status_code != 302:
        raise SystemExit(f"the upload was refused (HTTP {answer.status_code})")
    return int(answer.headers["location"].rstrip("/").rsplit("/", 1)[1])


def create_campaign(marketer: Any, workspace: Any, template: Any, audience_id: int) -> Any:
    """What the New campaign form does once its fields are valid."""
    from django.db import transaction

    from pushadmin.audiences.models import Audience
    from pushadmin.campaigns.models import Campaign, MissingDataPolicy
    from pushadmin.campaigns.rows import replace_rows_from_audience

    with transaction.atomic():
        campaign = Campaign.objects.create(
            workspace=workspace,
            name="Pipeline campaign",
            template=template,
            audience=Audience.objects.get(pk=audience_id),
            missing_policy=MissingDataPolicy.SKIP,
            created_by=marketer,
        )
        campaign.editors.add(marketer)
        replace_rows_from_audience(campaign)
    return campaign


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--watchers", type=int, default=2, help="people keeping the step's pages open")
    parser.add_argument("--database-url")
    parser.add_argument("--broker-url")
    args = parser.parse_args()
    env = configure(args.database_url, args.broker_url)

    from django.db import connection

    from pushadmin.audiences.models import AudienceImport
    from pushadmin.campaigns import preflight
    from pushadmin.campaigns.models import Campaign, RowsState
    from pushadmin.reviews.approved_rows import RowPacker
    from pushadmin.reviews.fingerprint import compute_fingerprint

    marketer, workspace, template = people_and_workspace()
    csv_path = Path(env["PUSHADMIN_VAR_DIR"]) / "audience.csv"  # outside the uploads folder: posted like a browser
    planted_bad = write_csv(csv_path, args.rows)
    size_mb = csv_path.stat().st_size / 1e6
    print(f"{connection.vendor}: {args.rows:,} rows, {size_mb:.0f} MB CSV, {planted_bad} bad rows", flush=True)

    var = Path(env["PUSHADMIN_VAR_DIR"])
    web, web_url = console_people.start_web(env, var / "web.log")
    worker = console_people.start_worker(env, env["PUSHADMIN_CELERY_QUEUE"], var / "worker.log")
    watched = Watched()
    people = [console_people.Person(web_url, "pipeline.marketer", PASSWORD, watched) for _ in range(args.watchers)]
    steps: dict[str, float] = {}
    try:
        with console_people.Crowd(people) as crowd:
            watched.paths = [f"/w/{workspace.pk}/"]
            started = time.perf_counter()
            audience_id = upload(web_url, workspace.pk, csv_path)
            steps["upload"] = time.perf_counter() - started
            watched.paths = [f"/w/{workspace.pk}/audiences/{audience_id}/"]
            job = wait_until(
                lambda: AudienceImport.objects.filter(audience_id=audience_id, status__in=["done", "failed"]).first(),
                "the import",
            )
            steps["import"] = time.perf_counter() - started - steps["upload"]
            if job.status != "done":
                raise SystemExit(f"the import failed: {job.error}")

            mark = time.perf_counter()
            campaign = create_campaign(marketer, workspace, template, audience_id)
            base = f"/w/{workspace.pk}/campaigns/{campaign.pk}/"
            watched.paths = [f"{base}edit/", f"{base}rows/progress/"]
            state = wait_until(
                lambda: (
                    Campaign.objects.filter(pk=campaign.pk, rows_state__in=[RowsState.READY, RowsState.FAILED])
                    .values_list("rows_state", "rows_error")
                    .first()
                ),
                "the rows",
            )
            steps["build rows"] = time.perf_counter() - mark
            if state[0] != RowsState.READY:
                raise SystemExit(f"building the rows failed: {state[1]}")
            watched.paths = [f"{base}edit/"]

            campaign = Campaign.objects.select_related("template", "workspace").get(pk=campaign.pk)
            mark = time.perf_counter()
            report = preflight._scan_rows(campaign)
            steps["pre-flight"] = time.perf_counter() - mark
            mark = time.perf_counter()
            packer = RowPacker()
            compute_fingerprint(campaign, on_row=packer.add)
            packed = packer.finish()
            steps["fingerprint + packed rows"] = time.perf_counter() - mark
            time.sleep(2)  # a last round of polls on the finished builder
        web_peak, worker_peak = console_people.peak_rss_mb(web), console_people.peak_rss_mb(worker)
    finally:
        console_people.stop(web)
        console_people.stop(worker)
    total = sum(steps.values())
    watchers = crowd.summary()
    result = {
        "database": connection.vendor,
        "rows": args.rows,
        "imported": job.rows_imported,
        "rejected": job.rows_rejected,
        "rows_to_send": report.rows_to_send,
        "packed_rows_mb": round(len(packed) / 1e6, 1),
        "steps_s": {name: round(seconds, 1) for name, seconds in steps.items()},
        "total_s": round(total, 1),
        "peak_rss_mb": {
            "web": round(web_peak),
            "worker": round(worker_peak),
            "this process (pre-flight, fingerprint)": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        },
        "watchers": watchers,
    }
    print(json.dumps(result, indent=2, ensure_ascii=False))
    logs = [var / "web.log", var / "worker.log"]
    problems = [f"{log.stem} log: {line}" for log in logs for line in console_people.trouble_in_log(log)]
    if watchers.get("failure_count"):
        problems.append(f"{watchers['failure_count']} watched page(s) failed")
    if job.rows_rejected != planted_bad:
        problems.append(f"{job.rows_rejected} rows rejected, {planted_bad} planted")
    verdicts = [
        ("all steps", total <= TARGET_SECONDS, f"{total:.1f} s (target ≤ {TARGET_SECONDS} s)"),
        ("web memory", web_peak < MEMORY_BOUND_MB, f"{web_peak:.0f} MB (< {MEMORY_BOUND_MB})"),
        ("worker memory", worker_peak < MEMORY_BOUND_MB, f"{worker_peak:.0f} MB (< {MEMORY_BOUND_MB})"),
        (
            "watched pages p95",
            float(watchers.get("p95_ms", 0)) < WATCHED_PAGE_BOUND_MS,
            f"{watchers.get('p95_ms')} ms (< {WATCHED_PAGE_BOUND_MS})",
        ),
    ]
    for name, ok, figure in verdicts:
        print(f"{'ok  ' if ok else 'MISS'} {name}: {figure}")
    if problems:
        raise SystemExit("FAILED: " + "; ".join(problems))


if __name__ == "__main__":
    main()

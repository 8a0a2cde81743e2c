"""The checks of `python manage.py doctor`: each says ok, or what is wrong and what to do.

They reuse the readiness probes, and for each workspace make one harmless signed call
(QueryPushSchedulerList over a one-second range) that a wrong clock or a wrong secret fails.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import httpx
from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core import checks

from pushadmin.console.database_ready import MIGRATE_HINT
from pushadmin.delivery import clients
from pushadmin.mpaas import errors
from pushadmin.mpaas.request_types import QueryPushSchedulerListRequest
from pushadmin.operations import readiness
from pushadmin.workspaces import encryption
from pushadmin.workspaces.models import Workspace

CLOCK_TOLERANCE_SECONDS = 60  # mPaaS refuses requests 15 minutes off; a minute off means time sync is broken
CALL_TIMEOUT_SECONDS = 10.0
CLOCK_CODES = {"InvalidTimeStamp.Expired", "InvalidTimeStamp.Format"}
CREDENTIAL_CODES = {"SignatureDoesNotMatch", "IncompleteSignature", "-1", "InvalidAccessKeyId.NotFound"}


@dataclass(frozen=True)
class Finding:
    name: str
    ok: bool
    says: str  # what was found, and on a failure what to do
    skipped: bool = False

    def line(self) -> str:
        mark = "skip" if self.skipped else "ok  " if self.ok else "FAIL"
        return f"{mark}  {self.name:<24} {self.says}"


def settings_check() -> Finding:
    found = checks.run_checks(include_deployment_checks=settings.PRODUCTION)
    serious = [m for m in found if m.level >= checks.WARNING and not m.is_silenced()]
    if not serious:
        return Finding("settings", True, f"{settings.PUSHADMIN_ENV}: no problems reported")
    first = serious[0]
    return Finding(
        "settings",
        False,
        f"{len(serious)} problems, first {first.id}: {first.msg} — run `python manage.py check --deploy` for all",
    )


HINTS = {
    "database": "check DATABASE_URL and that the database server runs",
    "migrations": MIGRATE_HINT,
    "broker": "check CELERY_BROKER_URL and that Redis or RabbitMQ runs; nothing can be sent meanwhile",
    "cache": "check PUSHADMIN_CACHE_URL (or that the var folder is writable)",
}


def component_checks() -> Iterator[Finding]:
    for name, probe in readiness.probe_all().items():
        if probe.ok:
            yield Finding(name, True, "reachable" if name != "migrations" else "all applied")
        else:
            yield Finding(name, False, f"{probe.failure}: {HINTS[name]}")


def clock_check(time_url: str | None) -> Finding:
    if not time_url:
        return Finding("clock", True, "not compared: name a reference with --time-url https://…", skipped=True)
    try:
        with httpx.Client(timeout=CALL_TIMEOUT_SECONDS, trust_env=False) as http:
            sent = time.time()
            answer = http.head(time_url)
            received = time.time()
        reference = parsedate_to_datetime(answer.headers["Date"]).timestamp()
    except (httpx.HTTPError, KeyError, TypeError, ValueError) as exc:
        return Finding("clock", False, f"{time_url} gave no usable Date header ({type(exc).__name__}): name another")
    # The reference's second began somewhere in the round trip; half a second for its truncation.
    offset = (sent + received) / 2 - (reference + 0.5)
    if abs(offset) <= CLOCK_TOLERANCE_SECONDS:
        return Finding("clock", True, f"{offset:+.0f} s from {time_url}")
    return Finding(
        "clock",
        False,
        f"{offset:+.0f} s from {time_url}: synchronise this machine's clock (NTP, chrony); "
        "mPaaS refuses calls signed more than 15 minutes off",
    )


def key_ring_check() -> Finding:
    newest = Fernet(settings.PUSHADMIN_ENCRYPTION_KEYS[0])
    unreadable: list[str] = []
    older = 0
    stored = Workspace.objects.exclude(access_key_secret_encrypted="").only("pk", "name", "access_key_secret_encrypted")
    for workspace in stored:
        token = workspace.access_key_secret_encrypted
        try:
            encryption.decrypt(token)
        except encryption.SecretUnreadable:
            unreadable.append(f"#{workspace.pk}")
            continue
        try:
            newest.decrypt(token.encode())
        except InvalidToken:
            older += 1
    count = len(settings.PUSHADMIN_ENCRYPTION_KEYS)
    if unreadable:
        return Finding(
            "encryption keys",
            False,
            f"the secrets of workspaces {', '.join(unreadable)} decrypt with none of the {count} keys: put the key "
            "they were stored with back in PUSHADMIN_ENCRYPTION_KEYS, or enter those secrets again",
        )
    if older:
        return Finding(
            "encryption keys",
            True,
            f"{older} secrets still under an older key: run `python manage.py rotate_encryption_key`",
        )
    return Finding("encryption keys", True, f"{stored.count()} stored secrets decrypt with the newest of {count} keys")


def signed_call_check(workspace: Workspace) -> Finding:
    name = f"workspace #{workspace.pk}"
    if not workspace.has_secret:
        return Finding(name, True, "no AccessKey secret stored yet", skipped=True)
    try:
        client = clients.build_client(workspace, timeout=CALL_TIMEOUT_SECONDS)
    except Exception as exc:
        why = clients.why_not_built(exc)
        return Finding(name, False, f"no call could be prepared ({why}): correct the workspace's settings")
    now_ms = int(time.time() * 1000)
    request = QueryPushSchedulerListRequest(
        app_id=workspace.app_id,
        workspace_id=workspace.mpaas_workspace_id,
        start_time=now_ms,
        end_time=now_ms + 1000,
        page_number=1,
        page_size=1,
    )
    with client:
        outcome = client.query_push_scheduler_list(request).outcome
    if isinstance(outcome, errors.Accepted):
        return Finding(name, True, "a signed call was answered")
    words = errors.in_plain_words(outcome) or "no usable answer"
    code = outcome.code or ""
    if code in CLOCK_CODES:
        advice = "synchronise this machine's clock"
    elif code in CREDENTIAL_CODES or (isinstance(outcome, errors.Rejected) and outcome.config_error):
        advice = "enter the workspace's AccessKey id and secret again under Settings"
    elif outcome.http_status is None:
        advice = "check the endpoint address and that this machine can reach it"
    else:
        advice = "see the workspace's settings and the mPaaS console"
    return Finding(name, False, f"{code or type(outcome).__name__}: {words} — {advice}")


def run(time_url: str | None) -> Iterator[Finding]:
    yield settings_check()
    components = list(component_checks())
    yield from components
    yield clock_check(time_url)
    if not all(f.ok for f in components if f.name in ("database", "migrations")):
        yield Finding("workspaces", False, "not checked: the database is not ready", skipped=True)
        return
    yield key_ring_check()
    for workspace in Workspace.objects.order_by("pk"):
        yield signed_call_check(workspace)

"""Sending one webhook delivery: signed per Standard Webhooks, every try logged, retried for a day.

A worker claims the delivery with a conditional UPDATE (a lease), so two workers never send it
at once; the same webhook-id goes with every try, so a receiver can drop a repeat. 2xx is
delivered; a timeout, a network error, 408/409/425/429 or 5xx is tried again after
`RETRY_AFTER_SECONDS` (the Standard Webhooks schedule) until a day has passed; any other 4xx
is the receiver's final answer. After `PUSHADMIN_WEBHOOK_DISABLE_AFTER` failed tries in a row
the endpoint is disabled and the workspace's admins are told.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime, timedelta

import httpx
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from standardwebhooks.webhooks import Webhook

from pushadmin.accounts import preferences
from pushadmin.accounts.models import Membership, Role
from pushadmin.audit import trail
from pushadmin.console import recorded_reasons as reasons
from pushadmin.notifications.models import Notification
from pushadmin.webhooks import addresses
from pushadmin.webhooks.events import enqueue
from pushadmin.webhooks.models import Attempt, Delivery, DeliveryStatus, Endpoint
from pushadmin.workspaces import encryption

RETRY_AFTER_SECONDS = (5, 300, 1800, 7200, 18000, 36000, 36000)
GIVE_UP_AFTER = timedelta(days=1)
LEASE = timedelta(seconds=60)
RETRIED_4XX = {408, 409, 425, 429}

logger = logging.getLogger(__name__)


def signing_secret(endpoint: Endpoint) -> str:
    return encryption.decrypt(endpoint.secret_encrypted)


def signed_headers(endpoint: Endpoint, message_id: str, body: str) -> dict[str, str]:
    now = timezone.now()
    return {
        "content-type": "application/json",
        "user-agent": "pushadmin-webhooks/1",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(signing_secret(endpoint)).sign(message_id, now, body),
    }


def claim(delivery_id: int) -> Delivery | None:
    now = timezone.now()
    free = Q(claimed_until=None) | Q(claimed_until__lt=now)
    due = Q(next_attempt_at=None) | Q(next_attempt_at__lte=now)
    taken = Delivery.objects.filter(free, due, pk=delivery_id, status=DeliveryStatus.PENDING).update(
        claimed_until=now + LEASE, attempts=F("attempts") + 1
    )
    return Delivery.objects.select_related("endpoint").get(pk=delivery_id) if taken else None


def deliver(delivery_id: int, transport: httpx.BaseTransport | None = None) -> str | None:
    """Try one delivery now if it is due and nobody else holds it; returns its status, or None if not taken."""
    delivery = claim(delivery_id)
    if delivery is None:
        return None
    endpoint = delivery.endpoint
    body = json.dumps(delivery.payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    started, began = timezone.now(), time.monotonic()
    code: int | None = None
    error = "" if endpoint.enabled else reasons.ENDPOINT_IS_DISABLED
    if not error:
        error = addresses.refusal(endpoint.url, resolve=True) or ""
    if not error:
        try:
            with httpx.Client(timeout=10, transport=transport, follow_redirects=False, trust_env=False) as client:
                code = client.post(
                    endpoint.url, content=body.encode(), headers=signed_headers(endpoint, delivery.message_id, body)
                ).status_code
        except httpx.HTTPError as exc:
            # Stored (and shown) as a sentence with the error's kind; the library's own words go to the log.
            logger.info("webhook delivery %s not answered: %s: %s", delivery.pk, type(exc).__name__, exc)
            error = reasons.written(reasons.WEBHOOK_NOT_REACHED, code=type(exc).__name__)
    latency = int((time.monotonic() - began) * 1000)
    return record(delivery, started=started, latency_ms=latency, code=code, error=error)


def _retryable(code: int | None, error: str) -> bool:
    if code is None:
        return "disabled" not in error and "Not allowed" not in error
    return code >= 500 or code in RETRIED_4XX


def record(delivery: Delivery, *, started: datetime, latency_ms: int, code: int | None, error: str) -> str:
    ok = code is not None and 200 <= code < 300
    now = timezone.now()
    if ok:
        status, next_at = DeliveryStatus.SUCCEEDED, None
    else:
        wait = RETRY_AFTER_SECONDS[min(delivery.attempts - 1, len(RETRY_AFTER_SECONDS) - 1)]
        next_at = now + timedelta(seconds=wait)
        retry = _retryable(code, error) and next_at - delivery.created_at <= GIVE_UP_AFTER
        status = DeliveryStatus.PENDING if retry else DeliveryStatus.FAILED
        next_at = next_at if retry else None
    with transaction.atomic():
        if not ok:
            trail.lock_chain(delivery.endpoint.workspace_id)  # before the row locks: a failure may disable the endpoint
        Attempt.objects.create(
            delivery=delivery, started_at=started, latency_ms=latency_ms, status_code=code, error=error, succeeded=ok
        )
        Delivery.objects.filter(pk=delivery.pk).update(
            status=status,
            next_attempt_at=next_at,
            claimed_until=None,
            last_status_code=code,
            last_latency_ms=latency_ms,
            last_error=error,
            delivered_at=now if ok else None,
        )
        if ok:
            Endpoint.objects.filter(pk=delivery.endpoint_id).update(failures_in_a_row=0)
        else:
            _count_failure(delivery.endpoint_id)
    if status == DeliveryStatus.PENDING and next_at is not None:
        transaction.on_commit(lambda: enqueue([delivery.pk], countdown=(next_at - now).total_seconds()))
    return status


def _count_failure(endpoint_id: int) -> None:
    Endpoint.objects.filter(pk=endpoint_id).update(failures_in_a_row=F("failures_in_a_row") + 1)
    limit = settings.PUSHADMIN_WEBHOOK_DISABLE_AFTER
    reason = reasons.written(reasons.ENDPOINT_DISABLED_AFTER, limit=limit)
    if not Endpoint.objects.filter(pk=endpoint_id, enabled=True, failures_in_a_row__gte=limit).update(
        enabled=False, disabled_reason=reason
    ):
        return
    endpoint = Endpoint.objects.select_related("workspace").get(pk=endpoint_id)
    trail.record(
        "webhook.endpoint_disabled",
        workspace=endpoint.workspace,
        obj=endpoint,
        detail={"url": endpoint.url, "reason": reason},
    )
    link = reverse("webhooks:endpoint", kwargs={"workspace_id": endpoint.workspace_id, "endpoint_id": endpoint.pk})
    admins = Membership.objects.filter(workspace_id=endpoint.workspace_id, role=Role.ADMIN).values_list(
        "user_id", flat=True
    )
    people = sorted(set(admins))
    languages = preferences.languages_for(people)

    def text_in(language: str) -> str:
        with translation.override(language):
            told = _("Webhook endpoint %(url)s was disabled: %(reason)s")
            return (told % {"url": endpoint.url, "reason": reasons.readable(reason)})[:500]

    made = Notification.objects.bulk_create(
        Notification(
            user_id=user_id,
            workspace_id=endpoint.workspace_id,
            kind="webhook.endpoint_disabled",
            text=text_in(languages[user_id]),
            link=link,
        )
        for user_id in people
    )
    ids = [n.pk for n in made]
    if ids:
        from pushadmin.notifications.tasks import mail_notifications

        transaction.on_commit(lambda: mail_notifications.delay(ids))


def send_again(delivery: Delivery, *, request: HttpRequest) -> None:
    """An admin's "send again": the same event (same webhook-id) once more, now."""
    with transaction.atomic():
        Delivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.PENDING, next_attempt_at=timezone.now(), claimed_until=None
        )
        trail.record(
            "webhook.delivery_resent",
            request=request,
            workspace=delivery.endpoint.workspace,
            obj=delivery.endpoint,
            detail={"delivery_id": delivery.pk, "event": delivery.event, "message_id": delivery.message_id},
        )
        transaction.on_commit(lambda: enqueue([delivery.pk]))


def sweep() -> int:
    """Hand due deliveries whose task was lost (a broker restart) to the worker again."""
    now = timezone.now()
    due = Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now - timedelta(seconds=30))
    due = due.filter(Q(claimed_until=None) | Q(claimed_until__lt=now))
    ids = list(due.values_list("pk", flat=True)[:500])
    enqueue(ids)
    return len(ids)

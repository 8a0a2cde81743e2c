"""`Idempotency-Key` on every POST: a retried call gets the first answer and does nothing twice.

The key is kept per token. Its row is written before the call runs, so a retry that arrives
while the first call is still running is told so (409) instead of running it again; a call
that failed leaves no row, so it can simply be sent again. A key reused for a different call
(another path or body) is refused. Answers are kept for `KEEP`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from pushadmin.api import problems, tokens
from pushadmin.api.models import IdempotentAnswer

KEEP = timedelta(hours=24)
HEADER = "Idempotency-Key"


def _request_hash(request: HttpRequest) -> str:
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    digest.update(request.body)
    return digest.hexdigest()


def _replay(answer: IdempotentAnswer) -> HttpResponse:
    response = HttpResponse(bytes(answer.body), status=answer.status or 200, content_type=answer.content_type)
    response["Idempotent-Replayed"] = "true"
    return response


def answer_once(request: HttpRequest, call: Callable[[], HttpResponse]) -> HttpResponse:
    """Run `call` for a POST unless its Idempotency-Key was answered before."""
    key = request.headers.get(HEADER, "")
    if request.method != "POST" or not key:
        return call()
    if len(key) > 255:
        return problems.response(
            422, "The Idempotency-Key is too long.", [("Idempotency-Key", "At most 255 characters.")]
        )
    authorization = request.headers.get("Authorization", "")
    token = tokens.find(authorization.removeprefix("Bearer ").strip()) if authorization.startswith("Bearer ") else None
    if token is None:
        return call()  # answered 401 by the call itself
    request_hash = _request_hash(request)
    IdempotentAnswer.objects.filter(created_at__lt=timezone.now() - KEEP).delete()
    try:
        with transaction.atomic():
            claim = IdempotentAnswer.objects.create(token=token, key=key, request_hash=request_hash)
    except IntegrityError:
        earlier = IdempotentAnswer.objects.filter(token=token, key=key).first()
        if earlier is None:
            return problems.response(409, "A call with this Idempotency-Key just failed; send it again.")
        if earlier.request_hash != request_hash:
            return problems.response(
                422,
                "This Idempotency-Key was used for a different call.",
                [("Idempotency-Key", "Use a new key for each new call.")],
            )
        if earlier.status is None:
            return problems.response(409, "A call with this Idempotency-Key is still running; retry in a moment.")
        return _replay(earlier)
    try:
        response = call()
    except BaseException:
        claim.delete()
        raise
    if 200 <= response.status_code < 300 and not response.streaming:
        claim.status = response.status_code
        claim.content_type = response.get("Content-Type", "application/json")
        claim.body = response.content
        claim.save(update_fields=["status", "content_type", "body"])
    else:
        claim.delete()
    return response

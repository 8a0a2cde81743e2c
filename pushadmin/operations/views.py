"""Endpoints for load balancers and Prometheus: no sign-in, no session, nothing written.

They answer only ok / not ok per component: nothing an outsider could use. `/metrics` asks
for the bearer token `PUSHADMIN_METRICS_TOKEN` and does not exist (404) when none is set.
"""

from __future__ import annotations

import hmac

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from pushadmin.operations import readiness
from pushadmin.operations.exposition import metrics_page


@require_GET
@login_not_required
@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """The process answers: nothing else is looked at (a database outage must not restart every web process)."""
    return JsonResponse({"status": "ok"})


@require_GET
@login_not_required
@never_cache
def readyz(request: HttpRequest) -> HttpResponse:
    probes = readiness.probe_all()
    ready = all(p.ok for p in probes.values())
    checks = {name: "ok" if p.ok else "not ok" for name, p in probes.items()}
    return JsonResponse({"status": "ok" if ready else "not ok", "checks": checks}, status=200 if ready else 503)


@require_GET
@login_not_required
@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    token = settings.PUSHADMIN_METRICS_TOKEN
    if not token:
        raise Http404
    offered = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(offered.encode(), token.encode()):
        response = HttpResponse("A bearer token is required.\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    body, content_type = metrics_page()
    return HttpResponse(body, content_type=content_type)

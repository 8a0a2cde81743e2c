"""The /api/v1/ API: django-ninja, its OpenAPI 3.1 document and browsable docs.

django-ninja was chosen over DRF: its pydantic models give typed request and response schemas
from which it writes the OpenAPI 3.1 document, and its handlers are small functions, like our
views. Every route is a token-authenticated function; errors are problem documents.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, URLResolver, re_path
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET
from ninja import NinjaAPI
from ninja.openapi.docs import Swagger
from ninja.openapi.schema import OpenAPISchema

from pushadmin.api import (
    audience_routes,
    audit_routes,
    campaign_routes,
    figures_routes,
    idempotency,
    problems,
    suppression_routes,
    template_routes,
)


class VendoredSwagger(Swagger):
    """Swagger UI from our own static files (CSP: scripts from 'self' only, none inline), never a CDN."""

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        context = {"api": api, "openapi_json_url": self.get_openapi_url(api, kwargs)}
        return render(request, "api/docs.html", context)


IDEMPOTENCY_PARAMETER = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Any unique string: a retry with the same key gets the first answer and changes nothing.",
    "schema": {"type": "string", "maxLength": 255},
}


class PushadminAPI(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: Any = None) -> OpenAPISchema:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        for operations in schema.get("paths", {}).values():
            for method, operation in operations.items():
                if method == "post":
                    operation.setdefault("parameters", []).append(IDEMPOTENCY_PARAMETER)
                for status, answer in operation.get("responses", {}).items():
                    content = answer.get("content", {})
                    # Errors are problem documents (RFC 9457), whatever ninja assumes.
                    if str(status)[0] in "45" and "application/json" in content:
                        content[problems.CONTENT_TYPE] = content.pop("application/json")
        return schema


api = PushadminAPI(
    title="pushadmin API",
    version="1.0.0",
    description=(
        "Campaigns, templates, audiences and the audit trail of one workspace, under the same roles and "
        "four-eyes rules as the pages. Authenticate with a personal API token: `Authorization: Bearer pa_…`. "
        "Every POST takes an `Idempotency-Key`."
    ),
    urls_namespace="api",
    docs=VendoredSwagger(),
    docs_url="/docs",
    openapi_url="/openapi.json",
)
problems.install(api)
api.add_router("", campaign_routes.router)
api.add_router("", template_routes.router)
api.add_router("", audit_routes.router)
api.add_router("", audience_routes.router)
api.add_router("", suppression_routes.router)
api.add_router("", figures_routes.router)


DOCUMENT_PAGES = ("openapi-json", "openapi-view")  # public: the contract and its browsable docs


def _served(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A route as Django serves it: no session sign-in (the token is the credential), retried POSTs
    answered once, and the ETag a handler chose on its answer."""

    @wraps(view)
    def serve(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = idempotency.answer_once(request, lambda: view(request, *args, **kwargs))
        etag = getattr(request, "pushadmin_etag", None)
        if etag and response.status_code == 200:
            response["ETag"] = etag
        return response

    return login_not_required(never_cache(serve))


def urlpatterns() -> list[URLPattern | URLResolver]:
    patterns, _, _ = api.urls
    served: list[URLPattern | URLResolver] = []
    for pattern in patterns:
        if isinstance(pattern, URLPattern) and pattern.name in DOCUMENT_PAGES:
            pattern.callback = login_not_required(require_GET(pattern.callback))
        elif isinstance(pattern, URLPattern):
            pattern.callback = _served(pattern.callback)
        served.append(pattern)
    served.append(re_path(r"^.*$", _no_such_route, name="not-found"))
    return served


@login_not_required
@csrf_exempt
def _no_such_route(request: HttpRequest) -> HttpResponse:
    return problems.response(404, "No such API route; see /api/v1/openapi.json.")

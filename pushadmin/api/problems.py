"""Errors as RFC 9457 problem details (`application/problem+json`), with the field paths and the
same sentences the pages' forms show."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from ninja import Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError

from pushadmin.api.tokens import RateLimited

CONTENT_TYPE = "application/problem+json"
TITLES = {
    400: "Bad request",
    401: "Not signed in",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    412: "Changed meanwhile",
    413: "Too large",
    415: "Unsupported media type",
    422: "Not valid",
    429: "Too many calls",
}


class FieldError(Schema):
    field: str  # a dotted path into the request: "options.expiry_value", "rows.3.target"; "" for the whole
    message: str


class ProblemOut(Schema):
    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldError] = []


class Problem(Exception):
    """Raised anywhere under the API to answer with a problem document."""

    def __init__(self, status: int, detail: str, errors: Sequence[tuple[str, str]] = ()) -> None:
        super().__init__(detail)
        self.status, self.detail, self.errors = status, detail, list(errors)


def response(status: int, detail: str, errors: Iterable[tuple[str, str]] = ()) -> HttpResponse:
    body = {
        "type": "about:blank",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "errors": [{"field": field, "message": message} for field, message in errors],
    }
    return HttpResponse(json.dumps(body, ensure_ascii=False), status=status, content_type=CONTENT_TYPE)


def form_errors(
    form: forms.BaseForm, fields: Mapping[str, str] | None = None, prefix: str = ""
) -> list[tuple[str, str]]:
    """A form's errors as (path, message): `fields` renames form fields to the API's names."""
    found: list[tuple[str, str]] = []
    for name, messages in form.errors.get_json_data().items():
        path = "" if name == "__all__" else (fields or {}).get(name, name)
        path = f"{prefix}.{path}" if prefix and path else (prefix or path)
        found.extend((path, str(message["message"])) for message in messages)
    return found


def _path(location: Sequence[Any]) -> str:
    parts = [str(part) for part in location]
    if parts and parts[0] in ("body", "query", "path", "header", "form", "file"):
        parts = parts[1:]
    if parts and parts[0] in ("payload", "data", "filters"):
        parts = parts[1:]
    return ".".join(parts)


def install(api: Any) -> None:
    """Answer every error the API raises as a problem document."""

    def on_problem(request: HttpRequest, exc: Problem) -> HttpResponse:
        return response(exc.status, exc.detail, exc.errors)

    def on_validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        errors = [(_path(error.get("loc", ())), str(error.get("msg", "Not valid."))) for error in exc.errors]
        return response(422, "The request is not valid; see errors.", errors)

    def on_authentication(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        answer = response(401, "Send a live API token as “Authorization: Bearer pa_…”.")
        answer["WWW-Authenticate"] = "Bearer"
        return answer

    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        return response(exc.status_code, str(exc))

    def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return response(404, "Nothing with this id in the token's workspace.")

    def on_rate_limited(request: HttpRequest, exc: RateLimited) -> HttpResponse:
        answer = response(429, str(exc))
        answer["Retry-After"] = str(exc.retry_after)
        return answer

    api.add_exception_handler(Problem, on_problem)
    api.add_exception_handler(ValidationError, on_validation)
    api.add_exception_handler(AuthenticationError, on_authentication)
    api.add_exception_handler(HttpError, on_http_error)
    api.add_exception_handler(Http404, on_not_found)
    api.add_exception_handler(RateLimited, on_rate_limited)

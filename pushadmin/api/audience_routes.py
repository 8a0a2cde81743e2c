"""Audiences over the API: created from a CSV file streamed in (multipart), with the import's
progress and the rows it refused, as on the audience page."""

from __future__ import annotations

from typing import Any

from django.db.models import OuterRef, Subquery
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import File, Form, Query, Router, Status
from ninja.files import UploadedFile

from pushadmin.accounts.models import Role
from pushadmin.api import cursors
from pushadmin.api.authentication import allow, scoped
from pushadmin.api.problems import Problem, ProblemOut, form_errors
from pushadmin.api.schemas import AudienceOut, Page, RejectedRowPage
from pushadmin.audiences.forms import AudienceForm
from pushadmin.audiences.models import Audience, AudienceImport
from pushadmin.audiences.uploads import refused_upload
from pushadmin.audiences.views import READERS, accepted_for_import, create_audience

router = Router(tags=["audiences"])
ERRORS: dict[Any, Any] = {frozenset({400, 401, 403, 404, 409, 413, 422, 429}): ProblemOut}


def import_out(job: AudienceImport | None) -> dict[str, Any] | None:
    if job is None:
        return None
    return {
        "id": job.pk,
        "status": job.status,
        "file": job.original_name,
        "percent": job.percent,
        "rows_read": job.rows_read,
        "rows_imported": job.rows_imported,
        "rows_rejected": job.rows_rejected,
        "error": job.error,
        "created_at": job.created_at,
        "finished_at": job.finished_at,
    }


def audience_out(audience: Audience, job: AudienceImport | None) -> dict[str, Any]:
    return {
        "id": audience.pk,
        "name": audience.name,
        "delivery_type": audience.delivery_type,
        "members": audience.member_count,
        "columns": list(audience.columns or []),
        "import_status": audience.import_status,
        "latest_import": import_out(job),
        "updated_at": audience.updated_at,
    }


def fresh_audience_out(audience: Audience) -> dict[str, Any]:
    # The import first, then the audience afresh: a finished import is never shown beside the
    # audience as it was before that import committed.
    job = audience.imports.first()
    audience.refresh_from_db()
    return audience_out(audience, job)


@router.post("/audiences", response={201: AudienceOut, **ERRORS}, **allow(Role.MARKETER))
def create(
    request: HttpRequest, name: Form[str], upload: File[UploadedFile], delivery_type: Form[int] = 3
) -> Status[dict[str, Any]]:
    """Upload a CSV (a `target` column, one column per placeholder, optional `extendedParams`); it is
    imported in the background: poll the audience for the import's progress."""
    scope = scoped(request)
    form = AudienceForm(
        {"name": name, "delivery_type": str(delivery_type)},
        {"upload": upload},
        workspace=scope.workspace,
        refused_upload=refused_upload(request, "upload"),
    )
    if not accepted_for_import(scope, form):
        status = 429 if form.non_field_errors() and not form.errors.keys() - {"__all__"} else 422
        raise Problem(status, "The audience was not created; see errors.", form_errors(form))
    return Status(201, fresh_audience_out(create_audience(scope, form)))


@router.get("/audiences", response={200: list[AudienceOut], **ERRORS}, **allow(*READERS))
def list_audiences(request: HttpRequest) -> list[dict[str, Any]]:
    """Every audience of the workspace with its latest import, by name."""
    audiences = Audience.objects.filter(workspace=scoped(request).workspace)
    latest = AudienceImport.objects.filter(audience=OuterRef("pk")).order_by("-created_at").values("pk")[:1]
    # As for one audience: the imports first, then the audiences, in two queries whatever their number.
    jobs = AudienceImport.objects.filter(pk__in=audiences.annotate(latest=Subquery(latest)).values("latest"))
    latest_of = {job.audience_id: job for job in jobs}
    return [audience_out(a, latest_of.get(a.pk)) for a in audiences.order_by("name")]


@router.get("/audiences/{audience_id}", response={200: AudienceOut, **ERRORS}, **allow(*READERS))
def read(request: HttpRequest, audience_id: int) -> dict[str, Any]:
    """The audience with its latest import's progress and counts."""
    return fresh_audience_out(get_object_or_404(Audience, workspace=scoped(request).workspace, pk=audience_id))


@router.get("/audiences/{audience_id}/rejected-rows", response={200: RejectedRowPage, **ERRORS}, **allow(*READERS))
def rejected_rows(request: HttpRequest, audience_id: int, page: Query[Page]) -> dict[str, Any]:
    """The latest import's refused rows, each with its line and reason."""
    audience = get_object_or_404(Audience, workspace=scoped(request).workspace, pk=audience_id)
    job = audience.imports.first()
    if job is None:
        return {"items": [], "next_cursor": None}
    found, next_cursor = cursors.page(job.rejected_rows.all(), page.cursor, page.limit, key="line_number")
    items = [{"line": r.line_number, "target": r.target, "reason": r.reason} for r in found]
    return {"items": items, "next_cursor": next_cursor}

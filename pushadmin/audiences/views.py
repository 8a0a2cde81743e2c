"""Audience pages: the list, a new audience from a file or pasted rows, and its import report."""

from __future__ import annotations

from collections.abc import Iterator

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from pushadmin.accounts import limits
from pushadmin.accounts.access import get_in_workspace, workspace_view
from pushadmin.accounts.models import Role
from pushadmin.accounts.requests import WorkspaceRequest
from pushadmin.audiences import importing
from pushadmin.audiences.forms import AudienceForm
from pushadmin.audiences.models import Audience, AudienceImport, ImportRunStatus, ImportStatus
from pushadmin.audiences.uploads import refused_upload
from pushadmin.audit import trail
from pushadmin.audit.exports import csv_response
from pushadmin.console import recorded_reasons

READERS = (Role.MARKETER, Role.AUDITOR)


def _start_import(request: WorkspaceRequest, audience: Audience, form: AudienceForm) -> AudienceImport:
    """Store the rows under a random name and queue the import (inside the caller's transaction)."""
    source, chunks = form.source_bytes()
    stored, size = importing.store_upload(chunks)
    upload = form.cleaned_data.get("upload")
    job = AudienceImport.objects.create(
        audience=audience,
        source=source,
        original_name=(upload.name if upload else "pasted rows")[:200],
        stored_name=stored,
        bytes_total=size,
        created_by=request.user,
    )
    Audience.objects.filter(pk=audience.pk).update(import_status=ImportStatus.IMPORTING)
    trail.record(
        "audience.import_started",
        request=request,
        workspace=audience.workspace,
        obj=audience,
        detail={"import": job.pk, "source": source, "file": job.original_name, "bytes": size},
    )
    transaction.on_commit(lambda: importing.enqueue(job.pk))
    return job


def _within_import_limit(request: WorkspaceRequest, form: AudienceForm) -> bool:
    try:
        limits.check_and_count(request.user, "audience.import", settings.PUSHADMIN_IMPORTS_PER_HOUR)
    except limits.LimitReached as refusal:
        form.add_error(None, str(refusal))
        return False
    return True


def accepted_for_import(request: WorkspaceRequest, form: AudienceForm) -> bool:
    """Valid and within the hourly import limit; a file refused for its size counts as an import too."""
    if form.is_valid():
        return _within_import_limit(request, form)
    if form.refused_upload is not None:
        _within_import_limit(request, form)
    return False


def create_audience(request: WorkspaceRequest, form: AudienceForm) -> Audience:
    """Create the audience of an accepted form and queue the import of its rows; the API calls it too."""
    with transaction.atomic():
        audience = form.save(commit=False)
        audience.created_by = request.user
        audience.save()
        trail.record("audience.created", request=request, workspace=audience.workspace, obj=audience)
        _start_import(request, audience, form)
    return audience


@require_GET
@workspace_view(*READERS)
def audience_list(request: WorkspaceRequest) -> HttpResponse:
    audiences = Audience.objects.filter(workspace=request.workspace)
    return render(request, "audiences/list.html", {"audiences": audiences})


@require_http_methods(["GET", "POST"])
@workspace_view(Role.MARKETER)
def audience_create(request: WorkspaceRequest) -> HttpResponse:
    form = AudienceForm(
        request.POST or None,
        request.FILES or None,
        workspace=request.workspace,
        refused_upload=refused_upload(request, "upload"),
    )
    if request.method == "POST" and accepted_for_import(request, form):
        audience = create_audience(request, form)
        messages.success(
            request, _("Audience “%(name)s” created; its rows are being imported.") % {"name": audience.name}
        )
        return redirect("audiences:detail", workspace_id=audience.workspace_id, audience_id=audience.pk)
    return render(request, "audiences/form.html", {"form": form})


@require_POST
@workspace_view(Role.MARKETER)
def audience_replace(request: WorkspaceRequest, audience_id: int) -> HttpResponse:
    audience = get_in_workspace(request, Audience, pk=audience_id)
    form = AudienceForm(
        {"name": audience.name, "delivery_type": audience.delivery_type, "pasted": request.POST.get("pasted", "")},
        request.FILES or None,
        instance=audience,
        workspace=request.workspace,
        refused_upload=refused_upload(request, "upload"),
    )
    if audience.import_status == ImportStatus.IMPORTING:
        messages.error(request, _("An import is already running for this audience; wait for it to finish."))
    elif accepted_for_import(request, form):
        with transaction.atomic():
            _start_import(request, audience, form)
        messages.success(request, _("Import started; the current members stay until it finishes."))
    else:
        errors = [f"{form.fields[f].label}: {e}" for f, es in form.errors.items() if f in form.fields for e in es]
        errors += [str(error) for error in form.non_field_errors()]
        messages.error(request, _("Nothing was imported. %(problems)s") % {"problems": " ".join(errors)})
    return redirect("audiences:detail", workspace_id=audience.workspace_id, audience_id=audience.pk)


@require_GET
@workspace_view(*READERS)
@vary_on_headers("HX-Request")
def audience_detail(request: WorkspaceRequest, audience_id: int) -> HttpResponse:
    audience = get_in_workspace(request, Audience, pk=audience_id)
    job = audience.imports.first()
    if request.htmx and request.GET.get("part") == "progress":
        response = render(request, "audiences/detail.html#import-progress", {"audience": audience, "job": job})
        if job and job.status not in (ImportRunStatus.QUEUED, ImportRunStatus.RUNNING):
            response["HX-Refresh"] = "true"  # finished: show the report and the members
        return response
    members = Paginator(audience.current_members().order_by("line_number"), 50).get_page(request.GET.get("page"))
    rejected = None
    if job:
        rejected = Paginator(job.rejected_rows.all(), 100).get_page(request.GET.get("rejected_page"))
    context = {"audience": audience, "job": job, "members": members, "rejected": rejected}
    return render(request, "audiences/detail.html", context)


@require_GET
@workspace_view(*READERS)
def rejected_rows_csv(request: WorkspaceRequest, audience_id: int) -> StreamingHttpResponse:
    """The latest import's refused rows, each with its line and reason, as a CSV file in the downloader's
    language (audited)."""
    audience = get_in_workspace(request, Audience, pk=audience_id)
    job = audience.imports.first()
    if job is None:
        raise Http404("This audience has no import yet.")
    trail.record(
        "audience.rejected_rows_downloaded",
        request=request,
        workspace=audience.workspace,
        obj=audience,
        detail={"import": job.pk, "rows": job.rows_rejected},
    )
    rows = job.rejected_rows.order_by("line_number").values_list("line_number", "target", "reason").iterator()
    header = [_("Line"), _("Target"), _("Reason")]
    return csv_response(f"audience-{audience.pk}-import-{job.pk}-rejected.csv", header, _in_language(rows))


def _in_language(rows: Iterator[tuple[int, str, str]]) -> Iterator[tuple[int, str, str]]:
    """The rows with their reasons in the downloader's language, which the response, streamed after
    the view has returned, keeps for itself."""
    language = translation.get_language()
    for line, target, reason in rows:
        with translation.override(language):
            yield line, target, recorded_reasons.readable(reason)

"""The builder's rows table: pages, live per-row preview, add, remove, paste many, save."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from pushadmin.accounts.access import get_in_workspace, workspace_view
from pushadmin.accounts.models import Role
from pushadmin.accounts.requests import WorkspaceRequest
from pushadmin.campaigns import rows as campaign_rows
from pushadmin.campaigns import workflow
from pushadmin.campaigns.builder_page import builder_context, render_fragment, rows_context
from pushadmin.campaigns.lifecycle import TransitionRefused
from pushadmin.campaigns.models import Campaign, RowsState
from pushadmin.campaigns.preflight import is_scanned
from pushadmin.campaigns.row_html import RowRenderer, output_cell
from pushadmin.campaigns.views import CAMPAIGNS, settings_forms
from pushadmin.console.request_numbers import number_from, page_number_from


def _page(request: WorkspaceRequest, campaign: Campaign) -> campaign_rows.RowPage:
    source = request.GET if request.method == "GET" else request.POST
    number = page_number_from(source)
    return campaign_rows.row_page(campaign, number, problems_only=source.get("problems") == "1")


@require_http_methods(["GET", "POST"])
@workspace_view(Role.MARKETER)
@vary_on_headers("HX-Request")
def rows_table(request: WorkspaceRequest, campaign_id: int) -> HttpResponse:
    """GET: one page of rows, each rendered. POST: save the posted page (all or nothing)."""
    campaign = get_in_workspace(request, CAMPAIGNS, pk=campaign_id)
    errors: dict[str, str] = {}
    status_before = campaign.get_status_display().lower()
    if request.method == "POST":
        try:
            with transaction.atomic():
                result = campaign_rows.save_rows(campaign, request.POST)
                errors = result.errors or {}
                if not errors and result.any_change:
                    change = {"changed": result.changed, "added": result.added, "removed": result.removed}
                    workflow.record_edit(campaign, request=request, after={"rows": change})
        except (workflow.EditRefused, TransitionRefused) as exc:
            messages.error(request, str(exc))
            return redirect("campaigns:detail", workspace_id=campaign.workspace_id, campaign_id=campaign.pk)
        if errors:
            return _rows_with_errors(request, campaign, errors)
        campaign.refresh_from_db()
        if campaign.get_status_display().lower() != status_before:
            # The header and the submit button no longer tell the truth: the whole page is sent again.
            messages.warning(
                request,
                _(
                    "Rows saved. “%(name)s” was %(status_before)s and is a draft again (revision %(revision)s): "
                    "submit it for review again when it is ready."
                )
                % {"name": campaign.name, "status_before": status_before, "revision": campaign.revision},
            )
            return _reload_builder(request, campaign)
        if not request.htmx:
            messages.success(request, _("Rows saved.") if result.any_change else _("Nothing changed in the rows."))
            return redirect("campaigns:edit", workspace_id=campaign.workspace_id, campaign_id=campaign.pk)
    context = rows_context(campaign, _page(request, campaign), saved=request.method == "POST")
    return render_fragment(request, "campaigns/builder.html#rows", context)


def _reload_builder(request: WorkspaceRequest, campaign: Campaign) -> HttpResponse:
    url = reverse("campaigns:edit", kwargs={"workspace_id": campaign.workspace_id, "campaign_id": campaign.pk})
    if not request.htmx:
        return redirect(url)
    response = HttpResponse(status=204)
    response["HX-Redirect"] = url
    return response


def _rows_with_errors(request: WorkspaceRequest, campaign: Campaign, errors: dict[str, str]) -> HttpResponse:
    """Show the page as posted, each refused row with its reason; nothing was saved."""
    names = campaign_rows.names_of(campaign)
    shown = []
    for key in campaign_rows.row_keys(request.POST):
        row = campaign_rows.read_row(request.POST, key, names)
        extended, _problem = campaign_rows.parse_extended(row.extended_text)
        seq = campaign_rows.saved_seq(key)
        shown.append(
            campaign_rows.view_row(
                campaign,
                names,
                key,
                seq,
                row.target,
                row.values,
                extended,
                extended_text=row.extended_text,
                error=errors.get(key, ""),
            )
        )
    page = _page(request, campaign)
    page.rows = shown
    count = len(errors)
    summary = f"Nothing was saved: {count} row{'s' if count != 1 else ''} need{'s' if count == 1 else ''} fixing."
    context = rows_context(campaign, page, rows_error=summary)
    if not request.htmx:
        # Without JavaScript the whole builder comes back, its rows as posted with their reasons.
        page_context = builder_context(request, campaign, settings_forms(request, campaign, bound=False))
        return render(request, "campaigns/builder.html", {**page_context, **context}, status=422)
    return render_fragment(request, "campaigns/builder.html#rows", context, status=422)


@require_POST
@workspace_view(Role.MARKETER)
@vary_on_headers("HX-Request")
def row_preview(request: WorkspaceRequest, campaign_id: int) -> HttpResponse:
    """One row's rendered message and markers for what is typed (nothing saved)."""
    campaign = get_in_workspace(request, CAMPAIGNS, pk=campaign_id)
    key = request.POST.get("row", "")
    seq = campaign_rows.saved_seq(key)
    names = campaign_rows.names_of(campaign)
    typed = campaign_rows.read_row(request.POST, key, names)
    extended, error = campaign_rows.parse_extended(typed.extended_text)
    row = campaign_rows.view_row(
        campaign,
        names,
        key,
        seq,
        typed.target,
        typed.values,
        extended,
        extended_text=typed.extended_text,
        error=error,
    )
    return render_fragment(request, "campaigns/builder.html#row-output", {"row_output": output_cell(row)})


@require_GET
@workspace_view(Role.MARKETER)
def blank_row(request: WorkspaceRequest, campaign_id: int) -> HttpResponse:
    campaign = get_in_workspace(request, CAMPAIGNS, pk=campaign_id)
    key = f"new-{number_from(request.GET, 'n', 0)}"
    names = campaign_rows.names_of(campaign)
    row = campaign_rows.view_row(campaign, names, key, None, "", {}, None)
    row_html = RowRenderer(campaign.workspace_id, campaign.pk, editable=True).row(row)
    return render_fragment(request, "campaigns/builder.html#row", {"row_html": row_html})


@require_POST
@workspace_view(Role.MARKETER)
def paste_rows(request: WorkspaceRequest, campaign_id: int) -> HttpResponse:
    campaign = get_in_workspace(request, CAMPAIGNS, pk=campaign_id)
    rows, errors = campaign_rows.parse_pasted(request.POST.get("pasted", ""), campaign_rows.names_of(campaign))
    if errors:
        more = [_("… and %(count)s more.") % {"count": len(errors) - 20}] if len(errors) > 20 else []
        messages.error(request, _("Nothing was added. %(problems)s") % {"problems": " ".join(errors[:20] + more)})
    else:
        try:
            with transaction.atomic():
                added = campaign_rows.append_rows(campaign, rows)
                workflow.record_edit(campaign, request=request, after={"rows": {"pasted": added}})
        except (workflow.EditRefused, TransitionRefused) as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request, ngettext("Added %(count)s row.", "Added %(count)s rows.", added) % {"count": added}
            )
    return redirect("campaigns:edit", workspace_id=campaign.workspace_id, campaign_id=campaign.pk)


@require_GET
@workspace_view(Role.MARKETER)
def rows_progress(request: WorkspaceRequest, campaign_id: int) -> HttpResponse:
    campaign = get_in_workspace(request, CAMPAIGNS, pk=campaign_id)
    response = render(request, "campaigns/builder.html#rows-progress", {"campaign": campaign})
    settled = campaign.rows_state != RowsState.BUILDING and is_scanned(campaign, campaign.messages.count())
    if settled and request.htmx:
        response["HX-Refresh"] = "true"  # the rows are there and checked: show them
    return response


@require_POST
@workspace_view(Role.MARKETER)
def rebuild_rows(request: WorkspaceRequest, campaign_id: int) -> HttpResponse:
    """After a failed build: build the rows from the campaign's audience again, in one click."""
    campaign = get_in_workspace(request, CAMPAIGNS, pk=campaign_id)
    try:
        with transaction.atomic():
            # Checked again under the campaign's lock (taken by record_edit): one click, one build.
            workflow.record_edit(campaign, request=request, after={"rows": "built again from the audience"})
            if (
                campaign.audience is None
                or not Campaign.objects.filter(pk=campaign.pk, rows_state=RowsState.FAILED).exists()
            ):
                raise workflow.EditRefused(f"The rows of “{campaign.name}” did not fail to build; nothing was started.")
            campaign_rows.replace_rows_from_audience(campaign)
    except (workflow.EditRefused, TransitionRefused) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Building the rows again from “%(name)s”.") % {"name": campaign.audience.name})
    return redirect("campaigns:edit", workspace_id=campaign.workspace_id, campaign_id=campaign.pk)

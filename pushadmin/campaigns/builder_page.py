"""What the builder and detail pages show: forms, rows, schedule, request preview, preflight."""

from __future__ import annotations

from typing import Any

from django.forms import BaseForm
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import get_template
from django.utils import dateformat
from django.utils.translation import gettext as _

from pushadmin.accounts.requests import WorkspaceRequest
from pushadmin.campaigns import rows as campaign_rows
from pushadmin.campaigns.models import Campaign, CampaignStatus, RowsState
from pushadmin.campaigns.options import ChannelOptions
from pushadmin.campaigns.payload import build_push_request, is_skipped
from pushadmin.campaigns.preflight import PreflightReport
from pushadmin.campaigns.row_html import RowRenderer
from pushadmin.campaigns.strategy import Strategy, run_times, summary
from pushadmin.campaigns.workflow import EDITABLE_STATES
from pushadmin.console.request_numbers import page_number_from
from pushadmin.delivery.models import Message
from pushadmin.mpaas.validation import MAX_TARGETS_PER_CALL
from pushadmin.mpaas.wire import request_fields


def snapshot(campaign: Campaign) -> dict[str, Any]:
    """The settings an edit can change, as the audit trail records them."""
    return {
        "name": campaign.name,
        "template": campaign.template.name if campaign.template_id else "",
        "delivery_type": campaign.delivery_type,
        "audience": campaign.audience.name if campaign.audience is not None else "",
        "missing_policy": campaign.missing_policy,
        "fallback_values": campaign.fallback_values,
        "options": campaign.options,
        "strategy": campaign.strategy,
    }


def first_call_fields(campaign: Campaign) -> list[tuple[str, str]]:
    """The business form fields of the first PushMultiple call; signature and credentials are added later."""
    batch: list[Message] = []
    rows = Message.objects.filter(campaign=campaign).order_by("seq")
    last_seq = 0
    # Short keyset pages, not .iterator(): on PostgreSQL outside a transaction that is a WITH HOLD
    # cursor, which reads the campaign's every row (a million) before handing back the first.
    while len(batch) < MAX_TARGETS_PER_CALL and (page := list(rows.filter(seq__gt=last_seq)[:200])):
        batch += [message for message in page if not is_skipped(campaign, message)]
        last_seq = page[-1].seq
    batch = batch[:MAX_TARGETS_PER_CALL]
    return request_fields(build_push_request(campaign, batch)) if batch else []


def calls_needed(rows: int) -> int:
    return -(-rows // MAX_TARGETS_PER_CALL)


def schedule_context(strategy: Strategy) -> dict[str, Any]:
    return {"strategy_summary": summary(strategy), "next_runs": next_run_labels(strategy)}


def next_run_labels(strategy: Strategy) -> list[tuple[str, str]]:
    """(ISO time, wall-clock label in the schedule's own zone): the page's zone is UTC, the schedule's is not."""
    # Translators: a Django date format, "Mon 1 Dec 2026, 09:45".
    layout = _("D j M Y, H:i")
    return [(run.isoformat(), dateformat.format(run, layout)) for run in run_times(strategy)]


def builder_context(
    request: WorkspaceRequest, campaign: Campaign | None, forms: tuple[BaseForm, BaseForm, BaseForm]
) -> dict[str, Any]:
    form, options_form, strategy_form = forms
    context: dict[str, Any] = {
        "campaign": campaign,
        "form": form,
        "options_form": options_form,
        "strategy_form": strategy_form,
        **schedule_context(Strategy.from_json(campaign.strategy if campaign else {})),
    }
    if campaign is not None:
        page = campaign_rows.row_page(
            campaign, _page_number(request), problems_only=request.GET.get("problems") == "1", scan_cold=False
        )
        context.update(rows_context(campaign, page))
        context["request_fields"] = first_call_fields(campaign)
        context["editable"] = campaign.status in EDITABLE_STATES
        context.update(review_feedback(campaign))
    return context


def review_feedback(campaign: Campaign) -> dict[str, Any]:
    """What reviewers said, for the author's own pages: the rejection still to address, and every comment."""
    comments = list(campaign.review_comments.select_related("author").order_by("-created_at", "-id"))
    # reviews.models.CommentKind.REJECTION, by value: reviews builds on campaigns, not the reverse.
    rejection = next((c for c in comments if c.kind == "rejection"), None)
    open_rejection = rejection if rejection and campaign.status == CampaignStatus.DRAFT else None
    return {"review_comments": comments, "open_rejection": open_rejection}


def _page_number(request: WorkspaceRequest) -> int:
    return page_number_from(request.GET)


def rows_context(campaign: Campaign, page: campaign_rows.RowPage, **extra: Any) -> dict[str, Any]:
    names = campaign_rows.names_of(campaign)
    editable = campaign.status in EDITABLE_STATES
    # One empty row to type into, so adding a row works without JavaScript too.
    blank = None
    if editable and not page.problems_only and not any(row.seq is None for row in page.rows):
        blank = campaign_rows.view_row(campaign, names, "new-0", None, "", {}, None)
    renderer = RowRenderer(campaign.workspace_id, campaign.pk, editable)
    return {
        "rows_html": renderer.rows(page.rows + ([blank] if blank else [])),
        "campaign": campaign,
        "page": page,
        "placeholders": names,
        "calls": calls_needed(page.total),
        "building": campaign.rows_state == RowsState.BUILDING,
        "checking": page.checking,
        "rows_failed": campaign.rows_state == RowsState.FAILED,
        "editable": editable,
        **extra,
    }


def detail_context(request: WorkspaceRequest, campaign: Campaign, report: PreflightReport) -> dict[str, Any]:
    template = campaign.template
    first = Message.objects.filter(campaign=campaign).order_by("seq").first()
    sample = None
    if first is not None:
        names = campaign_rows.names_of(campaign)
        sample = campaign_rows.view_row(
            campaign, names, str(first.seq), first.seq, first.target, first.values, first.extended_params
        )
    from pushadmin.delivery.scheduling import scheduling_plan  # delivery builds on campaigns, not the reverse

    return {
        "campaign": campaign,
        "template": template,
        "report": report,
        "sending_plan": scheduling_plan(campaign)[1],
        "has_sending_page": campaign.status not in (CampaignStatus.DRAFT, CampaignStatus.IN_REVIEW),
        "sample": sample,
        "option_rows": ChannelOptions.from_json(campaign.options).plain_words(),
        "editable": campaign.status in EDITABLE_STATES,
        "can_submit": campaign.status == CampaignStatus.DRAFT and "marketer" in request.roles,
        **review_feedback(campaign),
        "approvals": campaign.approvals.filter(voided_at=None).select_related("reviewer").order_by("created_at"),
        **schedule_context(Strategy.from_json(campaign.strategy)),
    }


def render_fragment(request: WorkspaceRequest, name: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    """An htmx fragment without the page's context processors.

    The navigation processor costs several queries per request and a fragment shows no
    navigation; the rows endpoint has a 50 ms budget. The CSRF token is passed explicitly.
    """
    html = get_template(name).render({**context, "request": request, "csrf_token": get_token(request)})
    return HttpResponse(html, status=status)

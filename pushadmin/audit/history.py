"""The auditor's history: campaigns, messages, API calls and trail entries of one workspace.

Every list is filtered by a `HistoryFilter` form and read newest first with keyset
pagination on the primary key (`?before=<id>`), so page 1000 costs what page 1 costs.
Workspace scoping is written as `campaign_id IN (SELECT id … WHERE workspace_id = …)`
rather than a join, so the database can walk the primary key in order and stop after
one page instead of sorting every matching row.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.db.models import BooleanField, Exists, F, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pushadmin.analytics.models import Snapshot
from pushadmin.audit.descriptions import describe
from pushadmin.audit.models import AuditEntry
from pushadmin.campaigns.models import Campaign, CampaignStatus
from pushadmin.console.request_numbers import number_from
from pushadmin.delivery import membership
from pushadmin.delivery.models import UNINDEXED_RESULT_CODES, Attempt, AttemptResult, Message, MessageStatus
from pushadmin.reviews.models import Approval
from pushadmin.safety.models import CampaignSafety, Recall
from pushadmin.workspaces.models import Workspace

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

PAGE_SIZE = 50
EXPORT_CHUNK = 2000


# Campaigns by what the safety nets did to them (pushadmin.safety).
SAFETY_FILTERS = (
    ("recalled", gettext_lazy("Recalled")),
    ("held_back", gettext_lazy("Targets suppressed or capped")),
    ("service_notice", gettext_lazy("Service notices")),
    ("cap_exception", gettext_lazy("Frequency cap exception approved")),
)


class HistoryFilter(forms.Form):
    date_from = forms.DateField(
        label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(label=gettext_lazy("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    state = forms.ChoiceField(label=gettext_lazy("State"), required=False)
    author = forms.CharField(label=gettext_lazy("Author"), required=False, max_length=150)
    approver = forms.CharField(label=gettext_lazy("Approver"), required=False, max_length=150)
    target = forms.CharField(label=gettext_lazy("Target"), required=False, max_length=128)
    msg_key = forms.CharField(label=gettext_lazy("MsgKey"), required=False, max_length=64)
    code = forms.CharField(label=gettext_lazy("Result code"), required=False, max_length=64)
    campaign = forms.IntegerField(label=gettext_lazy("Campaign id"), required=False, min_value=1)
    actor = forms.CharField(label=gettext_lazy("Actor"), required=False, max_length=150)
    action = forms.CharField(
        label=gettext_lazy("Action"),
        required=False,
        max_length=64,
        help_text=gettext_lazy("e.g. campaign. or user.login"),
    )
    safety = forms.ChoiceField(
        label=gettext_lazy("Safety nets"), required=False, choices=[("", gettext_lazy("Any")), *SAFETY_FILTERS]
    )

    def __init__(self, *args: Any, kind: HistoryKind, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["state"]).choices = [("", _("Any")), *kind.states]
        for name in list(self.fields):
            if name not in kind.filters:
                del self.fields[name]

    def clean(self) -> dict[str, Any]:
        data = cast(dict[str, Any], super().clean())  # Form.clean returns cleaned_data
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return data

    def active(self) -> dict[str, Any]:
        """The filters in use, for links and export file names."""
        if not self.is_valid():
            return {}
        return {key: value for key, value in self.cleaned_data.items() if value not in (None, "")}


def _day_start(day: Any) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


def _date_range(qs: QuerySet[Any], field: str, data: dict[str, Any]) -> QuerySet[Any]:
    if data.get("date_from"):
        qs = qs.filter(**{f"{field}__gte": _day_start(data["date_from"])})
    if data.get("date_to"):
        end = _day_start(data["date_to"]) + timedelta(days=1)
        qs = qs.filter(**{f"{field}__lt": end})
    return qs


def _campaign_ids(workspace: Workspace, data: dict[str, Any]) -> QuerySet[Any]:
    """Ids of the workspace's campaigns that match the campaign-level filters."""
    campaigns = Campaign.objects.filter(workspace=workspace)
    if data.get("campaign"):
        campaigns = campaigns.filter(pk=data["campaign"])
    if data.get("author"):
        campaigns = campaigns.filter(created_by__username=data["author"])
    if data.get("approver"):
        approvals = Approval.objects.filter(campaign=OuterRef("pk"), reviewer__username=data["approver"])
        campaigns = campaigns.filter(Exists(approvals))
    return campaigns.values("pk")


def campaigns(workspace: Workspace, data: dict[str, Any]) -> QuerySet[Any]:
    qs = Campaign.objects.filter(pk__in=_campaign_ids(workspace, data)).select_related("created_by", "template")
    qs = _date_range(qs, "created_at", data)
    if data.get("state"):
        qs = qs.filter(status=data["state"])
    if data.get("target"):
        qs = qs.filter(Exists(Message.objects.filter(campaign=OuterRef("pk"), target=data["target"])))
    if data.get("msg_key"):
        qs = qs.filter(Exists(Message.objects.filter(campaign=OuterRef("pk"), msg_key=data["msg_key"])))
    if data.get("safety"):
        qs = qs.filter(_safety_condition(data["safety"]))
    return qs


def _safety_condition(choice: str) -> Q:
    if choice == "recalled":
        return Q(Exists(Recall.objects.filter(campaign=OuterRef("pk"))))
    if choice == "held_back":
        held = (MessageStatus.SUPPRESSED, MessageStatus.CAPPED)
        return Q(Exists(Message.objects.filter(campaign=OuterRef("pk"), status__in=held)))
    if choice == "service_notice":
        return Q(Exists(CampaignSafety.objects.filter(campaign=OuterRef("pk"), service_notice=True)))
    return Q(Exists(CampaignSafety.objects.filter(campaign=OuterRef("pk"), cap_exception_at__isnull=False)))


def _in_scope(model: type[Message] | type[Attempt], workspace: Workspace, data: dict[str, Any]) -> QuerySet[Any]:
    """Rows of the campaigns in scope. Without a campaign filter, `campaign_id + 0` keeps the
    planner off the campaign index, so it walks the primary key newest first and stops after a
    page; with one, the (campaign, seq) index serves the page directly (see `HistoryKind.key_for`)."""
    scope = _campaign_ids(workspace, data)
    if data.get("campaign"):
        # At most one campaign: an equality (not IN) lets the index hand rows over in key order.
        chosen = scope.values_list("pk", flat=True).first()
        return model.objects.filter(campaign_id=chosen) if chosen else model.objects.none()
    return model.objects.alias(scope_id=F("campaign_id") + 0).filter(scope_id__in=scope)


def messages(workspace: Workspace, data: dict[str, Any]) -> QuerySet[Any]:
    qs = _in_scope(Message, workspace, data).select_related("campaign")
    qs = _date_range(qs, "updated_at", data)
    for key, field in (("state", "status"), ("target", "target"), ("msg_key", "msg_key"), ("code", "result_code")):
        if data.get(key):
            qs = qs.filter(**{field: data[key]})
    if data.get("code") and data["code"] not in UNINDEXED_RESULT_CODES:
        qs = qs.filter(RawSQL(FAILURE_CODES_ONLY_SQL, [], output_field=BooleanField()))  # noqa: S611 (a constant)
    return qs


# The condition of the code index, written out with its literals: SQLite uses a partial index
# only for a query that carries the same condition, and a bound parameter does not count.
FAILURE_CODES_ONLY_SQL = 'NOT ("{table}"."result_code" IN ({codes}))'.format(
    table=Message._meta.db_table, codes=", ".join(f"'{code}'" for code in UNINDEXED_RESULT_CODES)
)


def calls(workspace: Workspace, data: dict[str, Any]) -> QuerySet[Any]:
    qs = _in_scope(Attempt, workspace, data).select_related("batch", "campaign")
    qs = _date_range(qs, "started_at", data)
    if data.get("state"):
        qs = qs.filter(outcome=data["state"])
    if data.get("code"):
        qs = qs.filter(code=data["code"])
    for key in ("msg_key", "target"):
        if data.get(key):
            rows = Message.objects.filter(campaign_id__in=_campaign_ids(workspace, data), **{key: data[key]})
            qs = qs.filter(_calls_carrying(rows))
    return qs


# First-round rows still waiting for their outcome looked up by number, at most this many (newest first).
UNRECORDED_ROWS_LOOKED_UP = 200


def _calls_carrying(rows: QuerySet[Message]) -> Q:
    """Calls whose batch holds one of these rows: by the row's batch reference, or by number for
    a first-round row whose outcome is not recorded yet (it has no reference until then)."""
    condition = Q(batch__in=rows.exclude(batch=None).values("batch_id"))
    unrecorded = rows.filter(batch=None, send_round=membership.FIRST_ROUND, status=MessageStatus.DRAFT)
    newest_first = unrecorded.order_by("-pk").values_list("campaign_id", "seq")
    for campaign_id, seq in newest_first[:UNRECORDED_ROWS_LOOKED_UP]:
        number = membership.batch_number_of(seq)
        condition |= Q(batch__campaign_id=campaign_id, batch__send_round=membership.FIRST_ROUND, batch__seq=number)
    return condition


def trail_entries(workspace: Workspace, data: dict[str, Any]) -> QuerySet[Any]:
    qs = AuditEntry.objects.filter(workspace=workspace)
    qs = _date_range(qs, "created_at", data)
    if data.get("actor"):
        qs = qs.filter(actor_label=data["actor"])
    if data.get("action"):
        qs = qs.filter(action__startswith=data["action"])
    if data.get("campaign"):
        qs = qs.filter(object_type="campaigns.campaign", object_id=str(data["campaign"]))
    return qs


def figures(workspace: Workspace, data: dict[str, Any]) -> QuerySet[Any]:
    """Every read of mPaaS's figures the sync kept, with the time it was taken."""
    qs = Snapshot.objects.filter(campaign_id__in=_campaign_ids(workspace, data)).select_related("campaign")
    return _date_range(qs, "taken_at", data)


@dataclass(frozen=True)
class Column:
    heading: StrOrPromise
    value: Callable[[Any], Any]


@dataclass(frozen=True)
class HistoryKind:
    slug: str
    title: StrOrPromise
    query: Callable[[Workspace, dict[str, Any]], QuerySet[Any]]
    key: str  # the keyset column: unique and indexed
    filters: tuple[str, ...]
    states: tuple[tuple[str, StrOrPromise], ...]
    columns: tuple[Column, ...]
    page_columns: tuple[Column, ...] = ()  # a narrower set for the page; exports always carry `columns`
    campaign_key: str = ""  # a keyset column indexed together with the campaign, used when one campaign is chosen

    @property
    def shown_columns(self) -> tuple[Column, ...]:
        return self.page_columns or self.columns

    def key_for(self, data: dict[str, Any]) -> str:
        return self.campaign_key if self.campaign_key and data.get("campaign") else self.key


def when(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if value else ""


# A read of the figures as the page shows it; exports add its id and its per-channel figures.
_FIGURE_COUNTS = (
    Column(gettext_lazy("Campaign"), lambda s: s.campaign.name),
    Column(gettext_lazy("Read from mPaaS (UTC)"), lambda s: when(s.taken_at)),
    Column(gettext_lazy("Targets"), lambda s: s.push_total),
    Column(gettext_lazy("Pushed"), lambda s: s.pushed),
    Column(gettext_lazy("Arrived"), lambda s: s.arrived),
    Column(gettext_lazy("Opened"), lambda s: s.opened),
    Column(gettext_lazy("Ignored"), lambda s: s.ignored),
)

KINDS: dict[str, HistoryKind] = {
    "campaigns": HistoryKind(
        "campaigns",
        gettext_lazy("Campaigns"),
        campaigns,
        "pk",
        ("date_from", "date_to", "state", "author", "approver", "target", "msg_key", "campaign", "safety"),
        tuple(CampaignStatus.choices),
        (
            Column(gettext_lazy("Id"), lambda c: c.pk),
            Column(gettext_lazy("Name"), lambda c: c.name),
            Column(gettext_lazy("State"), lambda c: c.get_status_display()),
            Column(gettext_lazy("Author"), lambda c: c.created_by.get_username()),
            Column(gettext_lazy("Template"), lambda c: c.template.name),
            Column(gettext_lazy("Revision"), lambda c: c.revision),
            Column(gettext_lazy("Created (UTC)"), lambda c: when(c.created_at)),
            Column(gettext_lazy("Submitted (UTC)"), lambda c: when(c.submitted_at)),
            Column(gettext_lazy("Approved (UTC)"), lambda c: when(c.approved_at)),
            Column(gettext_lazy("Finished (UTC)"), lambda c: when(c.finished_at)),
            Column(gettext_lazy("Fingerprint"), lambda c: c.fingerprint),
        ),
    ),
    "messages": HistoryKind(
        "messages",
        gettext_lazy("Messages"),
        messages,
        "pk",
        ("date_from", "date_to", "state", "author", "approver", "target", "msg_key", "code", "campaign"),
        tuple(MessageStatus.choices),
        (
            Column(gettext_lazy("Id"), lambda m: m.pk),
            Column(gettext_lazy("Campaign"), lambda m: m.campaign.name),
            Column(gettext_lazy("Row"), lambda m: m.seq),
            Column(gettext_lazy("Target"), lambda m: m.target),
            Column(gettext_lazy("MsgKey"), lambda m: m.msg_key),
            Column(gettext_lazy("State"), lambda m: m.get_status_display()),
            Column(gettext_lazy("Result code"), lambda m: m.result_code),
            Column(gettext_lazy("Result"), lambda m: m.result_message),
            Column(gettext_lazy("RequestId"), lambda m: m.request_id),
            Column(gettext_lazy("Task id"), lambda m: m.task_id),
            Column(gettext_lazy("Round"), lambda m: m.send_round),
            Column(gettext_lazy("Updated (UTC)"), lambda m: when(m.updated_at)),
        ),
        campaign_key="seq",
    ),
    "calls": HistoryKind(
        "calls",
        gettext_lazy("API calls"),
        calls,
        "pk",
        ("date_from", "date_to", "state", "author", "approver", "target", "msg_key", "code", "campaign"),
        tuple(AttemptResult.choices),
        (
            Column(gettext_lazy("Id"), lambda a: a.pk),
            Column(gettext_lazy("Campaign"), lambda a: a.campaign.name if a.campaign else ""),
            Column(gettext_lazy("Batch"), lambda a: f"{a.batch.send_round}/{a.batch.seq}"),
            Column(gettext_lazy("Started (UTC)"), lambda a: when(a.started_at)),
            Column(gettext_lazy("Duration ms"), lambda a: a.duration_ms),
            Column(gettext_lazy("HTTP"), lambda a: a.http_status or ""),
            Column(gettext_lazy("Outcome"), lambda a: a.get_outcome_display()),
            Column(gettext_lazy("Code"), lambda a: a.code),
            Column(gettext_lazy("Message"), lambda a: a.message),
            Column(gettext_lazy("RequestId"), lambda a: a.request_id),
        ),
    ),
    "figures": HistoryKind(
        "figures",
        gettext_lazy("Delivery figures"),
        figures,
        "pk",
        ("date_from", "date_to", "campaign"),
        (),
        (
            Column(gettext_lazy("Id"), lambda s: s.pk),
            *_FIGURE_COUNTS,
            Column(gettext_lazy("Per channel"), lambda s: s.channels),
        ),
        page_columns=_FIGURE_COUNTS,
    ),
    "trail": HistoryKind(
        "trail",
        gettext_lazy("Audit trail"),
        trail_entries,
        "workspace_seq",  # the workspace's own numbering: the installation's would show others' activity
        ("date_from", "date_to", "actor", "action", "campaign"),
        (),
        (
            Column(gettext_lazy("No."), lambda e: e.workspace_seq),
            Column(gettext_lazy("Time (UTC)"), lambda e: when(e.created_at)),
            Column(gettext_lazy("Actor"), lambda e: e.actor_label),
            Column(gettext_lazy("IP"), lambda e: e.ip or ""),
            Column(gettext_lazy("Action"), lambda e: e.action),
            Column(gettext_lazy("Object"), lambda e: f"{e.object_type} {e.object_id} {e.object_repr}".strip()),
            Column(gettext_lazy("Before"), lambda e: e.before if e.before is not None else ""),
            Column(gettext_lazy("After"), lambda e: e.after if e.after is not None else ""),
            Column(gettext_lazy("Detail"), lambda e: e.detail or ""),
            Column(gettext_lazy("Hash"), lambda e: e.hash),
            Column(gettext_lazy("Previous hash"), lambda e: e.prev_hash),
        ),
        page_columns=(
            Column(gettext_lazy("No."), lambda e: e.workspace_seq),
            Column(gettext_lazy("Time (UTC)"), lambda e: when(e.created_at)),
            Column(gettext_lazy("Actor"), lambda e: f"{e.actor_label} ({e.ip})" if e.ip else e.actor_label),
            Column(gettext_lazy("Action"), lambda e: f"{describe(e.action)} ({e.action})"),
            Column(gettext_lazy("Object"), lambda e: e.object_repr or e.object_type),
            Column(gettext_lazy("What changed"), lambda e: change_summary(e)),
            Column(gettext_lazy("Hash"), lambda e: e.hash[:12] + "…"),
        ),
    ),
}


def change_summary(entry: AuditEntry) -> str:
    """A trail entry's before/after and detail in one readable line."""
    before, after = entry.before or {}, entry.after or {}
    parts = []
    if "status" in after:
        parts.append(f"{before.get('status', '')} → {after['status']}")
    else:
        parts += [json.dumps(side, ensure_ascii=False, sort_keys=True) for side in (entry.before, entry.after) if side]
    if entry.detail:
        parts.append(json.dumps(entry.detail, ensure_ascii=False, sort_keys=True))
    return " · ".join(parts)


@dataclass
class Page:
    rows: list[Any]
    next_before: int | None


def page(qs: QuerySet[Any], key: str, before: int | None, size: int = PAGE_SIZE, newest_first: bool = True) -> Page:
    """One page, newest first, of rows whose key is below `before` (or oldest first, above it)."""
    if before is not None:
        qs = qs.filter(**{f"{key}__lt" if newest_first else f"{key}__gt": before})
    rows = list(qs.order_by(f"-{key}" if newest_first else key)[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    return Page(rows, getattr(rows[-1], key) if more else None)


def every_row(qs: QuerySet[Any], key: str, chunk: int = EXPORT_CHUNK, newest_first: bool = True) -> Iterator[Any]:
    """All matching rows read in keyset chunks (constant memory)."""
    before: int | None = None
    while True:
        batch = page(qs, key, before, chunk, newest_first)
        yield from batch.rows
        if batch.next_before is None:
            return
        before = batch.next_before


def parse_before(query: Mapping[str, str]) -> int | None:
    """The keyset position of a later page: a whole number, or BadRequest (400)."""
    return number_from(query, "before")

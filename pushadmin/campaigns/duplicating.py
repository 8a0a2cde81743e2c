"""Copies: a campaign as a new draft with its rows (each with a new MsgKey), and a template under a new name."""

from __future__ import annotations

from django.db import connection, transaction
from django.utils import timezone

from pushadmin.accounts.requests import WorkspaceRequest
from pushadmin.audit import trail
from pushadmin.campaigns.models import Campaign, RowsState, Template
from pushadmin.delivery.models import Message, MessageStatus

NAME_LIMIT = 120


def duplicate_campaign(campaign: Campaign, *, request: WorkspaceRequest) -> Campaign:
    """A new draft with the same content, settings and rows; the copy is its copier's own work."""
    with transaction.atomic():
        copy = Campaign.objects.create(
            workspace=campaign.workspace,
            name=f"Copy of {campaign.name}"[:NAME_LIMIT],
            template=campaign.template,
            delivery_type=campaign.delivery_type,
            audience=campaign.audience,
            options=campaign.options,
            strategy=campaign.strategy,
            missing_policy=campaign.missing_policy,
            fallback_values=campaign.fallback_values,
            created_by=request.user,
        )
        rows = _copy_rows(campaign, copy)
        Campaign.objects.filter(pk=copy.pk).update(rows_state=RowsState.READY, rows_expected=rows, rows_built=rows)
        trail.record(
            "campaign.duplicated",
            request=request,
            workspace=copy.workspace,
            obj=copy,
            detail={"from_campaign": campaign.pk, "rows": rows},
        )
    copy.refresh_from_db()
    return copy


def _copy_rows(source: Campaign, copy: Campaign) -> int:
    """Every row of `source` (one per target, whatever round it was sent in) into `copy`, in one statement.

    The database copies them: a million-row campaign is never read into the web process. Each
    copied row is a draft with the copy's MsgKey, `Campaign.msg_key_for(seq)` written in SQL.
    """
    table = Message._meta.db_table
    sql = (
        f"INSERT INTO {table} (campaign_id, seq, target, {connection.ops.quote_name('values')}, extended_params, "  # noqa: S608
        "msg_key, status, send_round, request_id, task_id, result_code, result_message, updated_at) "
        f"SELECT %s, seq, target, {connection.ops.quote_name('values')}, extended_params, "
        "'pa' || %s || '-' || CAST(seq AS TEXT), %s, 1, '', '', '', '', %s "
        f"FROM {table} WHERE campaign_id = %s"
    )
    now = Message._meta.get_field("updated_at").get_db_prep_value(timezone.now(), connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, [copy.pk, copy.msg_key_prefix, MessageStatus.DRAFT, now, source.pk])
        return int(cursor.rowcount)


def free_template_name(template: Template) -> str:
    base = f"{template.name}-copy"[:95]
    similar = Template.objects.filter(workspace=template.workspace, name__startswith=base)
    taken = set(similar.values_list("name", flat=True))
    if base not in taken:
        return base
    return next(f"{base}-{n}" for n in range(2, len(taken) + 3) if f"{base}-{n}" not in taken)


def duplicate_template(template: Template, *, request: WorkspaceRequest) -> Template:
    """The same title and text under a free name; like any new template, it is not yet on mPaaS."""
    with transaction.atomic():
        copy = Template.objects.create(
            workspace=template.workspace,
            name=free_template_name(template),
            title=template.title,
            content=template.content,
            sample_values=template.sample_values,
            created_by=request.user,
        )
        trail.record(
            "template.duplicated",
            request=request,
            workspace=copy.workspace,
            obj=copy,
            detail={"from_template": template.pk, "name": copy.name},
        )
    return copy

"""Pre-flight: every problem of every row, found before a reviewer sees the campaign.

`preflight(campaign)` streams the campaign's message rows once (bounded memory, any size)
and reports per-row problems, counts, the calls the campaign will take, and whether the
missing-data policy blocks submission. Reviewers see its warnings first.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from celery import current_app
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import TextField
from django.db.models.functions import Cast
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from pushadmin.campaigns import rendering
from pushadmin.campaigns.models import Campaign, MissingDataPolicy, RowsState
from pushadmin.campaigns.options import ChannelOptions
from pushadmin.campaigns.row_check import QuickCheck
from pushadmin.campaigns.strategy import LOOP, Strategy
from pushadmin.campaigns.strategy import validate as validate_strategy
from pushadmin.console import recorded_reasons as reasons
from pushadmin.delivery.models import Message
from pushadmin.mpaas import validation
from pushadmin.mpaas.validation import MAX_TARGETS_PER_CALL

MISSING = "missing"
UNKNOWN = "unknown"
BAD_EXTENDED = "bad_extended_params"
DUPLICATE = "duplicate_target"
EMPTY_TARGET = "empty_target"
TOO_LONG = "too_long"
# Problems the skip policy leaves out of the send instead of blocking submission.
SKIPPABLE = frozenset({MISSING, TOO_LONG})
# How many row problems a report lists; the counts stay exact beyond it.
LISTED_PROBLEMS = 1000
# A million rows take tens of seconds to scan: large campaigns keep the row part per version.
CACHE_FROM_ROWS = 20_000
ROW_KINDS = (MISSING, UNKNOWN, BAD_EXTENDED, DUPLICATE, EMPTY_TARGET, TOO_LONG)
CACHE_SECONDS = 600


@dataclass(frozen=True)
class RowProblem:
    seq: int
    target: str
    kind: str
    message: str


@dataclass
class PreflightReport:
    total_rows: int = 0
    rows_to_send: int = 0
    rows_skipped: int = 0
    rows_using_fallback: int = 0
    # Held back by the workspace's safety nets if the campaign were cut now (see pushadmin.safety).
    rows_suppressed: int = 0
    rows_capped: int = 0
    cap_exception: str = ""
    service_notice: bool = False
    quiet_hours: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    problems: list[RowProblem] = field(default_factory=list)
    problem_rows: int = 0
    campaign_problems: list[str] = field(default_factory=list)
    block_reasons: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # A large campaign whose rows a worker is still checking: the page asked not to scan them itself.
    checking: bool = False

    @property
    def blocks_submission(self) -> bool:
        return bool(self.block_reasons)

    @property
    def calls(self) -> int:
        return math.ceil(self.rows_to_send / MAX_TARGETS_PER_CALL)

    @property
    def listed_all_problems(self) -> bool:
        return len(self.problems) >= sum(self.counts.values())


def extended_params_problems(value: Any) -> list[tuple[str, dict[str, object]]]:
    """Why a row's extendedParams cannot be sent, as (message, values) pairs; none when it can.

    The rules and limits are mpaas.validation's; this checks one map directly because it
    runs once per row of a million-row import (which stores the reasons in English).
    """
    if value in (None, {}):
        return []
    if not isinstance(value, Mapping):
        return [(reasons.EXTENDED_NOT_OBJECT, {})]
    problems: list[tuple[str, dict[str, object]]] = []
    not_text = sorted(str(key) for key, item in value.items() if not isinstance(item, str))
    if not_text:
        problems.append((reasons.EXTENDED_NOT_TEXT, {"keys": ", ".join(not_text)}))
    if len(value) > validation.MAX_EXTENDED_PARAM_KEYS:
        problems.append(
            (reasons.EXTENDED_TOO_MANY_KEYS, {"count": len(value), "limit": validation.MAX_EXTENDED_PARAM_KEYS})
        )
    reserved = sorted(validation.RESERVED_EXTENDED_PARAM_KEYS.intersection(value))
    if reserved:
        problems.append((reasons.EXTENDED_RESERVED, {"keys": ", ".join(reserved)}))
    return problems


def extended_params_problem(value: Any) -> str | None:
    """Why a row's extendedParams cannot be sent, in the active language, or None when it can."""
    if value in (None, {}):
        return None
    return " ".join(_(message) % values for message, values in extended_params_problems(value)) or None


def row_problems(
    names: list[str],
    values: Mapping[str, Any] | None,
    extended: Any,
    fallback: Mapping[str, Any] | None,
    *,
    template: tuple[str, str],
) -> list[tuple[str, str]]:
    """(kind, message) for one row (`template` is its title and text); shared with the builder's row markers."""
    found: list[tuple[str, str]] = []
    rendered = rendering.render(*template, values, fallback, names=names)
    if rendered.missing:
        found.append((MISSING, _("No value for ") + ", ".join(f"#{name}#" for name in rendered.missing) + "."))
    too_long = rendered.too_long_for_mpaas()
    if too_long:
        found.append((TOO_LONG, too_long))
    if rendered.unknown:
        unknown = ", ".join(f"#{key}#" for key in rendered.unknown)
        found.append((UNKNOWN, _("The template has no %(unknown)s; not sent.") % {"unknown": unknown}))
    ext = extended_params_problem(extended)
    if ext:
        found.append((BAD_EXTENDED, ext))
    return found


def _campaign_level(campaign: Campaign, report: PreflightReport, now: datetime | None) -> None:
    if report.checking:
        report.block_reasons.append(
            _("The %(rows)s rows are being checked in the background; this takes a few seconds.")
            % {"rows": f"{report.total_rows:,}"}
        )
    if campaign.rows_state == RowsState.BUILDING:
        report.block_reasons.append(
            _("Rows are still being created (%(rows_built)s of %(rows_expected)s); wait for them.")
            % {"rows_built": f"{campaign.rows_built:,}", "rows_expected": f"{campaign.rows_expected:,}"}
        )
    elif campaign.rows_state == RowsState.FAILED:
        report.block_reasons.append(_("Creating the rows failed: %(rows_error)s") % {"rows_error": campaign.rows_error})
    for problem in validate_strategy(Strategy.from_json(campaign.strategy), now=now):
        report.campaign_problems.append(f"Schedule: {problem.message}")
    options = ChannelOptions.from_json(campaign.options)
    if not validation.MIN_EXPIRED_SECONDS <= options.expired_seconds <= validation.MAX_EXPIRED_SECONDS:
        report.campaign_problems.append(_("Expiry must be from 1 second to 72 hours."))
    ext = extended_params_problem(options.extended_params)
    if ext:
        report.campaign_problems.append(_("Campaign-wide %(ext)s") % {"ext": ext})
    report.block_reasons.extend(report.campaign_problems)
    # What the last explicit check against mPaaS found; pre-flight itself never calls mPaaS.
    if reason := campaign.template.mpaas_block_reason():
        report.block_reasons.append(reason)
    if warning := campaign.template.mpaas_warning():
        report.warnings.append(warning)


def version_key(campaign: Campaign, total: int) -> str:
    """Names one version of a campaign's rows and settings, for caching scans of its rows.

    Every change of rows or settings goes through `workflow.record_edit` (new revision) or
    `save()` (new updated_at); a template edit changes the template's updated_at; background
    builds move rows_built; the row count catches anything else that adds or removes rows.
    """
    return (
        f"{campaign.pk}:{campaign.revision}:{campaign.updated_at.timestamp()}:"
        f"{campaign.template.updated_at.timestamp()}:{campaign.rows_built}:{total}"
    )


def preflight(campaign: Campaign, *, now: datetime | None = None, scan_cold: bool = True) -> PreflightReport:
    """The full report: rows (scanned once per version for large campaigns) plus the campaign's own checks.

    A page passes `scan_cold=False`: a large campaign whose rows are not scanned yet is then checked
    by a worker (queued once per version) and the report says so, instead of the request reading a
    million rows while the person waits.
    """
    building = campaign.rows_state == RowsState.BUILDING
    # A build in progress says how many rows it has written; counting a growing table is slow.
    total = campaign.rows_built if building else Message.objects.filter(campaign=campaign, send_round=1).count()
    report = None
    version = version_key(campaign, total)
    key = f"campaign-preflight-rows:{version}"
    if building:
        # Not scanned while a background build adds rows: every slice is a new version, so each look
        # at the builder would read every row again. The build blocks submission until it is done.
        report = PreflightReport(total_rows=total, counts=dict.fromkeys(ROW_KINDS, 0))
    elif is_large(total):
        report = cache.get(key)
        if report is None and not scan_cold:
            check_in_background(campaign.pk, version)
            report = PreflightReport(total_rows=total, counts=dict.fromkeys(ROW_KINDS, 0), checking=True)
    if report is None:
        report = _scan_rows(campaign, problems_key=problems_key(version) if is_large(total) else None)
        if is_large(total):
            cache.set(key, report, CACHE_SECONDS)
    report = copy.deepcopy(report)
    _campaign_level(campaign, report, now)
    _safety_nets(campaign, report, now)
    _judge(campaign, report)
    return report


def _safety_nets(campaign: Campaign, report: PreflightReport, now: datetime | None) -> None:
    """Read fresh each time (never cached with the rows): the list and the cap change on their own."""
    from pushadmin.safety import flags, holding, quiet

    held = holding.preview_counts(campaign)
    safety = flags.of(campaign)
    report.service_notice = safety.service_notice
    report.quiet_hours = quiet.window_text(campaign.workspace)
    report.cap_exception = safety.cap_exception
    report.rows_suppressed = held["suppressed"]
    report.rows_capped = held["capped"]
    report.rows_to_send = max(0, report.rows_to_send - report.rows_suppressed - report.rows_capped)
    if report.rows_suppressed:
        report.warnings.append(
            _("%(count)s target(s) are on the workspace's suppression list and will not be sent.")
            % {"count": f"{report.rows_suppressed:,}"}
        )
    if report.rows_capped:
        workspace = campaign.workspace
        report.warnings.append(
            _(
                "The frequency cap (%(messages)s per %(period)s) will hold back %(count)s target(s) as of now; "
                "a reviewer may approve an exception."
            )
            % {
                "messages": workspace.cap_messages,
                "period": workspace.get_cap_period_display(),
                "count": f"{report.rows_capped:,}",
            }
        )
    if safety.service_notice:
        return  # it sends through the quiet hours: nothing to warn of
    if warning := quiet.schedule_warning(campaign.workspace, Strategy.from_json(campaign.strategy), now):
        report.warnings.append(warning)


def problems_key(version: str) -> str:
    """The cache key of the seqs of the rows with a problem, for the builder's pages (rows.problem_seqs)."""
    return f"campaign-row-problems:{version}"


def is_large(total: int) -> bool:
    """Rows this many are scanned once per version and kept, and by a worker when a page looks first."""
    return total >= CACHE_FROM_ROWS


def is_scanned(campaign: Campaign, total: int) -> bool:
    """Whether a page can show this version of the rows without scanning them (small, or scanned already)."""
    return not is_large(total) or cache.has_key(problems_key(version_key(campaign, total)))


def check_in_background(campaign_id: int, version: str) -> None:
    """Queue one worker scan of this version of the rows (by task name: the tasks module imports this one)."""
    if cache.add(f"campaign-preflight-queued:{version}", True, CACHE_SECONDS):
        transaction.on_commit(
            lambda: current_app.send_task(
                "pushadmin.campaigns.tasks.check_campaign_rows",
                (campaign_id,),
                queue=settings.CELERY_TASK_DEFAULT_QUEUE,
            )
        )


def warm_cache(campaign_id: int) -> None:
    """After a background build, scan a large campaign's rows once here, in the worker.

    The first look at a million-row campaign would otherwise scan every row in a web request.
    """
    campaign = Campaign.objects.select_related("template", "workspace").get(pk=campaign_id)
    if campaign.rows_state != RowsState.READY:
        return
    if is_large(Message.objects.filter(campaign=campaign, send_round=1).count()):
        preflight(campaign)


def _scan_rows(campaign: Campaign, *, problems_key: str | None = None) -> PreflightReport:
    """Every row of the first round read once; with `problems_key`, the seqs of the rows with a problem
    are cached under it for the builder's pages (the same rows as rows.problem_seqs would find)."""
    report = PreflightReport(counts=dict.fromkeys(ROW_KINDS, 0))
    with_problems: list[int] = []
    template = campaign.template
    texts = (template.title, template.content)
    names = rendering.template_placeholders(template.title, template.content)
    fallback = campaign.fallback_values if campaign.missing_policy == MissingDataPolicy.FALLBACK else None
    quick = QuickCheck(template.title, template.content, names, fallback, extended_params_problem)
    seen: dict[int, int] = {}  # the target's hash → its first row (64 bits: a collision in a million is ~1e-8)
    rows = Message.objects.filter(campaign=campaign, send_round=1).order_by("seq")
    # The JSON as stored, decoded here: Django's converters would cost a third of the scan.
    stored = rows.values_list("seq", "target", Cast("values", TextField()), Cast("extended_params", TextField()))
    for seq, target, values_json, extended_json in stored.iterator(chunk_size=2000):
        report.total_rows += 1
        values = json.loads(values_json) if values_json else {}
        found: list[tuple[str, str]] = []
        if quick.has_problem(values, extended_json):
            extended = json.loads(extended_json) if extended_json is not None else None
            found = row_problems(names, values, extended, fallback, template=texts)
        if found:
            with_problems.append(seq)
        if not (target or "").strip():
            found.append((EMPTY_TARGET, _("The target is empty.")))
        else:
            key = hash(target)
            if key in seen:
                found.append(
                    (
                        DUPLICATE,
                        _("The target repeats row %(value)s; it would get the message twice.") % {"value": seen[key]},
                    )
                )
            else:
                seen[key] = seq
        skippable = any(kind in SKIPPABLE for kind, _ in found)
        if skippable and campaign.missing_policy == MissingDataPolicy.SKIP:
            report.rows_skipped += 1
        else:
            report.rows_to_send += 1
        if fallback and rendering.effective_values(names, values, fallback)[2]:
            report.rows_using_fallback += 1
        if found:
            report.problem_rows += 1
        for kind, message in found:
            report.counts[kind] += 1
            if len(report.problems) < LISTED_PROBLEMS:
                report.problems.append(RowProblem(seq, target, kind, message))
    if problems_key is not None and campaign.send_round == 1:  # the builder's pages show the first round's rows
        cache.set(problems_key, with_problems, CACHE_SECONDS)
    return report


def _judge_schedule(campaign: Campaign, report: PreflightReport) -> None:
    """A loop lives on mPaaS as one task per call, and mPaaS holds at most 100 unexecuted tasks."""
    limit = validation.MAX_UNEXECUTED_SCHEDULED_TASKS
    if Strategy.from_json(campaign.strategy).type == LOOP and report.calls > limit:
        report.block_reasons.append(
            _(
                "A loop needs one scheduled task on mPaaS per call (%(calls)s here) and mPaaS holds at most "
                "%(limit)s; split the audience into campaigns of at most %(value)s targets."
            )
            % {"calls": f"{report.calls:,}", "limit": limit, "value": f"{limit * MAX_TARGETS_PER_CALL:,}"}
        )


def _judge(campaign: Campaign, report: PreflightReport) -> None:
    _judge_schedule(campaign, report)
    if report.checking or campaign.rows_state == RowsState.BUILDING:
        return  # the rows' figures are not known yet; the reason for that is given already
    counts = report.counts
    if report.total_rows == 0:
        report.block_reasons.append(_("The campaign has no rows: choose an audience or add rows."))
    if counts[MISSING]:
        rows = ngettext("%(count)s row misses", "%(count)s rows miss", counts[MISSING]) % {
            "count": f"{counts[MISSING]:,}"
        }
        if campaign.missing_policy == MissingDataPolicy.BLOCK:
            report.block_reasons.append(
                _("%(rows)s a placeholder value and the policy is to block submission.") % {"rows": rows}
            )
        elif campaign.missing_policy == MissingDataPolicy.FALLBACK:
            report.block_reasons.append(
                _("%(rows)s a value that has no fallback; add the fallback value.") % {"rows": rows}
            )
        else:
            report.warnings.append(_("%(rows)s a placeholder value and will be skipped.") % {"rows": rows})
    if counts[TOO_LONG]:
        rows = _("%(value)s row(s) are longer than mPaaS takes (it would refuse each one's whole call of 100)") % {
            "value": f"{counts[TOO_LONG]:,}"
        }
        if campaign.missing_policy == MissingDataPolicy.SKIP:
            report.warnings.append(_("%(rows)s; they will be skipped.") % {"rows": rows})
        else:
            report.block_reasons.append(
                _("%(rows)s; shorten their values or choose to skip such rows.") % {"rows": rows}
            )
    if report.total_rows and not report.rows_to_send:
        report.block_reasons.append(_("Every row would be skipped; nothing would be sent."))
    if counts[DUPLICATE]:
        report.block_reasons.append(
            _("%(value)s row(s) repeat a target; remove the repeats.") % {"value": f"{counts[DUPLICATE]:,}"}
        )
    if counts[EMPTY_TARGET]:
        report.block_reasons.append(_("%(value)s row(s) have no target.") % {"value": f"{counts[EMPTY_TARGET]:,}"})
    if counts[BAD_EXTENDED]:
        report.block_reasons.append(
            _("%(value)s row(s) have extendedParams the API would refuse.") % {"value": f"{counts[BAD_EXTENDED]:,}"}
        )
    if counts[UNKNOWN]:
        report.warnings.append(
            _("%(value)s row(s) carry values for placeholders the template does not have; they are not sent.")
            % {"value": f"{counts[UNKNOWN]:,}"}
        )
    if report.rows_using_fallback:
        report.warnings.append(
            _("%(rows_using_fallback)s row(s) use a fallback value.")
            % {"rows_using_fallback": f"{report.rows_using_fallback:,}"}
        )

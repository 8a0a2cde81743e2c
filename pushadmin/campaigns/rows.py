"""A campaign's rows: the delivery.Message rows (status DRAFT) the builder creates and edits.

CONTRACT with delivery: every target is one Message with its own values, seq from 1 and
MsgKey `campaign.msg_key_for(seq)`, fixed when the row is created. A removed row leaves a gap
in seq rather than renumbering, so no row's MsgKey ever changes.

A large audience is copied by a Celery task that claims the build (claim token and lease on
the campaign, one conditional update) and renews the lease in the transaction of every
slice it writes, before writing it. If its worker dies, the sweeper (`recovery.py`) hands
the build to a new task, which deletes the rows the dead one wrote and starts again; a
worker that was only stalled finds its token gone at its next slice and writes nothing more.

Who owns these rows: delivery owns the `Message` model and table, campaigns owns a row while it
is a draft, and this module is the only writer of draft rows. A row is one record from the
builder to its final state (its seq and MsgKey are fixed when it is written here, and a
first-round batch holds its rows by number, see `delivery.membership`), so starting a campaign
moves no row: a campaign-owned draft table copied into delivery's at approval would rewrite a
million rows in the transaction that starts the send and give each message two records. So
campaigns imports delivery's model only, never its engine, and delivery reads the draft rows
and takes them out of draft.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import BadRequest
from django.db import connection, transaction
from django.db.models import F, Max, QuerySet, TextField
from django.db.models.functions import Cast
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext

from pushadmin.audiences.csv_reading import MAX_TARGET_LENGTH, CsvFileError, CsvStream, RowReject, detect_delimiter
from pushadmin.audiences.models import AudienceMember
from pushadmin.audit import trail
from pushadmin.campaigns import rendering
from pushadmin.campaigns.models import Campaign, MissingDataPolicy, RowsState
from pushadmin.campaigns.preflight import (
    CACHE_SECONDS,
    check_in_background,
    extended_params_problem,
    is_large,
    problems_key,
    row_problems,
    version_key,
)
from pushadmin.campaigns.row_check import QuickCheck
from pushadmin.console import recorded_reasons as reasons
from pushadmin.console.request_numbers import is_whole_number
from pushadmin.delivery.models import Message, MessageStatus
from pushadmin.operations import metrics, table_statistics

logger = logging.getLogger(__name__)

PAGE_SIZE = 25  # rows shown (and typed into) per page: a page of inputs stays short to tab through
INLINE_BUILD_LIMIT = 2000  # above this the rows are written by a Celery task with progress
CHUNK = 5000
# Renewed with every committed slice of CHUNK rows, which takes well under a second.
BUILD_LEASE = timedelta(minutes=2)


class BuildClaimLost(Exception):
    """The campaign's rows are no longer this task's to build (taken back, or the audience changed)."""


def names_of(campaign: Campaign) -> list[str]:
    return rendering.template_placeholders(campaign.template.title, campaign.template.content)


def fallback_of(campaign: Campaign) -> Mapping[str, Any] | None:
    return campaign.fallback_values if campaign.missing_policy == MissingDataPolicy.FALLBACK else None


def next_seq(campaign: Campaign) -> int:
    return (Message.objects.filter(campaign=campaign).aggregate(top=Max("seq"))["top"] or 0) + 1


# --------------------------------------------------------------------------- building from an audience


def replace_rows_from_audience(campaign: Campaign) -> None:
    """Make the audience's members the campaign's rows (inside the caller's transaction).

    The build state is written before the rows are deleted: that takes the claim from any
    build still running for an earlier audience, so it cannot add a slice afterwards.
    """
    audience = campaign.audience
    count = audience.current_members().count() if audience else 0
    inline = count <= INLINE_BUILD_LIMIT
    Campaign.objects.filter(pk=campaign.pk).update(
        rows_state=RowsState.READY if inline else RowsState.BUILDING,
        rows_expected=count,
        rows_built=count if inline else 0,
        rows_error="",
        rows_claim_token="",
        rows_lease_until=None,
        rows_tries=0,
        rows_queued_at=None if inline else timezone.now(),
    )
    Message.objects.filter(campaign=campaign).delete()
    if not inline:
        campaign_id = campaign.pk
        transaction.on_commit(lambda: enqueue_build(campaign_id))
    elif audience:
        copy_all_members(campaign)


def enqueue_build(campaign_id: int) -> None:
    from pushadmin.campaigns.tasks import build_campaign_rows

    build_campaign_rows.apply_async((campaign_id,), queue=settings.CELERY_TASK_DEFAULT_QUEUE)


def _member_slices(campaign: Campaign) -> Iterator[tuple[int, int | None]]:
    """The audience's members in slices of CHUNK, as (after this member id, up to this one or None: to
    the end), each found by its own complete query (keyset on the member's id).

    Never an open cursor: on SQLite an unfinished read keeps its snapshot, and the write that follows
    it would be refused at once ("database is locked") whenever any other connection, e.g. a page's
    poll saving its session, had committed meanwhile.
    """
    if campaign.audience is None:
        return
    audience = campaign.audience
    last_pk = 0
    while True:
        members = AudienceMember.objects.filter(audience=audience, generation=audience.generation, pk__gt=last_pk)
        upto = members.order_by("pk").values_list("pk", flat=True)[CHUNK - 1 : CHUNK].first()
        yield last_pk, upto
        if upto is None:
            return
        last_pk = upto


def _insert_rows(campaign: Campaign, *, after_pk: int, upto_pk: int | None, first_seq: int) -> int:
    """INSERT the audience's members after `after_pk` up to `upto_pk` (None: to the end) as DRAFT rows
    numbered from `first_seq` in member-id order, with their MsgKeys: one statement inside the
    database, no row passing through Python."""
    audience = campaign.audience
    assert audience is not None
    number = "(%s + ROW_NUMBER() OVER (ORDER BY m.id) - 1)"
    values = connection.ops.quote_name("values")
    sql = (
        f"INSERT INTO {Message._meta.db_table} (campaign_id, seq, target, {values}, extended_params, msg_key,"  # noqa: S608 - names only, values bound
        " status, send_round, request_id, task_id, result_code, result_message, updated_at)"
        f" SELECT %s, {number}, m.target, m.{values}, m.extended_params, %s || CAST({number} AS TEXT),"
        " %s, 1, '', '', '', '', %s"
        f" FROM {AudienceMember._meta.db_table} AS m WHERE m.audience_id = %s AND m.generation = %s AND m.id > %s"
    )
    params: list[Any] = [
        campaign.pk,
        first_seq,
        campaign.msg_key_stem,  # a row's MsgKey is this and its number (Campaign.msg_key_for)
        first_seq,
        MessageStatus.DRAFT,
        timezone.now(),
        audience.pk,
        audience.generation,
        after_pk,
    ]
    if upto_pk is not None:
        sql += " AND m.id <= %s"
        params.append(upto_pk)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.rowcount)


def copy_all_members(campaign: Campaign) -> None:
    seq = next_seq(campaign)
    for after_pk, upto_pk in _member_slices(campaign):
        seq += _insert_rows(campaign, after_pk=after_pk, upto_pk=upto_pk, first_seq=seq)


def _claim_build(campaign_id: int, token: str) -> bool:
    """A build waiting for a task → held by `token`; a duplicate or late task finds nothing to claim."""
    return (
        Campaign.objects.filter(pk=campaign_id, rows_state=RowsState.BUILDING, rows_claim_token="").update(
            rows_claim_token=token,
            rows_lease_until=timezone.now() + BUILD_LEASE,
            rows_tries=F("rows_tries") + 1,
            rows_built=0,
        )
        == 1
    )


def _renew_build(campaign_id: int, token: str, **progress: Any) -> None:
    _update_held(
        _held_build(campaign_id, token), campaign_id, rows_lease_until=timezone.now() + BUILD_LEASE, **progress
    )


def _held_build(campaign_id: int, token: str) -> QuerySet[Campaign]:
    return Campaign.objects.filter(pk=campaign_id, rows_state=RowsState.BUILDING, rows_claim_token=token)


def _update_held(held: QuerySet[Campaign], campaign_id: int, **fields: Any) -> None:
    """Write `fields` only while the build is still held; BuildClaimLost, writing nothing, otherwise."""
    if held.update(**fields) != 1:
        raise BuildClaimLost(f"the rows of campaign {campaign_id} are no longer built by this task")


def build_rows(campaign_id: int) -> None:
    """Task body: claim the build, write the audience's rows in slices with progress, mark them ready."""
    token = str(uuid.uuid4())
    if not _claim_build(campaign_id, token):
        return  # built, being built by another task, or replaced meanwhile
    with metrics.timed(metrics.ROW_BUILD_SECONDS) as outcome:
        try:
            _build(campaign_id, token)
            outcome["outcome"] = "done"
        except BuildClaimLost:
            logger.warning("building the rows of campaign %s was handed to another task; stopping", campaign_id)
            outcome["outcome"] = "handed_over"
        except Exception as exc:
            logger.exception("building rows of campaign %s failed", campaign_id)
            with contextlib.suppress(BuildClaimLost):
                fail_build(campaign_id, token, reasons.written(reasons.BUILD_STOPPED, code=type(exc).__name__))


def _build(campaign_id: int, token: str) -> None:
    campaign = Campaign.objects.select_related("audience", "template").get(pk=campaign_id)
    with transaction.atomic():
        _renew_build(campaign_id, token)  # the campaign's row lock first: nothing else may take the build now
        Message.objects.filter(campaign=campaign).delete()  # what an interrupted try wrote
    written = 0
    for after_pk, upto_pk in _member_slices(campaign):
        with transaction.atomic():
            _renew_build(campaign_id, token)  # the build still held, before the slice is written
            written += _insert_rows(campaign, after_pk=after_pk, upto_pk=upto_pk, first_seq=written + 1)
            _renew_build(campaign_id, token, rows_built=written, updated_at=timezone.now())
    _update_held(
        _held_build(campaign_id, token),
        campaign_id,
        rows_state=RowsState.READY,
        rows_claim_token="",
        rows_lease_until=None,
    )
    table_statistics.refresh_after_bulk_write(Message)  # pre-flight and the fingerprint page through them next


def fail_build(campaign_id: int, token: str, reason: str, *, lease_ran_out_before: datetime | None = None) -> None:
    """End a build held by `token` as failed with `reason` (audited) and remove the rows it wrote.

    With `lease_ran_out_before`, only if its lease ran out before then (the sweeper's case).
    Raises BuildClaimLost, changing nothing, if `token` does not hold the build (any more).
    """
    campaign = Campaign.objects.select_related("workspace").get(pk=campaign_id)
    held = _held_build(campaign_id, token)
    if lease_ran_out_before is not None:
        held = held.filter(rows_lease_until__lt=lease_ran_out_before)
    with transaction.atomic():
        trail.record(  # the chain's lock before the campaign's row lock
            "campaign.rows_failed",
            workspace=campaign.workspace,
            obj=campaign,
            detail={"error": reason, "tries": campaign.rows_tries, "rows_written": campaign.rows_built},
        )
        _update_held(
            held,
            campaign_id,
            rows_state=RowsState.FAILED,
            rows_error=reason[:300],
            rows_claim_token="",
            rows_lease_until=None,
        )
        Message.objects.filter(campaign_id=campaign_id).delete()


# --------------------------------------------------------------------------- one page of rows


@dataclass
class RowView:
    key: str  # form prefix: the seq of a saved row, "new-N" for one not saved yet
    seq: int | None
    target: str
    values: dict[str, str]
    extended_text: str
    rendered: rendering.Rendered
    problems: list[str]
    error: str = ""

    @property
    def msg_key_hint(self) -> str:
        return str(self.seq) if self.seq else gettext("new")


def ext_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False) if value else ""


def view_row(
    campaign: Campaign,
    names: list[str],
    key: str,
    seq: int | None,
    target: str,
    values: Mapping[str, Any],
    extended: Any,
    *,
    extended_text: str | None = None,
    error: str = "",
) -> RowView:
    fallback = fallback_of(campaign)
    rendered = rendering.render(campaign.template.title, campaign.template.content, values, fallback)
    texts = (campaign.template.title, campaign.template.content)
    found = row_problems(names, values, extended, fallback, template=texts)
    problems = [message for _kind, message in found]
    if seq is None and not target and not any(values.values()) and not extended:
        problems = []  # a blank row waiting to be typed into has nothing wrong yet
    if error:
        problems.insert(0, error)
    return RowView(
        key=key,
        seq=seq,
        target=target,
        values={name: str(values.get(name, "")) for name in names},
        extended_text=ext_text(extended) if extended_text is None else extended_text,
        rendered=rendered,
        problems=problems,
        error=error,
    )


@dataclass
class RowPage:
    rows: list[RowView]
    number: int
    pages: int
    total: int
    problem_rows: int
    problems_only: bool
    checking: bool = False  # a worker is still finding the rows with a problem

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def _with_problems(campaign: Campaign, names: list[str]) -> Iterator[int]:
    template = campaign.template
    quick = QuickCheck(template.title, template.content, names, fallback_of(campaign), extended_params_problem)
    rows = Message.objects.filter(campaign=campaign).order_by("seq")
    stored = rows.values_list("seq", Cast("values", TextField()), Cast("extended_params", TextField()))
    for seq, values_json, extended_json in stored.iterator(chunk_size=2000):
        if quick.has_problem(json.loads(values_json) if values_json else {}, extended_json):
            yield seq


def problem_seqs(campaign: Campaign, names: list[str], total: int, *, scan_cold: bool = True) -> list[int] | None:
    """Rows with a problem, scanned once per version: paging would otherwise rescan every row.

    With `scan_cold=False` (a page), a large campaign not scanned yet is handed to a worker's
    pre-flight scan, which caches these too, and None says they are not known yet.
    """
    version = version_key(campaign, total)
    found: list[int] | None = cache.get(problems_key(version))
    if found is None:
        if not scan_cold and is_large(total):
            check_in_background(campaign.pk, version)
            return None
        found = list(_with_problems(campaign, names))
        cache.set(problems_key(version), found, CACHE_SECONDS)
    return found


def row_page(campaign: Campaign, number: int = 1, *, problems_only: bool = False, scan_cold: bool = True) -> RowPage:
    names = names_of(campaign)
    messages = Message.objects.filter(campaign=campaign).order_by("seq")
    building = campaign.rows_state == RowsState.BUILDING
    # While a background build adds rows, its progress says how many are there (it is written with
    # each slice): counting a table that grows by the second cost PostgreSQL a second and more a look.
    total = campaign.rows_built if building else messages.count()
    # While a background build adds rows each look would be a new version to scan: problems are found once it is done.
    found = [] if building else problem_seqs(campaign, names, total, scan_cold=scan_cold)
    seqs = found or []
    count = len(seqs) if problems_only else total
    pages = max(1, -(-count // PAGE_SIZE))
    number = min(max(1, number), pages)
    start = (number - 1) * PAGE_SIZE
    if problems_only:
        chosen = messages.filter(seq__in=seqs[start : start + PAGE_SIZE])
    else:
        chosen = messages[start : start + PAGE_SIZE]
    rows = [
        view_row(campaign, names, str(seq), seq, target, values, extended)
        for seq, target, values, extended in chosen.values_list("seq", "target", "values", "extended_params")
    ]
    return RowPage(rows, number, pages, total, len(seqs), problems_only, checking=found is None)


# --------------------------------------------------------------------------- saving edits


@dataclass
class RowInput:
    key: str
    target: str
    values: dict[str, str]
    extended_text: str
    remove: bool


def read_row(data: Mapping[str, Any], key: str, names: list[str]) -> RowInput:
    return RowInput(
        key=key,
        target=(data.get(f"row-{key}-target") or "").strip(),
        values={name: (data.get(f"row-{key}-v-{name}") or "").strip() for name in names},
        extended_text=(data.get(f"row-{key}-ext") or "").strip(),
        remove=bool(data.get(f"row-{key}-remove")),
    )


def parse_extended(text: str) -> tuple[dict[str, Any] | None, str]:
    """(extendedParams, error) from what was typed in a row's extendedParams cell."""
    if not text:
        return None, ""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, f"extendedParams is not valid JSON: {exc.msg} at character {exc.pos + 1}."
    return value, extended_params_problem(value) or ""


@dataclass
class SaveResult:
    changed: int = 0
    added: int = 0
    removed: int = 0
    errors: dict[str, str] | None = None

    @property
    def any_change(self) -> bool:
        return bool(self.changed or self.added or self.removed)


def saved_seq(key: str) -> int | None:
    """The row number a posted row key names: a saved row's seq, or None for a new row ("new-<n>").

    Any other key is a malformed post: BadRequest (400).
    """
    if key.startswith("new-") and is_whole_number(key.removeprefix("new-")):
        return None
    if is_whole_number(key):
        return int(key)
    raise BadRequest("A row key is a row number or new-<number>.")


def row_keys(data: QueryDict) -> list[str]:
    keys = data.getlist("rows")
    for key in keys:
        saved_seq(key)  # refuses a malformed key before anything is read
    return keys


def unstorable_text(target: str, *cells: str) -> str:
    """Why a typed row cannot be kept as it is (a target too long, a NUL character anywhere), or ""."""
    if len(target) > MAX_TARGET_LENGTH:
        return f"The target is {len(target):,} characters long; a target is at most {MAX_TARGET_LENGTH}."
    if any("\x00" in text for text in (target, *cells)):
        return "A cell holds a NUL character (\\x00), which can be neither stored nor sent; remove it."
    return ""


def save_rows(campaign: Campaign, data: QueryDict) -> SaveResult:
    """Apply a posted page of rows; refuses everything if any row is wrong (nothing half saved)."""
    names = names_of(campaign)
    inputs = [read_row(data, key, names) for key in row_keys(data)]
    saved_seqs = [seq for row in inputs if (seq := saved_seq(row.key)) is not None]
    existing = {m.seq: m for m in Message.objects.filter(campaign=campaign, seq__in=saved_seqs)}
    errors: dict[str, str] = {}
    result = SaveResult()
    updates, creates, removes = [], [], []
    for row in inputs:
        seq = saved_seq(row.key)
        if seq is None and not row.target and not any(row.values.values()) and not row.extended_text:
            continue  # an untouched blank row
        if row.remove:
            if seq is not None and seq in existing:
                removes.append(seq)
            continue
        extended, error = parse_extended(row.extended_text)
        if not row.target:
            error = "The target is empty."
        error = unstorable_text(row.target, row.extended_text, *row.values.values()) or error
        if error:
            errors[row.key] = error
            continue
        typed = {name: value for name, value in row.values.items() if value}
        if seq is None:
            creates.append((row.target, typed, extended))
            continue
        message = existing.get(seq)
        if message is None:
            continue  # removed meanwhile by someone else
        # Values for columns the template lacks stay on the row: preflight keeps warning about them.
        values = {**{k: v for k, v in message.values.items() if k not in names}, **typed}
        if (message.target, message.values, message.extended_params or None) != (row.target, values, extended):
            message.target, message.values, message.extended_params = row.target, values, extended
            updates.append(message)
    if errors:
        return SaveResult(errors=errors)
    Message.objects.bulk_update(updates, ["target", "values", "extended_params", "updated_at"], batch_size=500)
    # New rows are numbered before removals, so a removed row's seq (and MsgKey) is not reused at once.
    append_rows(campaign, creates)
    Message.objects.filter(campaign=campaign, seq__in=removes).delete()
    recount(campaign)
    result.changed, result.added, result.removed = len(updates), len(creates), len(removes)
    return result


def append_rows(campaign: Campaign, rows: list[tuple[str, dict[str, str], Any]]) -> int:
    seq = next_seq(campaign)
    Message.objects.bulk_create(
        (
            Message(
                campaign=campaign,
                seq=seq + offset,
                target=target,
                values=values,
                extended_params=extended,
                msg_key=campaign.msg_key_for(seq + offset),
                status=MessageStatus.DRAFT,
            )
            for offset, (target, values, extended) in enumerate(rows)
        ),
        batch_size=1000,
    )
    recount(campaign)
    return len(rows)


def recount(campaign: Campaign) -> None:
    count = Message.objects.filter(campaign=campaign).count()
    Campaign.objects.filter(pk=campaign.pk).update(rows_expected=count, rows_built=count)


# --------------------------------------------------------------------------- paste many


def parse_pasted(text: str, names: list[str]) -> tuple[list[tuple[str, dict[str, str], Any]], list[str]]:
    """Rows pasted from a spreadsheet: with a header naming `target`, or in the order target, placeholders."""
    lines = text.strip("\ufeff\r\n").splitlines()
    if not lines:
        return [], [gettext("Nothing was pasted.")]
    delimiter = detect_delimiter(lines[0])
    first_cells = [cell.strip().strip("#").lower() for cell in lines[0].split(delimiter)]
    offset = 0
    if "target" not in first_cells:
        lines.insert(0, delimiter.join(["target", *names]))
        offset = 1  # line numbers below count the pasted lines, not the header added here
    try:
        stream = CsvStream(io.BytesIO("\n".join(lines).encode("utf-8")))
        outcomes = list(stream)
    except CsvFileError as exc:
        return [], [reasons.readable(str(exc))]
    rows: list[tuple[str, dict[str, str], Any]] = []
    errors: list[str] = []
    seen: dict[str, int] = {}
    for outcome in outcomes:
        line = outcome.line_number - offset
        if isinstance(outcome, RowReject):
            errors.append(_pasted_line(line, outcome.reason))
        elif outcome.target in seen:
            errors.append(_pasted_line(line, reasons.written(reasons.ROW_DUPLICATE, line=seen[outcome.target])))
        else:
            seen[outcome.target] = line
            rows.append((outcome.target, outcome.values, outcome.extended_params))
    return rows, errors


def _pasted_line(line: int, reason: str) -> str:
    """Why a pasted line was left out, in the reader's language (`reason` as a rejected row keeps it)."""
    said = reasons.readable(reason).rstrip(".\u3002")  # the message ends the sentence itself
    return gettext("Pasted line %(line)s: %(reason)s.") % {"line": line, "reason": said}

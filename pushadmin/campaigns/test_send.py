"""Test send: one row's message (the first unless the marketer picks another), to its own target or one
the marketer names, right now.

It goes through the real client to the workspace's endpoint with its own MsgKey (never one
of the campaign's), ignores the schedule, and lands in the audit trail with the API's answer.
"""

from __future__ import annotations

import dataclasses
import secrets
from dataclasses import dataclass

from django.http import HttpRequest
from django.utils.translation import gettext as _

from pushadmin.audit import trail
from pushadmin.campaigns.models import Campaign
from pushadmin.campaigns.payload import build_push_request
from pushadmin.campaigns.rows import unstorable_text
from pushadmin.delivery.clients import build_client
from pushadmin.delivery.models import Message
from pushadmin.mpaas import errors
from pushadmin.mpaas.endpoints import NOT_ALLOWED_HOST, EndpointRefused
from pushadmin.mpaas.validation import validate_push_multiple
from pushadmin.safety.models import Suppression

TEST_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class TestSendAnswer:
    ok: bool
    summary: str
    code: str
    meaning: str
    request_id: str
    http_status: int | None
    msg_key: str


def _answer(outcome: errors.Outcome, msg_key: str) -> TestSendAnswer:
    if isinstance(outcome, errors.Accepted):
        return TestSendAnswer(
            True,
            "Accepted by the push service.",
            outcome.result_code,
            "",
            outcome.request_id or "",
            outcome.http_status,
            msg_key,
        )
    summary = {
        errors.Rejected: "Refused by the push service.",
        errors.Retryable: "Not delivered this time (temporary); try again.",
        errors.Ambiguous: "No clear answer: the message may or may not have been sent.",
    }[type(outcome)]
    # The remote's own message is left out: an endpoint controls it, and people see this page.
    return TestSendAnswer(
        False,
        summary,
        outcome.code or ("" if isinstance(outcome, errors.Rejected) else outcome.reason),
        errors.in_plain_words(outcome),
        outcome.request_id or "",
        outcome.http_status,
        msg_key,
    )


def send_test(campaign: Campaign, target: str, *, request: HttpRequest, row: int | None = None) -> TestSendAnswer:
    rows = Message.objects.filter(campaign=campaign)
    first = rows.filter(seq=row).first() if row else rows.order_by("seq").first()
    if first is None:
        last = rows.order_by("-seq").values_list("seq", flat=True).first()
        raise ValueError(
            _("Row %(row)s does not exist; the rows are numbered 1 to %(last)s.") % {"row": row, "last": last}
            if row and last
            else _("The campaign has no rows yet; add one to test.")
        )
    target = target or first.target
    if problem := unstorable_text(target):
        raise ValueError(problem)
    if Suppression.objects.filter(workspace_id=campaign.workspace_id, target=target).exists():
        raise ValueError(
            _("“%(target)s” is on the workspace's suppression list: nothing is sent to it, not even a test.")
            % {"target": target}
        )
    msg_key = f"pa{campaign.msg_key_prefix}-test-{secrets.token_hex(4)}"
    probe = Message(target=target, msg_key=msg_key, values=first.values, extended_params=first.extended_params)
    push = build_push_request(campaign, [probe], task_name=f"Test: {campaign.name}"[:100])
    push = dataclasses.replace(push, strategy_type=None, strategy_content=None)
    problems = validate_push_multiple(push)
    if problems:
        raise ValueError("; ".join(f"{p.field} {p.message}" for p in problems))
    workspace = campaign.workspace
    try:
        client = build_client(workspace, timeout=TEST_TIMEOUT_SECONDS)
    except EndpointRefused:
        raise ValueError(
            _(
                "Not sent (%(why)s): the workspace's endpoint is not an mPaaS gateway this installation "
                "allows; an admin can correct it under Settings."
            )
            % {"why": NOT_ALLOWED_HOST}
        ) from None
    with client:
        result = client.push_multiple(push)
    answer = _answer(result.outcome, msg_key)
    trail.record(
        "campaign.test_sent",
        request=request,
        workspace=workspace,
        obj=campaign,
        detail={
            "target": target,
            "msg_key": msg_key,
            "row": first.seq,
            "accepted": answer.ok,
            "code": answer.code,
            "request_id": answer.request_id,
        },
    )
    return answer

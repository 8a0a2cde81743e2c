"""The PushMultiple request of one batch, built by the campaign's one request builder.

`pushadmin.campaigns.payload.build_push_request` is the single place a campaign's request
is made (the builder's preview uses it too). The only thing the sender changes is timing:
a fixed-time push whose time has already come (held here until due, or retried after its
time) goes out as an immediate push, since mPaaS refuses a fixedTime in the past.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence

from pushadmin.campaigns import payload
from pushadmin.campaigns.models import Campaign
from pushadmin.campaigns.strategy import FIXED, Strategy
from pushadmin.delivery.models import Batch
from pushadmin.mpaas.request_types import PushMultipleRequest

# A fixed time closer than this is treated as "now": mPaaS must still see it in the future.
FIXED_TIME_MARGIN_MS = 60_000


def task_name_for(campaign: Campaign, batch_seq: int, send_round: int) -> str:
    """The campaign's name and a tag unique to the batch and round, e.g. ``Spring [pa1f2e3d4c5/1/7]``.

    mPaaS keeps each call as a task under this name; when a call's outcome is unknown, its task
    can then be looked up by name in mPaaS's records (``QueryPushAnalysisTaskList``). The tag
    carries the campaign's MsgKey prefix, unique across installations, so no other call has it.
    """
    tag = f" [{campaign.msg_key_prefix}/{send_round}/{batch_seq}]"
    return payload.default_task_name(campaign)[: payload.TASK_NAME_MAX - len(tag)] + tag


def build_request(
    campaign: Campaign, messages: Sequence[payload.MessageRow], *, batch: Batch | None = None
) -> PushMultipleRequest:
    task_name = None if batch is None else task_name_for(campaign, batch.seq, batch.send_round)
    request = payload.build_push_request(campaign, messages, task_name=task_name)
    if Strategy.from_json(campaign.strategy).type == FIXED and request.strategy_content is not None:
        fixed = request.strategy_content.fixed_time
        if fixed is None or fixed <= time.time() * 1000 + FIXED_TIME_MARGIN_MS:
            request = dataclasses.replace(request, strategy_type=None, strategy_content=None)
    return request

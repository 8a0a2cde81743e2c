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
from pushadmin.mpaas.request_types import PushMultipleRequest

# A fixed time closer than this is treated as "now": mPaaS must still see it in the future.
FIXED_TIME_MARGIN_MS = 60_000


def build_request(campaign: Campaign, messages: Sequence[payload.MessageRow]) -> PushMultipleRequest:
    request = payload.build_push_request(campaign, messages)
    if Strategy.from_json(campaign.strategy).type == FIXED and request.strategy_content is not None:
        fixed = request.strategy_content.fixed_time
        if fixed is None or fixed <= time.time() * 1000 + FIXED_TIME_MARGIN_MS:
            request = dataclasses.replace(request, strategy_type=None, strategy_content=None)
    return request

"""A webhook receiver on a loopback port, as a customer would run one: it checks each signature
with the standardwebhooks library and remembers what arrived."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass
class Arrival:
    message_id: str
    event: str
    payload: dict[str, Any]
    answered: int


@dataclass
class Receiver:
    url: str
    secret: str = ""
    arrivals: list[Arrival] = field(default_factory=list)
    refused_signatures: int = 0
    # Status codes to answer, in turn, before answering 204 to everything.
    answers: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def events(self) -> list[str]:
        """Each event once per webhook-id, in order of first arrival, counting only accepted ones."""
        seen: dict[str, str] = {}
        for arrival in self.arrivals:
            if arrival.answered < 300:
                seen.setdefault(arrival.message_id, arrival.event)
        return list(seen.values())

    def handle(self, body: bytes, headers: dict[str, str]) -> int:
        try:
            payload = Webhook(self.secret).verify(body, headers)
        except WebhookVerificationError:
            with self.lock:
                self.refused_signatures += 1
            return 401
        with self.lock:
            status = self.answers.pop(0) if self.answers else 204
            self.arrivals.append(Arrival(headers["webhook-id"], payload["type"], payload, status))
        return status

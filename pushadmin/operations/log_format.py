"""`LOG_FORMAT=json`: one JSON object per line, for a log pipeline.

Only the record's own message and the ids of `log_context` go out: never the record's
arguments on their own, nor a request's headers or body. Secrets are kept out of messages
where they are made (the mPaaS client holds its secret in a wrapper that prints as ***).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from pushadmin.operations.log_context import FIELDS


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update((name, value) for name in FIELDS if (value := getattr(record, name, None)) is not None)
        if record.exc_info and record.exc_info[0] is not None:
            line["exception_type"] = record.exc_info[0].__name__
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        # ensure_ascii keeps the line one line whatever the message holds.
        return json.dumps(line, ensure_ascii=True, default=str)

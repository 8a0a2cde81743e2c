"""Reasons written once in English and read later in the reader's language.

A campaign's pause reason, a webhook endpoint's disabled reason or a delivery's error is stored
as English text (the API and the audit trail hand it on as it is). Each such sentence is a
message of the catalogue with named placeholders: `written` fills it in English, and `readable`
recognises a stored sentence by its message, translates it and fills in the same values (the
explanation in one, an mPaaS code's meaning, translated too). Text recognised by no
message, such as a reason written before its message existed, is shown as it was stored.
"""

from __future__ import annotations

import re
from functools import cache

from django.utils.translation import gettext, gettext_noop

PLACEHOLDER = re.compile(r"%\((\w+)\)s")
AFTER_FULL_WIDTH_STOP = re.compile("(?<=[\u3002\uff1b\uff1a\uff01\uff1f]) ")

# Campaigns that pause themselves.
QUIET_HOURS = gettext_noop("Quiet hours of the workspace (%(start)s to %(end)s %(zone)s).")
QUIET_HOURS_UNTIL = gettext_noop(
    "Quiet hours of the workspace (%(start)s to %(end)s %(zone)s); it resumes by itself at %(resume)s (%(zone)s)."
)
SETTINGS_REFUSED = gettext_noop("mPaaS refused the credentials or settings (%(code)s): %(why)s")
SEE_THE_CALLS = gettext_noop("see the API calls in the history.")
BATCH_GAVE_UP = gettext_noop("Batch %(seq)s failed %(attempts)s times; last error %(code)s: %(why)s")
FAILED_IN_A_ROW = gettext_noop("%(limit)s calls in a row failed; last error %(code)s: %(why)s")
HOST_NOT_ALLOWED = gettext_noop(
    "The call to mPaaS was not made (%(why)s): the workspace's endpoint is not an mPaaS gateway "
    "this installation allows; an admin can correct it under Settings."
)
NOT_PREPARED = gettext_noop("The call to mPaaS could not be prepared (%(why)s); see the worker log.")
PAUSED_BY = gettext_noop("Paused by %(name)s.")

# What CancelPushScheduler did with a campaign's tasks on mPaaS: one or more of these, in this order.
CANCELLED_ONE = gettext_noop("mPaaS cancelled 1 scheduled task.")
CANCELLED_MANY = gettext_noop("mPaaS cancelled %(count)s scheduled tasks.")
REFUSED_ONE = gettext_noop("mPaaS refused to cancel 1 scheduled task: %(tasks)s; their messages may have been sent.")
REFUSED_MANY = gettext_noop(
    "mPaaS refused to cancel %(count)s scheduled tasks: %(tasks)s; their messages may have been sent."
)
CANCEL_FAILED_ONE = gettext_noop("CancelPushScheduler failed for 1 scheduled task: %(why)s")
CANCEL_FAILED_MANY = gettext_noop("CancelPushScheduler failed for %(count)s scheduled tasks: %(why)s")

# Webhook endpoints and their deliveries.
ENDPOINT_DISABLED_AFTER = gettext_noop("Disabled after %(limit)s failed deliveries in a row.")
ENDPOINT_IS_DISABLED = gettext_noop("The endpoint is disabled.")
WEBHOOK_URL_INVALID = gettext_noop("The webhook URL is not a valid address.")
WEBHOOK_URL_INCOMPLETE = gettext_noop("The webhook URL must be a full https:// address without a user name.")
WEBHOOK_URL_NOT_HTTPS = gettext_noop("The webhook URL must use https://.")
HOST_LOOPBACK = gettext_noop("Not allowed host: %(host)s is a loopback address.")
HOST_PRIVATE = gettext_noop("Not allowed host: %(host)s is a private address.")
HOST_RESOLVES_PRIVATE = gettext_noop("Not allowed host: %(host)s resolves to a private address.")
HOST_UNRESOLVED = gettext_noop("The webhook host %(host)s could not be resolved.")

MESSAGES = (
    QUIET_HOURS_UNTIL,
    QUIET_HOURS,
    SETTINGS_REFUSED,
    SEE_THE_CALLS,
    BATCH_GAVE_UP,
    FAILED_IN_A_ROW,
    HOST_NOT_ALLOWED,
    NOT_PREPARED,
    PAUSED_BY,
    CANCELLED_ONE,
    CANCELLED_MANY,
    REFUSED_ONE,
    REFUSED_MANY,
    CANCEL_FAILED_ONE,
    CANCEL_FAILED_MANY,
    ENDPOINT_DISABLED_AFTER,
    ENDPOINT_IS_DISABLED,
    WEBHOOK_URL_INVALID,
    WEBHOOK_URL_INCOMPLETE,
    WEBHOOK_URL_NOT_HTTPS,
    HOST_LOOPBACK,
    HOST_PRIVATE,
    HOST_RESOLVES_PRIVATE,
    HOST_UNRESOLVED,
)


def written(message: str, **values: object) -> str:
    """`message` filled in as it is stored: in English, whatever language is active."""
    return message % {name: str(value) for name, value in values.items()}


@cache
def _pattern(message: str) -> re.Pattern[str]:
    parts, seen, at = [], set(), 0
    for placeholder in PLACEHOLDER.finditer(message):
        parts.append(re.escape(message[at : placeholder.start()]))
        name = placeholder.group(1)
        parts.append(f"(?P={name})" if name in seen else f"(?P<{name}>.*?)")
        seen.add(name)
        at = placeholder.end()
    parts.append(re.escape(message[at:]))
    return re.compile("".join(parts), re.DOTALL)


def _translated(message: str, found: re.Match[str]) -> str:
    values = found.groupdict()
    if "why" in values:
        values["why"] = readable(values["why"])
    return gettext(message) % values if values else gettext(message)


def _sentences(text: str) -> list[str] | None:
    """`text` as a run of recorded sentences joined by spaces, each translated; None when it is not one.
    A message ending in a value can only be the last sentence: its value runs to the end."""
    for message in MESSAGES:
        if message.endswith(")s"):
            found = _pattern(message).fullmatch(text)
            if found:
                return [_translated(message, found)]
            continue
        found = _pattern(message).match(text)
        if not found:
            continue
        rest = text[found.end() :]
        if not rest:
            return [_translated(message, found)]
        if rest.startswith(" "):
            others = _sentences(rest[1:])
            if others is not None:
                return [_translated(message, found), *others]
    return None


def readable(text: str) -> str:
    """A stored reason in the active language; one no message recognises as it was stored (or as the
    catalogue translates it, when it is itself a message, such as an mPaaS code's meaning)."""
    if not text:
        return text
    for message in MESSAGES:
        found = _pattern(message).fullmatch(text)
        if found:
            return _translated(message, found)
    sentences = _sentences(text)
    if sentences is not None:
        # Sentences are set apart by a space, but not after a full-width stop (Chinese puts none there).
        return AFTER_FULL_WIDTH_STOP.sub("", " ".join(sentences))
    return gettext(text)

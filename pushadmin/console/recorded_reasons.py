"""Reasons written once in English and read later in the reader's language.

A campaign's pause reason, a webhook endpoint's disabled reason or a delivery's error is stored
as English text (the API and the audit trail hand it on as it is). Each such sentence is a
message of the catalogue with named placeholders: `written` fills it in English, and `readable`
recognises a stored sentence by its message, translates it and fills in the same values (the
explanation in one, an mPaaS code's meaning, translated too). Text recognised by no
message, such as a reason written before its message existed, is shown as it was stored.

On a page (`readable_html`, the `|reason` filter) the values that are codes rather than words, an
mPaaS result code, an exception's class name or a parser's own message, are set apart as code.
"""

from __future__ import annotations

import re
from functools import cache

from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, gettext_noop

PLACEHOLDER = re.compile(r"%\((\w+)\)s")
# Values shown as code on a page: by their placeholder's name, or because they are a class name
# such as ConnectError (a reason names the class of a failure, never its text).
CODE_VALUES = ("code", "parser_message", "csv_error")
CLASS_NAME = re.compile(r"[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*)+")
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
WEBHOOK_NOT_REACHED = gettext_noop("The endpoint could not be reached (%(code)s).")
HOST_PRIVATE = gettext_noop("Not allowed host: %(host)s is a private address.")
HOST_RESOLVES_PRIVATE = gettext_noop("Not allowed host: %(host)s resolves to a private address.")
HOST_UNRESOLVED = gettext_noop("The webhook host %(host)s could not be resolved.")

# A person's decision about messages whose outcome is unknown.
LEFT_AS_UNKNOWN = gettext_noop("Left as unknown by %(name)s: %(reason)s")

# Scheduled campaigns that cannot be registered on mPaaS (yet).
LOOP_TOO_BIG = gettext_noop(
    "A loop needs %(needed)s scheduled tasks on mPaaS, which holds at most %(limit)s unexecuted ones; "
    "split the audience into campaigns of at most %(targets)s targets."
)
LOOP_WAITING_FOR_ROOM = gettext_noop(
    "A loop needs %(needed)s scheduled tasks on mPaaS but only %(free)s of %(limit)s are free now; pushadmin "
    "registers it as soon as other schedules have run (it checks every few seconds), or cancel it."
)

# A campaign's rows could not be built.
BUILD_STOPPED = gettext_noop("an internal error stopped it (%(code)s).")

# Audience files that cannot be imported at all (the import's error)...
FILE_EMPTY = gettext_noop("The file is empty.")
TOO_MANY_COLUMNS = gettext_noop(
    "Line 1 names %(count)s columns; an audience may have at most %(limit)s "
    "(target, extendedParams and one per placeholder). Remove the columns no template uses."
)
NO_TARGET_COLUMN = gettext_noop("Line 1 must name the columns and one must be 'target'; it names %(names)s.")
COLUMN_WITHOUT_NAME = gettext_noop("Line 1: column %(column)s has no name.")
COLUMN_TWICE = gettext_noop("Line 1 names a column twice: %(names)s.")
LINE_UNREADABLE = gettext_noop("Line %(line)s cannot be read: %(csv_error)s.")
QUOTE_NEVER_CLOSED_ONE = gettext_noop(
    "Line %(line)s: a quoted value opens on this line and is never closed, so line %(line)s would be one value; "
    'close the quote or remove the stray ".'
)
QUOTE_NEVER_CLOSED = gettext_noop(
    "Line %(start)s: a quoted value opens on this line and is never closed, so lines %(start)s to %(end)s "
    'would be one value; close the quote or remove the stray ".'
)
HEADER_RUNS_ACROSS = gettext_noop(
    "Line 1: a quoted value opens on this line and closes only on line %(end)s, so lines 1 to %(end)s were "
    'not imported; a value may not run across lines (a stray "?).'
)
LINE_TOO_LONG = gettext_noop(
    "Line %(line)s is longer than %(mb)s MB, more than any row of an audience needs; "
    "is the file a CSV with one row per line?"
)
NUL_BYTE = gettext_noop(
    "Line %(line)s contains a NUL byte, which a text file never has; "
    "save the file as CSV UTF-8 (not UTF-16 or a spreadsheet format) and upload it again."
)
NOT_UTF8_NOR_GBK = gettext_noop(
    "Line %(line)s is not valid UTF-8, nor GBK / GB18030; "
    "save the file as UTF-8 (or GBK / GB18030) and upload it again."
)
NOT_VALID_ENCODING = gettext_noop(
    "Line %(line)s is not valid %(encoding)s; save the file as UTF-8 (or GBK / GB18030) and upload it again."
)
TOO_MANY_ROWS = gettext_noop(
    "Line %(line)s: the file has more than %(limit)s rows, the most one audience may hold "
    "(PUSHADMIN_MAX_AUDIENCE_ROWS); split it into several audiences."
)
IMPORT_INTERNAL_ERROR = gettext_noop("The import stopped on an internal error; the audience was not changed.")
IMPORT_GAVE_UP = gettext_noop(
    "The import was interrupted %(tries)s times: the worker running it stopped each time (killed, out of memory "
    "or restarted). The audience was not changed. Try again; if it stops again, split the file into smaller "
    "ones or ask an administrator to check the workers."
)
# ...and rows of an audience file left out (a rejected row's reason).
ROW_TOO_MANY_VALUES = gettext_noop("unknown column: %(values)s values but line 1 names %(columns)s columns")
ROW_EMPTY_TARGET = gettext_noop("empty target")
ROW_TARGET_TOO_LONG = gettext_noop("target longer than %(limit)s characters")
ROW_VALUE_TOO_LONG = gettext_noop("value for #%(name)s# longer than %(limit)s characters")
ROW_BAD_JSON = gettext_noop("bad JSON in extendedParams: %(parser_message)s at character %(at)s")
ROW_RUNS_ACROSS = gettext_noop(
    "a quoted value opens on this line and closes only on line %(end)s, so lines %(start)s to %(end)s were "
    'not imported; a value may not run across lines (a stray "?)'
)
ROW_DUPLICATE = gettext_noop("duplicate target (first on line %(line)s)")
EXTENDED_NOT_OBJECT = gettext_noop('extendedParams must be a JSON object such as {"key": "value"}.')
EXTENDED_NOT_TEXT = gettext_noop("extendedParams values must be text; not text for: %(keys)s.")
EXTENDED_TOO_MANY_KEYS = gettext_noop("extendedParams has %(count)s keys; at most %(limit)s are allowed.")
EXTENDED_RESERVED = gettext_noop("extendedParams uses keys reserved by the push service: %(keys)s.")

# Tried in this order: a message that another one's placeholder could swallow comes before it.
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
    WEBHOOK_NOT_REACHED,
    LEFT_AS_UNKNOWN,
    LOOP_TOO_BIG,
    LOOP_WAITING_FOR_ROOM,
    BUILD_STOPPED,
    FILE_EMPTY,
    TOO_MANY_COLUMNS,
    NO_TARGET_COLUMN,
    COLUMN_WITHOUT_NAME,
    COLUMN_TWICE,
    LINE_UNREADABLE,
    QUOTE_NEVER_CLOSED_ONE,
    QUOTE_NEVER_CLOSED,
    HEADER_RUNS_ACROSS,
    LINE_TOO_LONG,
    NUL_BYTE,
    NOT_UTF8_NOR_GBK,
    NOT_VALID_ENCODING,
    TOO_MANY_ROWS,
    IMPORT_INTERNAL_ERROR,
    IMPORT_GAVE_UP,
    ROW_TOO_MANY_VALUES,
    ROW_EMPTY_TARGET,
    ROW_TARGET_TOO_LONG,
    ROW_VALUE_TOO_LONG,
    ROW_BAD_JSON,
    ROW_RUNS_ACROSS,
    ROW_DUPLICATE,
    EXTENDED_NOT_OBJECT,
    EXTENDED_NOT_TEXT,
    EXTENDED_TOO_MANY_KEYS,
    EXTENDED_RESERVED,
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


def _value(name: str, value: str, html: bool) -> str:
    if name == "why":
        return _readable(value, html)
    if not html:
        return value
    if name in CODE_VALUES or CLASS_NAME.fullmatch(value):
        return format_html("<code>{}</code>", value)
    return conditional_escape(value)


def _translated(message: str, found: re.Match[str], html: bool) -> str:
    values = {name: _value(name, value, html) for name, value in found.groupdict().items()}
    text = conditional_escape(gettext(message)) if html else gettext(message)
    return text % values if values else text


def _sentences(text: str, html: bool) -> list[str] | None:
    """`text` as a run of recorded sentences joined by spaces, each translated; None when it is not one.
    A message ending in a value can only be the last sentence: its value runs to the end."""
    for message in MESSAGES:
        if message.endswith(")s"):
            found = _pattern(message).fullmatch(text)
            if found:
                return [_translated(message, found, html)]
            continue
        found = _pattern(message).match(text)
        if not found:
            continue
        rest = text[found.end() :]
        if not rest:
            return [_translated(message, found, html)]
        if rest.startswith(" "):
            others = _sentences(rest[1:], html)
            if others is not None:
                return [_translated(message, found, html), *others]
    return None


def _readable(text: str, html: bool) -> str:
    if not text:
        return text
    # Several recognised sentences first: a value at the end of the first could otherwise swallow the rest.
    sentences = _sentences(text, html)
    if sentences is None or len(sentences) == 1:
        for message in MESSAGES:
            found = _pattern(message).fullmatch(text)
            if found:
                return _translated(message, found, html)
    if sentences is not None:
        # Sentences are set apart by a space, but not after a full-width stop (Chinese puts none there).
        return AFTER_FULL_WIDTH_STOP.sub("", " ".join(sentences))
    if html:
        return format_html("<code>{}</code>", text) if CLASS_NAME.fullmatch(text) else conditional_escape(gettext(text))
    return gettext(text)


def readable(text: str) -> str:
    """A stored reason in the active language; one no message recognises as it was stored (or as the
    catalogue translates it, when it is itself a message, such as an mPaaS code's meaning)."""
    return _readable(text, html=False)


def readable_html(text: str) -> SafeString:
    """`readable(text)` for a page: escaped, with the values that are codes marked up as code."""
    return mark_safe(_readable(text, html=True))  # noqa: S308 - every value and message is escaped above

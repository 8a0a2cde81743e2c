"""What one call's result means for the sender: accepted, refused for good, safe to retry, or unknown.

The rules are the outcome table of the reliability notes. The API's own code,
message and RequestId are always carried so operators can quote them to Alibaba.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

SUCCESS_RESULT_CODES = frozenset({"OK", "100"})
# Business codes that mean "not processed, come back later"; everything else refused in a
# 200 reply is final, because the service did look at the request.
RETRYABLE_RESULT_CODES = frozenset({"8011"})
RETRYABLE_HTTP_STATUSES = frozenset({500, 503})
AMBIGUOUS_HTTP_STATUSES = frozenset({502, 504})
NONCE_REUSED_CODE = "SignatureNonceUsed"
THROTTLING_PREFIX = "Throttling"

# Codes after which every further call with the same settings fails the same way, so the
# sender blocks the campaign and alerts instead of burning through the audience.
CONFIG_ERROR_CODES = frozenset(
    {
        "SignatureDoesNotMatch",
        "IncompleteSignature",
        "InvalidSignatureMethod",
        "Forbidden.RAM",
        "InvalidApi.NotFound",
        "-1",  # SIGNATURE_MISMATCH
        "3007",  # APPID_WRONG
        "3032",  # REST_API_SWITCH_NOT_OPEN
        "3033",  # UNKNOWN_REST_SIGN_TYPE
        "8012",  # INVALID_INSTANCE_ID
        "8013",  # INVALID_TENANT_ID
        "8014",  # ACCOUNT_NO_PERMISSION
    }
)
CONFIG_ERROR_PREFIXES = ("InvalidTimeStamp.", "InvalidAccessKeyId.")

# Codes one target's own content can cause: mPaaS then refuses the whole call, and applies
# none of it, so the sender may split the call to find the culprit rows (same MsgKeys), and
# resending such a row unchanged would only be refused again.
ROW_CAUSED_CODES = frozenset(
    {
        "3021",  # TOKEN_OR_USERID_NULL
        "3023",  # TEMPLATEKV_NOT_ENOUGH
        "3024",  # PAYLOAD_NOT_ENOUGH (title or content empty once filled)
        "3035",  # EXTEND_PARAM_TO_MUCH
        "3043",  # SINGLE_PUSH_CONTENT_TOO_LONG
        "3044",  # INVALID_EXTEND_PARAM
    }
)


def is_row_caused(outcome: object) -> bool:
    """A definite refusal of a whole call that one of its targets may have caused."""
    return isinstance(outcome, Rejected) and not outcome.config_error and outcome.code in ROW_CAUSED_CODES


def gettext_noop(text: str) -> str:
    """Marks a meaning for the console's Chinese catalogue (`make messages` finds it by this name); the text
    stays English here, and the console translates it when it shows it (pushadmin.console.code_meanings)."""
    return text


# Plain words for the codes of the wire reference, sections 3.2 and 3.3.
MEANINGS: dict[str, str] = {
    "100": gettext_noop("Success."),
    "-1": gettext_noop("The push service could not verify the request signature."),
    "3001": gettext_noop("A device delivery token is missing."),
    "3002": gettext_noop("A required file is missing."),
    "3003": gettext_noop("AppId and WorkspaceId are both required."),
    "3007": gettext_noop("The AppId is wrong."),
    "3008": gettext_noop("The operating system type is not supported."),
    "3009": gettext_noop("The DeliveryType is not supported by this API."),
    "3012": gettext_noop("A user id is required."),
    "3019": gettext_noop("The task name is empty."),
    "3020": gettext_noop("ExpiredSeconds is not valid."),
    "3021": gettext_noop("A target (device token or user id) is empty."),
    "3022": gettext_noop("The template does not exist in this workspace."),
    "3023": gettext_noop("The template values do not fill every placeholder of the template."),
    "3024": gettext_noop("The message title or content is empty."),
    "3025": gettext_noop("A template is required."),
    "3026": gettext_noop("ExpiredSeconds is longer than allowed."),
    "3028": gettext_noop("A parameter is not valid."),
    "3029": gettext_noop("Too many targets in one call."),
    "3030": gettext_noop("Broadcast is only possible by device."),
    "3031": gettext_noop("The request must be UTF-8."),
    "3032": gettext_noop("The REST API switch is not turned on for this app in the mPaaS console."),
    "3033": gettext_noop("The REST signature type is unknown."),
    "3035": gettext_noop("Too many extension parameters (more than 20)."),
    "3036": gettext_noop("A template with this name already exists."),
    "3037": gettext_noop("The template name is empty."),
    "3038": gettext_noop("The template name is not valid."),
    "3039": gettext_noop("The template content is not valid."),
    "3040": gettext_noop("The template title is not valid."),
    "3041": gettext_noop("The template description is not valid."),
    "3042": gettext_noop("The template URI is not valid."),
    "3043": gettext_noop("The message content is too long."),
    "3044": gettext_noop("An extension parameter is not valid."),
    "8011": gettext_noop("The push service is rate limiting this app; try again later."),
    "8012": gettext_noop("AppId and WorkspaceId do not name an mPaaS instance; check the workspace settings."),
    "8013": gettext_noop("The TenantId is not valid."),
    "8014": gettext_noop("This account has no permission for the push service."),
    "9000": gettext_noop("The push service had an internal error."),
    "SignatureDoesNotMatch": gettext_noop("The signature did not verify: the AccessKey secret is probably wrong."),
    "IncompleteSignature": gettext_noop("The request signature is malformed."),
    "InvalidAccessKeyId.NotFound": gettext_noop("The AccessKey id does not exist."),
    "InvalidAccessKeyId.Inactive": gettext_noop("The AccessKey is disabled."),
    "InvalidTimeStamp.Format": gettext_noop("The request time was not in the expected format."),
    "InvalidTimeStamp.Expired": gettext_noop("This server's clock is more than 15 minutes off."),
    "SignatureNonceUsed": gettext_noop("A request nonce was reused; the client must use a fresh one."),
    "InvalidSignatureMethod": gettext_noop("The signature method is not supported."),
    "MissingParameter": gettext_noop("A required parameter is missing."),
    "InvalidParameter.Format": gettext_noop("The response format parameter is not valid."),
    "InvalidApi.NotFound": gettext_noop("The action or API version is not known at this endpoint."),
    "Throttling": gettext_noop("Too many requests; slow down and retry."),
    "Throttling.User": gettext_noop("Too many requests for this account; slow down and retry."),
    "Throttling.Api": gettext_noop("Too many requests for this API; slow down and retry."),
    "Forbidden.RAM": gettext_noop("The RAM user lacks permission for this action."),
    "InternalError": gettext_noop("The gateway had an internal error."),
    "ServiceUnavailable": gettext_noop("The service is temporarily unavailable."),
}


def meaning_of(code: str | None) -> str:
    if code is None:
        return ""
    if code in MEANINGS:
        return MEANINGS[code]
    if code.startswith("Missing"):
        return f"The required parameter {code.removeprefix('Missing')} is missing."
    if code.startswith(THROTTLING_PREFIX):
        return MEANINGS["Throttling"]
    return ""


def is_config_error(code: str | None) -> bool:
    return code is not None and (code in CONFIG_ERROR_CODES or code.startswith(CONFIG_ERROR_PREFIXES))


@dataclass(frozen=True, kw_only=True)
class Accepted:
    request_id: str | None
    result_code: str
    push_result_data: str | None = None
    result_message: str | None = None
    http_status: int = 200
    body: Mapping[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True, kw_only=True)
class _Failure:
    code: str | None
    message: str | None
    http_status: int | None
    request_id: str | None
    meaning: str = ""


@dataclass(frozen=True, kw_only=True)
class Rejected(_Failure):
    """Refused for good; ``config_error`` means every call with these settings will be too."""

    config_error: bool = False


@dataclass(frozen=True, kw_only=True)
class Retryable(_Failure):
    """Not applied; send again (same MsgKeys, fresh nonce) after ``retry_after`` seconds if set."""

    reason: str
    retry_after: float | None = None
    client_bug: bool = False


@dataclass(frozen=True, kw_only=True)
class Ambiguous(_Failure):
    """The request left this host and may or may not have been applied."""

    reason: str


Outcome = Accepted | Rejected | Retryable | Ambiguous

# Retryable reasons
THROTTLED = "throttled"
SERVER_ERROR = "server_error"
NOT_CONNECTED = "not_connected"
NOT_SENT = "not_sent"
NONCE_REUSED = "nonce_reused"
# Ambiguous reasons
READ_TIMEOUT = "read_timeout"
CONNECTION_LOST = "connection_lost"
GATEWAY_ERROR = "gateway_error"
UNREADABLE_RESPONSE = "unreadable_response"

# Classes of network failure: the whole message of an outcome that got no HTTP reply.
CONNECTION_REFUSED = "connection refused"
TIMED_OUT = "timed out"
TLS_ERROR = "TLS error"
HOST_NOT_FOUND = "host not found"
COULD_NOT_CONNECT = "could not connect"
CONNECTION_FAILED = "connection failed"


def in_plain_words(outcome: Outcome) -> str:
    """What a person is told about a failed call: our explanation of its code, and the class of
    failure when no reply came. Never the remote's own text, which an endpoint controls."""
    if isinstance(outcome, Accepted):
        return ""
    words = outcome.meaning or meaning_of(outcome.code)
    if outcome.http_status is None and outcome.message:
        # No HTTP reply: the message is one of the failure classes above, set by the client.
        return f"{words.rstrip('.')} ({outcome.message})." if words else f"{outcome.message}."
    return words


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds from now: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


def _load_json_object(body: bytes) -> dict[str, Any] | None:
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def classify_response(status: int, headers: Mapping[str, str], body: bytes, *, template_api: bool = False) -> Outcome:
    """Outcome of an HTTP response (any status) to a signed request.

    ``headers`` must look up case-insensitively (``httpx.Headers`` does) for Retry-After.
    ``template_api``: the reply of a template action, whose 200 body is ``{Success, Code,
    Msg, Data}`` rather than the push actions' ``ResultCode``; gateway errors are alike.
    """
    data = _load_json_object(body) or {}
    request_id = _text(data.get("RequestId"))
    code = _text(data.get("Code"))
    message = _text(data.get("Message"))
    facts: dict[str, Any] = {
        "code": code,
        "message": message,
        "http_status": status,
        "request_id": request_id,
    }
    retry_after = parse_retry_after(headers.get("retry-after"))

    if status == 429 or (code is not None and code.startswith(THROTTLING_PREFIX)):
        return Retryable(**facts, reason=THROTTLED, retry_after=retry_after, meaning=meaning_of(code or "Throttling"))
    if code == NONCE_REUSED_CODE:
        return Retryable(**facts, reason=NONCE_REUSED, client_bug=True, meaning=meaning_of(code))
    if status in RETRYABLE_HTTP_STATUSES:
        return Retryable(**facts, reason=SERVER_ERROR, retry_after=retry_after, meaning=meaning_of(code))
    if status >= 500:
        # 502/504 and unknown 5xx: the backend may have finished after the gateway gave up.
        return Ambiguous(**facts, reason=GATEWAY_ERROR, meaning=meaning_of(code))
    if not 200 <= status < 300:
        code = code or f"HTTP{status}"
        # A redirect means the endpoint URL is wrong, which no retry fixes.
        config = is_config_error(code) or 300 <= status < 400
        return Rejected(**{**facts, "code": code}, config_error=config, meaning=meaning_of(code))
    if template_api:
        return _classify_template_business(data, facts, body)
    return _classify_business(data, facts, body)


def _classify_template_business(data: dict[str, Any], facts: dict[str, Any], body: bytes) -> Outcome:
    code = facts["code"]
    if not data or code is None:
        return Ambiguous(
            **{**facts, "message": body[:200].decode("utf-8", "replace") if not data else facts["message"]},
            reason=UNREADABLE_RESPONSE,
            meaning="The reply had no Code, so whether it was applied is unknown.",
        )
    business = {**facts, "message": _text(data.get("Msg")) or facts["message"]}
    if code in RETRYABLE_RESULT_CODES:
        return Retryable(**business, reason=THROTTLED, meaning=meaning_of(code))
    if code not in SUCCESS_RESULT_CODES:
        return Rejected(**business, config_error=is_config_error(code), meaning=meaning_of(code))
    if data.get("Success") is False:
        return Rejected(**business, meaning="The push service refused the call (Success is false).")
    return Accepted(
        request_id=facts["request_id"],
        result_code=code,
        result_message=business["message"],
        http_status=facts["http_status"],
        body=data,
    )


def _classify_business(data: dict[str, Any], facts: dict[str, Any], body: bytes) -> Outcome:
    if not data:
        return Ambiguous(
            **{**facts, "message": body[:200].decode("utf-8", "replace")},
            reason=UNREADABLE_RESPONSE,
            meaning="The reply was not the JSON the push service sends.",
        )
    result_code = _text(data.get("ResultCode"))
    if result_code is None:
        if facts["code"] is not None:  # a gateway error object with status 200
            code = facts["code"]
            return Rejected(**facts, config_error=is_config_error(code), meaning=meaning_of(code))
        return Ambiguous(
            **facts,
            reason=UNREADABLE_RESPONSE,
            meaning="The reply had no ResultCode, so whether it was applied is unknown.",
        )
    result_message = _text(data.get("ResultMessage"))
    push_result = data.get("PushResult")
    push_result = push_result if isinstance(push_result, dict) else {}
    business = {
        **facts,
        "code": result_code,
        "message": result_message or _text(push_result.get("ResultMsg")),
    }
    if result_code in RETRYABLE_RESULT_CODES:
        return Retryable(**business, reason=THROTTLED, meaning=meaning_of(result_code))
    if result_code not in SUCCESS_RESULT_CODES:
        return Rejected(**business, config_error=is_config_error(result_code), meaning=meaning_of(result_code))
    if push_result.get("Success") is False:
        return Rejected(
            **{**business, "message": _text(push_result.get("ResultMsg")) or result_message},
            meaning="The push service refused the push (PushResult.Success is false).",
        )
    return Accepted(
        request_id=facts["request_id"],
        result_code=result_code,
        push_result_data=_text(push_result.get("Data")),
        result_message=result_message,
        http_status=facts["http_status"],
        body=data,
    )

"""Error vocabulary of the gateway (§3.3) and of mPaaS business results (§3.2)."""

from __future__ import annotations

from dataclasses import dataclass

# Gateway (POP) errors: code -> (HTTP status, message). Statuses follow the
# reference's §3.3 table; SDKs classify 4xx/5xx, so the numbers matter.
GATEWAY_ERRORS: dict[str, tuple[int, str]] = {
    "SignatureDoesNotMatch": (
        400,
        "Specified signature is not matched with our calculation. server string to sign is:",
    ),
    "IncompleteSignature": (
        400,
        "The request signature does not conform to Aliyun standards.",
    ),
    "MissingSignature": (400, "Signature is mandatory for this action."),
    "InvalidAccessKeyId.NotFound": (404, "Specified access key is not found."),
    "InvalidTimeStamp.Format": (
        400,
        "Specified time stamp or date value is not well formatted.",
    ),
    "InvalidTimeStamp.Expired": (400, "Specified time stamp or date value is expired."),
    "MissingTimestamp": (400, "Timestamp is mandatory for this action."),
    "SignatureNonceUsed": (400, "Specified signature nonce was used already."),
    "MissingSignatureNonce": (400, "SignatureNonce is mandatory for this action."),
    "InvalidSignatureMethod": (400, "Specified signature method is not valid."),
    "MissingAction": (400, "Action is mandatory for this action."),
    "MissingVersion": (400, "Version is mandatory for this action."),
    "InvalidParameter": (400, "The request body is not a well-formed form."),
    "InvalidApi.NotFound": (
        404,
        "Specified api is not found, please check your url and method.",
    ),
    "Throttling.User": (400, "Request was denied due to user flow control."),
    "ServiceUnavailable": (
        503,
        "The request has failed due to a temporary failure of the server.",
    ),
}

# mPaaS result codes used by the sandbox (string form, as ResultCode carries them).
SUCCESS = "100"
APPID_WORKSPACEID_MISSING = "3003"
DELIVERY_TYPE_NOT_SUPPORTED = "3009"
TASKNAME_NULL = "3019"
EXPIREDSECONDS_WRONG = "3020"
TOKEN_OR_USERID_NULL = "3021"
TEMPLATE_NOT_EXIST = "3022"
TEMPLATEKV_NOT_ENOUGH = "3023"
PAYLOAD_NOT_ENOUGH = "3024"
NEED_TEMPLATE = "3025"
EXPIREDTIME_TOO_LONG = "3026"
INVALID_PARAM = "3028"
SINGLE_PUSH_TARGET_TOO_MUCH = "3029"
REQUEST_SHOULD_BE_UTF8 = "3031"
EXTEND_PARAM_TO_MUCH = "3035"
TEMPLATE_ALREADY_EXIST = "3036"
TEMPLATE_NAME_NULL = "3037"
TEMPLATE_NAME_INVALID = "3038"
TEMPLATE_CONTENT_INVALID = "3039"
TEMPLATE_TITLE_INVALID = "3040"
TEMPLATE_DESC_INFO_INVALID = "3041"
TEMPLATE_URI_INVALID = "3042"
SINGLE_PUSH_CONTENT_TOO_LONG = "3043"
INVALID_EXTEND_PARAM = "3044"
INVALID_INSTANCE_ID = "8012"

RESULT_NAMES: dict[str, str] = {
    "3003": "NEED_APPID_WORKSPACEID",
    "3009": "DELIVERY_TYPE_NOT_SUPPORTED",
    "3019": "TASKNAME_NULL",
    "3020": "EXPIREDSECONDS_WRONG",
    "3021": "TOKEN_OR_USERID_NULL",
    "3022": "TEMPLATE_NOT_EXIST",
    "3023": "TEMPLATEKV_NOT_ENOUGH",
    "3024": "PAYLOAD_NOT_ENOUGH",
    "3025": "NEED_TEMPLATE",
    "3026": "EXPIREDTIME_TOO_LONG",
    "3028": "INVALID_PARAM",
    "3029": "SINGLE_PUSH_TARGET_TOO_MUCH",
    "3031": "REQUEST_SHOULD_BE_UTF8",
    "3035": "EXTEND_PARAM_TO_MUCH",
    "3036": "TEMPLATE_ALREADY_EXIST",
    "3037": "TEMPLATE_NAME_NULL",
    "3038": "TEMPLATE_NAME_INVALID",
    "3039": "TEMPLATE_CONTENT_INVALID",
    "3040": "TEMPLATE_TITLE_INVALID",
    "3041": "TEMPLATE_DESC_INFO_INVALID",
    "3042": "TEMPLATE_URI_INVALID",
    "3043": "SINGLE_PUSH_CONTENT_TOO_LONG",
    "3044": "INVALID_EXTEND_PARAM",
    "8012": "INVALID_INSTANCE_ID",
}


class GatewayError(Exception):
    """Refusal by the API gateway, before mPaaS itself sees the call."""

    def __init__(self, code: str, detail: str = "") -> None:
        status, message = GATEWAY_ERRORS[code]
        super().__init__(code)
        self.code = code
        self.status = status
        # SignatureDoesNotMatch appends the string-to-sign right after the colon:
        # the legacy SDK splits the message on ":" to compare it with its own.
        if detail:
            message = message + detail if message.endswith(":") else f"{message} {detail}"
        self.message = message


@dataclass(slots=True)
class BusinessError(Exception):
    """An mPaaS refusal: HTTP 200, numeric ResultCode, PushResult.Success=false."""

    code: str
    detail: str = ""

    @property
    def message(self) -> str:
        name = RESULT_NAMES.get(self.code, "ERROR")
        return f"{name}: {self.detail}" if self.detail else name

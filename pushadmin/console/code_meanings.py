"""The meanings of mPaaS result codes in the reader's language.

`pushadmin.mpaas` knows nothing of Django, so its plain-English meanings (`errors.MEANINGS`) are
marked for translation here; tests/console/test_translations.py keeps the two lists equal. Messages
keep the English meaning they were recorded with, and pages translate it when they show it.
"""

from __future__ import annotations

from django.utils.translation import gettext, gettext_noop

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


def in_language(text: str) -> str:
    """A recorded meaning (or any text) in the active language; text without a translation as it is."""
    return gettext(text) if text else text

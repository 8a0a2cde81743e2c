"""Alibaba Cloud POP request signatures: RPC V1 (HMAC-SHA1) and V3 (ACS3-HMAC-SHA256).

Pure functions over plain strings so that the client (which signs) and the local
sandbox (which verifies) share one implementation, pinned from outside by the
known-answer vectors of the wire reference and by the official SDKs in the tests.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from urllib.parse import quote

V1_SIGNATURE_METHOD = "HMAC-SHA1"
V1_SIGNATURE_VERSION = "1.0"
V3_ALGORITHM = "ACS3-HMAC-SHA256"
EMPTY_BODY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

# The gateway refuses V3 requests whose signature does not cover these headers,
# so the client always signs them and the sandbox insists on them.
V3_REQUIRED_SIGNED_HEADERS: tuple[str, ...] = (
    "x-acs-action",
    "x-acs-content-sha256",
    "x-acs-date",
    "x-acs-signature-nonce",
    "x-acs-version",
)

TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def percent_encode(value: str) -> str:
    """RFC 3986 encoding as Alibaba Cloud signs it.

    ``quote`` already keeps exactly ``A-Za-z0-9-_.~`` when ``safe`` is empty-ish;
    passing ``safe="~"`` keeps Python versions that predate RFC 3986 honest.
    """
    return quote(value, safe="~", encoding="utf-8", errors="strict")


def sha256_hex(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def format_timestamp(moment: datetime) -> str:
    """UTC ``yyyy-MM-ddTHH:mm:ssZ``; the gateway rejects any other zone or precision."""
    if moment.tzinfo is None:
        raise ValueError("timestamp must be timezone-aware")
    return moment.astimezone(UTC).strftime(TIMESTAMP_FORMAT)


def parse_timestamp(value: str) -> datetime:
    """Inverse of :func:`format_timestamp`; raises ValueError on any other shape."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", value):
        raise ValueError(f"timestamp not in yyyy-MM-ddTHH:mm:ssZ form: {value!r}")
    return datetime.strptime(value, TIMESTAMP_FORMAT).replace(tzinfo=UTC)


def _sorted_pairs(params: Mapping[str, str]) -> list[tuple[str, str]]:
    # Byte order of the UTF-8 names; for str this equals code point order, so
    # "TargetMsg.10.Target" sorts before "TargetMsg.2.Target" as on the server.
    return sorted(params.items(), key=lambda item: item[0].encode("utf-8"))


def _encode_pairs(pairs: Iterable[tuple[str, str]]) -> str:
    return "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in pairs)


# --------------------------------------------------------------------------- V1


def v1_canonical_query(params: Mapping[str, str]) -> str:
    """Canonical string over query and form parameters, ``Signature`` excluded."""
    return _encode_pairs((k, v) for k, v in _sorted_pairs(params) if k != "Signature")


def v1_string_to_sign(method: str, params: Mapping[str, str]) -> str:
    return f"{method.upper()}&{percent_encode('/')}&{percent_encode(v1_canonical_query(params))}"


def v1_signature(secret: str, string_to_sign: str) -> str:
    digest = hmac.new((secret + "&").encode("utf-8"), string_to_sign.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def v1_common_params(
    *,
    access_key_id: str,
    action: str,
    version: str,
    nonce: str,
    timestamp: str,
    security_token: str | None = None,
) -> dict[str, str]:
    """The common query parameters the Tea SDK sends for V1 (``Format=json``)."""
    params = {
        "AccessKeyId": access_key_id,
        "Action": action,
        "Format": "json",
        "SignatureMethod": V1_SIGNATURE_METHOD,
        "SignatureNonce": nonce,
        "SignatureVersion": V1_SIGNATURE_VERSION,
        "Timestamp": timestamp,
        "Version": version,
    }
    if security_token:
        params["SecurityToken"] = security_token
    return params


# --------------------------------------------------------------------------- V3


def _canonical_headers(headers: Mapping[str, str], signed_headers: Sequence[str]) -> tuple[str, str]:
    lowered: dict[str, str] = {}
    for name, value in headers.items():
        lowered[name.strip().lower()] = value
    names = sorted({name.strip().lower() for name in signed_headers})
    lines = []
    for name in names:
        if name not in lowered:
            raise ValueError(f"signed header {name!r} is not present")
        lines.append(f"{name}:{lowered[name].strip()}\n")
    return "".join(lines), ";".join(names)


def v3_canonical_request(
    method: str,
    path: str,
    query: Mapping[str, str],
    headers: Mapping[str, str],
    signed_headers: Sequence[str],
    hashed_payload: str,
) -> str:
    canonical_uri = quote(path or "/", safe="/~", encoding="utf-8")
    canonical_query = _encode_pairs(_sorted_pairs(query))
    canonical_headers, signed = _canonical_headers(headers, signed_headers)
    return f"{method.upper()}\n{canonical_uri}\n{canonical_query}\n{canonical_headers}\n{signed}\n{hashed_payload}"


def v3_string_to_sign(canonical_request: str) -> str:
    return f"{V3_ALGORITHM}\n{sha256_hex(canonical_request.encode('utf-8'))}"


def v3_signature(secret: str, string_to_sign: str) -> str:
    return hmac.new(secret.encode("utf-8"), string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def v3_authorization(access_key_id: str, signed_headers: Sequence[str], signature: str) -> str:
    names = ";".join(sorted({h.strip().lower() for h in signed_headers}))
    return f"{V3_ALGORITHM} Credential={access_key_id},SignedHeaders={names},Signature={signature}"


_AUTH_RE = re.compile(
    r"ACS3-HMAC-SHA256 Credential=(?P<cred>[^,\s]+),"
    r"SignedHeaders=(?P<headers>[^,\s]+),Signature=(?P<sig>[0-9a-fA-F]+)"
)


def parse_v3_authorization(value: str) -> tuple[str, list[str], str]:
    """Split an ``Authorization`` header into (access key id, signed headers, signature)."""
    match = _AUTH_RE.fullmatch(value.strip())
    if match is None:
        raise ValueError("Authorization header is not ACS3-HMAC-SHA256 Credential=,SignedHeaders=,Signature=")
    headers = match.group("headers").split(";")
    if any(not h for h in headers):
        raise ValueError("SignedHeaders contains an empty name")
    return match.group("cred"), [h.lower() for h in headers], match.group("sig").lower()


def v3_sign_headers(
    *,
    access_key_id: str,
    secret: str,
    host: str,
    action: str,
    version: str,
    body: bytes,
    nonce: str,
    timestamp: str,
    content_type: str = "application/x-www-form-urlencoded",
    method: str = "POST",
    path: str = "/",
    query: Mapping[str, str] | None = None,
    security_token: str | None = None,
) -> dict[str, str]:
    """Every header a V3 request needs, ``Authorization`` included.

    Only host, content-type and the ``x-acs-*`` headers are signed: proxies and
    HTTP libraries may rewrite ``user-agent``/``accept``, which would break a
    signature that covered them.
    """
    payload_hash = sha256_hex(body)
    headers = {
        "host": host,
        "content-type": content_type,
        "x-acs-action": action,
        "x-acs-version": version,
        "x-acs-date": timestamp,
        "x-acs-signature-nonce": nonce,
        "x-acs-content-sha256": payload_hash,
    }
    if security_token:
        headers["x-acs-security-token"] = security_token
    signed = sorted(headers)
    canonical = v3_canonical_request(method, path, query or {}, headers, signed, payload_hash)
    signature = v3_signature(secret, v3_string_to_sign(canonical))
    headers["Authorization"] = v3_authorization(access_key_id, signed, signature)
    return headers

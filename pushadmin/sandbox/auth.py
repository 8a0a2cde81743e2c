"""Gateway authentication: V1 and V3 signature checks, clock window, nonce replay.

The algorithms come from :mod:`pushadmin.mpaas.signing`, the module the client
signs with; this file only decides *what* is fed to them and in which order
(reference §5.4): scheme, timestamp, key, payload hash, signature, nonce.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import unquote

from pushadmin.mpaas import signing
from pushadmin.sandbox.codes import GatewayError
from pushadmin.sandbox.form import decode_form


@dataclass(slots=True)
class Incoming:
    """One HTTP request as received; header names lower-cased, values verbatim."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes


@dataclass(slots=True)
class Authenticated:
    scheme: str  # "v1" or "v3"
    access_key_id: str
    action: str
    version: str
    # Business parameters; None when the V3 body could not be form-decoded, so
    # that the refusal can come after the signature check, as a business error.
    params: dict[str, str] | None
    form_error: ValueError | None = None


class NonceStore:
    """Remembers (AccessKeyId, nonce) pairs for ``ttl`` seconds.

    Insertion order is arrival order, so expired entries are always at the
    front of the dict and can be purged without scanning the rest.
    """

    def __init__(self, ttl_seconds: float) -> None:
        self.ttl = ttl_seconds
        self._expiry: dict[str, float] = {}
        self._inserts = 0

    def __len__(self) -> int:
        return len(self._expiry)

    def clear(self) -> None:
        self._expiry.clear()

    def use(self, access_key_id: str, nonce: str, now: float) -> bool:
        """Record the nonce; False when it was already used (a replay)."""
        key = f"{access_key_id}\n{nonce}"
        expiry = self._expiry.get(key)
        if expiry is not None and expiry > now:
            return False
        self._expiry[key] = now + self.ttl
        self._inserts += 1
        if self._inserts % 1024 == 0:
            self._purge(now)
        return True

    def _purge(self, now: float) -> None:
        expired = []
        for key, expiry in self._expiry.items():
            if expiry > now:
                break
            expired.append(key)
        for key in expired:
            del self._expiry[key]


@functools.lru_cache(maxsize=256)
def _epoch_seconds(timestamp: str) -> float:
    # Calls signed within the same second carry the same text: parse it once.
    return signing.parse_timestamp(timestamp).timestamp()


class Authenticator:
    def __init__(
        self,
        credentials: Mapping[str, str],
        clock: Callable[[], float],
        tolerance_seconds: float,
        nonce_ttl_seconds: float,
    ) -> None:
        self.credentials = credentials
        self.clock = clock
        self.tolerance = tolerance_seconds
        self.nonces = NonceStore(nonce_ttl_seconds)

    def authenticate(self, request: Incoming) -> Authenticated:
        authorization = request.headers.get("authorization", "")
        if authorization.startswith("ACS3-"):
            return self._v3(request, authorization)
        if "Signature" in request.query:
            return self._v1(request)
        if authorization:
            raise GatewayError("IncompleteSignature")
        raise GatewayError("MissingSignature")

    # ------------------------------------------------------------------ common

    def _check_time(self, value: str | None, now: float) -> None:
        if not value:
            raise GatewayError("MissingTimestamp")
        try:
            moment = _epoch_seconds(value)
        except ValueError:
            raise GatewayError("InvalidTimeStamp.Format") from None
        if abs(now - moment) > self.tolerance:
            raise GatewayError("InvalidTimeStamp.Expired")

    def _secret(self, access_key_id: str) -> str:
        secret = self.credentials.get(access_key_id)
        if secret is None:
            raise GatewayError("InvalidAccessKeyId.NotFound")
        return secret

    def _use_nonce(self, access_key_id: str, nonce: str | None, now: float) -> None:
        if not nonce:
            raise GatewayError("MissingSignatureNonce")
        if not self.nonces.use(access_key_id, nonce, now):
            raise GatewayError("SignatureNonceUsed")

    # ------------------------------------------------------------------ V1

    def _v1(self, request: Incoming) -> Authenticated:
        if request.query.get("SignatureMethod") != signing.V1_SIGNATURE_METHOD:
            raise GatewayError("InvalidSignatureMethod")
        now = self.clock()
        try:
            form = decode_form(request.body) if request.body else {}
        except ValueError:
            # V1 signs the decoded form, so an undecodable body cannot be verified.
            raise GatewayError("InvalidParameter") from None
        params = {**form, **request.query}
        self._check_time(params.get("Timestamp"), now)
        access_key_id = params.get("AccessKeyId", "")
        secret = self._secret(access_key_id)
        string_to_sign = signing.v1_string_to_sign(request.method, params)
        expected = signing.v1_signature(secret, string_to_sign)
        if not hmac.compare_digest(expected, params["Signature"]):
            raise GatewayError("SignatureDoesNotMatch", string_to_sign)
        self._use_nonce(access_key_id, params.get("SignatureNonce"), now)
        action, version = params.get("Action"), params.get("Version")
        if not action:
            raise GatewayError("MissingAction")
        if not version:
            raise GatewayError("MissingVersion")
        return Authenticated("v1", access_key_id, action, version, params)

    # ------------------------------------------------------------------ V3

    def _v3(self, request: Incoming, authorization: str) -> Authenticated:
        try:
            access_key_id, signed_headers, signature = signing.parse_v3_authorization(authorization)
        except ValueError:
            raise GatewayError("IncompleteSignature") from None
        headers = request.headers
        missing = [name for name in signing.V3_REQUIRED_SIGNED_HEADERS if name not in signed_headers]
        if missing or any(name not in headers for name in signed_headers):
            raise GatewayError("IncompleteSignature")
        now = self.clock()
        self._check_time(headers.get("x-acs-date"), now)
        secret = self._secret(access_key_id)
        # Hash the raw bytes received: form re-encoding would change the digest.
        payload_hash = hashlib.sha256(request.body).hexdigest()
        canonical = signing.v3_canonical_request(
            request.method,
            unquote(request.path),
            request.query,
            headers,
            signed_headers,
            payload_hash,
        )
        string_to_sign = signing.v3_string_to_sign(canonical)
        expected = signing.v3_signature(secret, string_to_sign)
        if headers.get("x-acs-content-sha256") != payload_hash or not hmac.compare_digest(expected, signature):
            raise GatewayError("SignatureDoesNotMatch", string_to_sign)
        self._use_nonce(access_key_id, headers.get("x-acs-signature-nonce"), now)
        params: dict[str, str] | None
        form_error: ValueError | None = None
        try:
            form = decode_form(request.body)
            params = {**request.query, **form} if request.query else form
        except ValueError as exc:
            params, form_error = None, exc
        return Authenticated(
            "v3",
            access_key_id,
            headers["x-acs-action"],
            headers["x-acs-version"],
            params,
            form_error,
        )

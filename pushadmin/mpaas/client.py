"""Signed calls to the mPaaS push API over one reused ``httpx.Client``.

A call never raises for what the network or the API did: it returns a
:class:`CallResult` holding the classified outcome and the attempt facts, so the
sender can record every attempt. One call is one attempt; retrying (with the same
MsgKeys) is the sender's decision, and each attempt is signed afresh.
"""

from __future__ import annotations

import logging
import socket
import ssl
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Generic, Literal, TypeVar

import httpx

from . import analysis, errors, signing, wire
from .request_types import (
    API_VERSIONS,
    DEFAULT_API_VERSION,
    TEMPLATE_ACTIONS,
    ApiRequest,
    CancelPushSchedulerRequest,
    CreateTemplateRequest,
    DeleteTemplateRequest,
    GetTemplateRequest,
    ListTemplatePageRequest,
    PushMultipleRequest,
    PushQueryDeviceStateRequest,
    QueryPushAnalysisCoreIndexRequest,
    QueryPushAnalysisTaskDetailRequest,
    QueryPushAnalysisTaskListRequest,
    QueryPushSchedulerListRequest,
    RevokePushTaskRequest,
)
from .template_replies import TemplateInfo, TemplatePage, template_info, template_page

logger = logging.getLogger(__name__)

SignatureScheme = Literal["v3", "v1"]
DEFAULT_TIMEOUT = 10.0
DEFAULT_CONNECT_TIMEOUT = 3.0


@dataclass(frozen=True, kw_only=True)
class Attempt:
    """Facts about one HTTP attempt, for the delivery records."""

    action: str
    api_version: str
    signature: SignatureScheme
    nonce: str
    timestamp: str
    started_at: datetime
    duration_ms: int
    http_status: int | None
    body_bytes: int
    error: str | None = None


@dataclass(frozen=True)
class CallResult:
    outcome: errors.Outcome
    attempt: Attempt


T = TypeVar("T")


@dataclass(frozen=True)
class TemplateCallResult(Generic[T]):
    """A template action's outcome; ``value`` is what it answered, set exactly when it was accepted."""

    outcome: errors.Outcome
    attempt: Attempt
    value: T | None = None


class _Secret:
    """Holds the AccessKey secret so that no repr, log or traceback can show it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "'***'"

    __str__ = __repr__


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _uuid4() -> str:
    return str(uuid.uuid4())


class MpaasClient:
    def __init__(
        self,
        endpoint_url: str,
        access_key_id: str,
        access_key_secret: str,
        *,
        signature: SignatureScheme = "v3",
        api_version: str = DEFAULT_API_VERSION,
        timeout: float = DEFAULT_TIMEOUT,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
        security_token: str | None = None,
        clock: Callable[[], datetime] = _utc_now,
        nonce_factory: Callable[[], str] = _uuid4,
    ) -> None:
        url = httpx.URL(endpoint_url)
        if url.scheme not in ("http", "https") or not url.host:
            raise ValueError("endpoint_url must be a full http(s) URL, e.g. https://host")
        if url.raw_path not in (b"", b"/") or url.query:
            raise ValueError("endpoint_url must not carry a path or query: RPC calls go to /")
        if signature not in ("v3", "v1"):
            raise ValueError("signature must be 'v3' or 'v1'")
        if api_version not in API_VERSIONS:
            raise ValueError(f"api_version must be one of {', '.join(API_VERSIONS)}")
        if not access_key_id or not access_key_secret:
            raise ValueError("access_key_id and access_key_secret are required")
        self.endpoint_url = str(url.copy_with(raw_path=b"/"))
        self._url = url.copy_with(raw_path=b"/")
        # httpx drops default ports, so this is host[:port] exactly as sent in Host.
        self._host = url.netloc.decode("ascii")
        self.access_key_id = access_key_id
        self._secret = _Secret(access_key_secret)
        self._security_token = _Secret(security_token) if security_token else None
        self.signature: SignatureScheme = signature
        self.api_version = api_version
        self._clock = clock
        self._nonce_factory = nonce_factory
        # trust_env=False: signed traffic must go where the workspace settings say,
        # not through whatever proxy the worker's environment happens to name.
        self._http = httpx.Client(
            timeout=httpx.Timeout(timeout, connect=connect_timeout),
            transport=transport,
            follow_redirects=False,
            trust_env=False,
        )

    def __repr__(self) -> str:
        return (
            f"MpaasClient(endpoint_url={self.endpoint_url!r}, "
            f"access_key_id={self.access_key_id!r}, signature={self.signature!r}, "
            f"api_version={self.api_version!r})"
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> MpaasClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # ------------------------------------------------------------------ actions

    def push_multiple(self, request: PushMultipleRequest) -> CallResult:
        return self._call(request, PushMultipleRequest)

    def cancel_push_scheduler(self, request: CancelPushSchedulerRequest) -> CallResult:
        return self._call(request, CancelPushSchedulerRequest)

    def query_push_scheduler_list(self, request: QueryPushSchedulerListRequest) -> CallResult:
        return self._call(request, QueryPushSchedulerListRequest)

    def revoke_push_task(self, request: RevokePushTaskRequest) -> CallResult:
        """Accepted means mPaaS recalled the task's messages; refused, it says why (unknown, too old, already)."""
        return self._call(request, RevokePushTaskRequest)

    def create_template(self, request: CreateTemplateRequest) -> TemplateCallResult[str]:
        """The new template's id as ``value``."""
        result = self._call(request, CreateTemplateRequest)
        return _read_value(result, lambda body: _text_or_none(body.get("Data")))

    def get_template(self, request: GetTemplateRequest) -> TemplateCallResult[TemplateInfo]:
        """A template that does not exist is Rejected with code 3022 (TEMPLATE_NOT_EXIST)."""
        result = self._call(request, GetTemplateRequest)
        return _read_value(result, lambda body: template_info(body.get("Data")))

    def list_template_page(self, request: ListTemplatePageRequest) -> TemplateCallResult[TemplatePage]:
        result = self._call(request, ListTemplatePageRequest)
        return _read_value(result, template_page)

    def delete_template(self, request: DeleteTemplateRequest) -> TemplateCallResult[bool]:
        result = self._call(request, DeleteTemplateRequest)
        return _read_value(result, lambda body: True)

    # ---------------------------------------------------------------- analysis

    def query_push_analysis_task_list(
        self, request: QueryPushAnalysisTaskListRequest
    ) -> TemplateCallResult[tuple[analysis.TaskSummary, ...]]:
        """The tasks found (an empty tuple when none matches) as ``value``."""
        return _read_value(self._call(request, QueryPushAnalysisTaskListRequest), analysis.task_list)

    def query_push_analysis_task_detail(
        self, request: QueryPushAnalysisTaskDetailRequest
    ) -> TemplateCallResult[analysis.TaskDetail]:
        return _read_value(self._call(request, QueryPushAnalysisTaskDetailRequest), analysis.task_detail)

    def query_push_analysis_core_index(
        self, request: QueryPushAnalysisCoreIndexRequest
    ) -> TemplateCallResult[analysis.CoreIndex]:
        return _read_value(self._call(request, QueryPushAnalysisCoreIndexRequest), analysis.core_index)

    def push_query_device_state(self, request: PushQueryDeviceStateRequest) -> TemplateCallResult[analysis.DeviceState]:
        return _read_value(self._call(request, PushQueryDeviceStateRequest), analysis.device_state)

    # ---------------------------------------------------------------- internals

    def build_http_request(self, request: ApiRequest, *, nonce: str, timestamp: str) -> httpx.Request:
        """The signed request for one attempt (public so tests can compare it with the SDKs)."""
        body = wire.encode_request(request)
        token = self._security_token.reveal() if self._security_token else None
        if self.signature == "v3":
            headers = signing.v3_sign_headers(
                access_key_id=self.access_key_id,
                secret=self._secret.reveal(),
                host=self._host,
                action=request.ACTION,
                version=self.api_version,
                body=body,
                nonce=nonce,
                timestamp=timestamp,
                security_token=token,
            )
            url = self._url
        else:
            query = signing.v1_common_params(
                access_key_id=self.access_key_id,
                action=request.ACTION,
                version=self.api_version,
                nonce=nonce,
                timestamp=timestamp,
                security_token=token,
            )
            signed = {**dict(wire.request_fields(request)), **query}
            query["Signature"] = signing.v1_signature(self._secret.reveal(), signing.v1_string_to_sign("POST", signed))
            raw_query = "&".join(f"{signing.percent_encode(k)}={signing.percent_encode(v)}" for k, v in query.items())
            url = self._url.copy_with(raw_path=f"/?{raw_query}".encode("ascii"))
            headers = {"host": self._host, "content-type": wire.FORM_CONTENT_TYPE}
        headers["accept"] = "application/json"
        return self._http.build_request("POST", url, content=body, headers=headers)

    def _call(self, request: ApiRequest, expected: type[Any]) -> CallResult:
        if not isinstance(request, expected):
            raise TypeError(f"expected {expected.__name__}, got {type(request).__name__}")
        started_at = self._clock()
        nonce = self._nonce_factory()
        timestamp = signing.format_timestamp(started_at)
        http_request = self.build_http_request(request, nonce=nonce, timestamp=timestamp)
        status: int | None = None
        error: str | None = None
        began = time.monotonic()
        try:
            response = self._http.send(http_request)
            try:
                body = response.read()
            finally:
                response.close()
            status = response.status_code
            outcome = errors.classify_response(
                status, response.headers, body, template_api=request.ACTION in TEMPLATE_ACTIONS
            )
        except httpx.TransportError as exc:
            # Only the class of failure leaves here: the exception's text may carry what a
            # remote host answered, and attempts and outcomes are shown to people.
            error = failure_class(exc)
            outcome = classify_transport_error(exc)
            logger.info("mpaas %s transport error: %s", request.ACTION, type(exc).__name__)
        duration_ms = int((time.monotonic() - began) * 1000)
        attempt = Attempt(
            action=request.ACTION,
            api_version=self.api_version,
            signature=self.signature,
            nonce=nonce,
            timestamp=timestamp,
            started_at=started_at,
            duration_ms=duration_ms,
            http_status=status,
            body_bytes=len(http_request.content),
            error=error,
        )
        # Accepted calls at debug level: the attempt rows record every call, and a line per call
        # at a worker's usual level cost a noticeable share of its time.
        logger.log(
            logging.DEBUG if isinstance(outcome, errors.Accepted) else logging.INFO,
            "mpaas %s -> %s status=%s request_id=%s code=%s duration_ms=%d",
            request.ACTION,
            type(outcome).__name__,
            status,
            getattr(outcome, "request_id", None),
            getattr(outcome, "code", None) or getattr(outcome, "result_code", None),
            duration_ms,
        )
        return CallResult(outcome, attempt)


def _text_or_none(value: Any) -> str | None:
    if isinstance(value, str) and value:
        return value
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else None


def _read_value(result: CallResult, read: Callable[[Mapping[str, Any]], T | None]) -> TemplateCallResult[T]:
    """The typed answer of an accepted call; an accepted reply without one is an unreadable reply."""
    outcome = result.outcome
    if not isinstance(outcome, errors.Accepted):
        return TemplateCallResult(outcome, result.attempt)
    value = read(outcome.body)
    if value is None:
        unreadable = errors.Ambiguous(
            code=outcome.result_code,
            message=None,
            http_status=outcome.http_status,
            request_id=outcome.request_id,
            reason=errors.UNREADABLE_RESPONSE,
            meaning="The reply said success but did not carry the expected data.",
        )
        return TemplateCallResult(unreadable, result.attempt)
    return TemplateCallResult(outcome, result.attempt, value)


def _causes(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def failure_class(exc: httpx.TransportError) -> str:
    """The kind of network failure in a few fixed words, never the exception's own text."""
    if isinstance(exc, httpx.TimeoutException):
        return errors.TIMED_OUT
    causes = _causes(exc)
    if any(isinstance(cause, ssl.SSLError) for cause in causes):
        return errors.TLS_ERROR
    if any(isinstance(cause, ConnectionRefusedError) for cause in causes):
        return errors.CONNECTION_REFUSED
    if any(isinstance(cause, socket.gaierror) for cause in causes):
        return errors.HOST_NOT_FOUND
    if isinstance(exc, httpx.ConnectError):
        return errors.COULD_NOT_CONNECT
    return errors.CONNECTION_FAILED


def classify_transport_error(exc: httpx.TransportError) -> errors.Outcome:
    """Whether a request that got no HTTP response could have reached the service."""
    facts: dict[str, Any] = {
        "code": None,
        "message": failure_class(exc),
        "http_status": None,
        "request_id": None,
    }
    # Nothing (or not the whole request) reached the server: safe to send again.
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
        return errors.Retryable(**facts, reason=errors.NOT_CONNECTED, meaning="Could not connect to the endpoint.")
    if isinstance(exc, httpx.WriteError | httpx.WriteTimeout | httpx.ProxyError | httpx.LocalProtocolError):
        return errors.Retryable(
            **facts,
            reason=errors.NOT_SENT,
            meaning="The connection failed before the request was fully sent.",
        )
    if isinstance(exc, httpx.ReadTimeout):
        return errors.Ambiguous(
            **facts,
            reason=errors.READ_TIMEOUT,
            meaning="No reply in time after the request was sent; it may have been applied.",
        )
    return errors.Ambiguous(
        **facts,
        reason=errors.CONNECTION_LOST,
        meaning="The connection dropped after the request was sent; it may have been applied.",
    )

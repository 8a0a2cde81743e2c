"""Request handlers of the sandbox: no HTTP framework, plain values in and out.

:meth:`SandboxApp.handle` takes one parsed HTTP request and returns a
:class:`Reply`; the server in :mod:`pushadmin.sandbox.server` only moves bytes.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from pushadmin.mpaas.request_types import API_VERSIONS, TEMPLATE_ACTIONS
from pushadmin.sandbox import analysis_calls, codes, console_templates, push, recalls, schedules
from pushadmin.sandbox.auth import Authenticated, Authenticator, Incoming
from pushadmin.sandbox.codes import BusinessError, GatewayError
from pushadmin.sandbox.options import Faults, SandboxOptions
from pushadmin.sandbox.store import Batch, PackedTexts, Schedule, Store, message_json, revoked_json, stats_json

JSON_TYPE = "application/json;charset=utf-8"
RECOMMEND = "https://api.aliyun.com/troubleshoot?q={code}&product=mPaaS&requestId={rid}"
DEFAULT_PAGE = 10_000
MAX_PAGE = 100_000


@dataclass(slots=True)
class Reply:
    status: int
    body: bytes
    request_id: str = ""
    # Seconds to wait before answering (latency fault).
    delay: float = 0.0
    # Close the connection instead of answering (dropAfterAccept fault).
    drop: bool = False


# One shared encoder: json.dumps builds a new one per call for these options.
_encode_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _json_reply(status: int, payload: dict[str, Any], request_id: str = "") -> Reply:
    return Reply(status, _encode_json(payload).encode("utf-8"), request_id)


def _task_reply(task_id: str, request_id: str) -> Reply:
    """An accepted PushMultiple or RevokePushTask: the task's id in ``PushResult.Data``."""
    return _json_reply(
        200,
        {
            "RequestId": request_id,
            "ResultCode": "OK",
            "ResultMessage": "",
            "PushResult": {"Success": True, "ResultMsg": "", "Data": task_id},
        },
        request_id,
    )


def new_request_id() -> str:
    return str(uuid.uuid4()).upper()


class SandboxApp:
    def __init__(self, options: SandboxOptions, clock: Callable[[], float] = time.time) -> None:
        self.options = options
        self._base_clock = clock
        self.store = Store()
        self.templates = console_templates.TemplateStore(options.templates, lambda: int(self.now() * 1000))
        self.auth = Authenticator(
            options.credentials,
            self.now,
            options.timestamp_tolerance_seconds,
            options.nonce_ttl_seconds,
        )
        self.dice = random.Random(options.seed)
        self._actions: dict[str, Callable[[dict[str, str], str, Authenticated], Reply]] = {
            "PushMultiple": self._push_multiple,
            "CancelPushScheduler": self._cancel_push_scheduler,
            "QueryPushSchedulerList": self._query_push_scheduler_list,
            "RevokePushTask": self._revoke_push_task,
            "CreateTemplate": self._create_template,
            "GetTemplate": self._get_template,
            "ListTemplatePage": self._list_template_page,
            "DeleteTemplate": self._delete_template,
        }
        self.analysis = analysis_calls.AnalysisCalls(self.store, options, self.now)
        self._actions.update(dict.fromkeys(analysis_calls.ACTIONS, self._analysis_call))

    def now(self) -> float:
        return self._base_clock() + self.options.faults.clockSkewSeconds

    # ------------------------------------------------------------------ entry

    def handle(self, request: Incoming) -> Reply:
        if request.path.startswith("/_sandbox/"):
            return self._admin(request)
        request_id = new_request_id()
        if request.path != "/" or request.method not in ("POST", "GET"):
            return self._gateway_error(GatewayError("InvalidApi.NotFound"), request_id, request)
        self.store.stats.calls += 1
        try:
            caller = self.auth.authenticate(request)
            if caller.action not in self._actions or caller.version not in API_VERSIONS:
                raise GatewayError("InvalidApi.NotFound")
            self.store.stats.calls_by_action[caller.action] += 1
            fault = self._roll_fault()
            if fault is not None:
                self.store.stats.faults_injected[fault] += 1
                raise GatewayError(fault)
        except GatewayError as error:
            return self._gateway_error(error, request_id, request)
        params = caller.params
        try:
            if params is None:
                failure = caller.form_error
                raise BusinessError(
                    codes.REQUEST_SHOULD_BE_UTF8 if isinstance(failure, UnicodeDecodeError) else codes.INVALID_PARAM,
                    str(failure),
                )
            reply = self._actions[caller.action](params, request_id, caller)
        except BusinessError as error:
            self.store.stats.rejected_by_code[error.code] += 1
            return self._business_error(caller.action, error, request_id)
        reply.delay = self.options.faults.latencyMs / 1000
        return reply

    def _roll_fault(self) -> str | None:
        faults = self.options.faults
        if faults.throttle and self.dice.random() < faults.throttle:
            return "Throttling.User"
        if faults.error5xx and self.dice.random() < faults.error5xx:
            return "ServiceUnavailable"
        return None

    def _gateway_error(self, error: GatewayError, request_id: str, request: Incoming) -> Reply:
        self.store.stats.rejected_by_code[error.code] += 1
        payload = {
            "RequestId": request_id,
            "HostId": request.headers.get("host", ""),
            "Code": error.code,
            "Message": error.message,
            "Recommend": RECOMMEND.format(code=error.code, rid=request_id),
        }
        reply = _json_reply(error.status, payload, request_id)
        reply.delay = self.options.faults.latencyMs / 1000
        return reply

    def _business_error(self, action: str, error: BusinessError, request_id: str) -> Reply:
        if action in TEMPLATE_ACTIONS:
            return self._template_reply(request_id, {"Success": False, "Code": error.code, "Msg": error.message})
        payload: dict[str, Any] = {
            "RequestId": request_id,
            "ResultCode": error.code,
            "ResultMessage": error.message,
        }
        if action in ("PushMultiple", "RevokePushTask"):
            payload["PushResult"] = {"Success": False, "ResultMsg": error.message, "Data": ""}
        reply = _json_reply(200, payload, request_id)
        reply.delay = self.options.faults.latencyMs / 1000
        return reply

    # ------------------------------------------------------------------ actions

    def _push_multiple(self, params: dict[str, str], request_id: str, _: Authenticated) -> Reply:
        now = self.now()
        now_ms = int(now * 1000)
        plan = push.parse_push_multiple(params, self.options, now_ms, self.templates)
        app = (plan.app_id, plan.workspace_id)
        store = self.store
        if plan.schedule is not None and (store.pending_schedules(app, now_ms) >= self.options.max_pending_schedules):
            raise BusinessError(
                codes.INVALID_PARAM,
                f"at most {self.options.max_pending_schedules} unexecuted scheduled tasks",
            )
        rows = plan.rows
        known = store.known_keys(app)
        all_new = known.keys().isdisjoint(rows.msg_keys)
        if not all_new:
            repeated = [key for key in rows.msg_keys if key in known]
            store.stats.duplicate_msg_keys += len(repeated)
            mode = self.options.faults.duplicateMsgKey
            if mode == "reject":
                raise BusinessError(codes.INVALID_PARAM, "MsgKey already used: " + ",".join(repeated))
            if mode == "drop":
                rows = rows.without_keys(known)
                all_new = True
        task_id = uuid.uuid4().hex
        batch = Batch(
            request_id,
            task_id,
            plan.app_id,
            plan.workspace_id,
            plan.template.name,
            now,
            plan.strategy_type,
            rows.msg_keys,
            PackedTexts(rows.targets),
            PackedTexts(rows.titles),
            PackedTexts(rows.contents),
            task_name=params.get("TaskName", ""),
            delivery_type=plan.delivery_type,
            strategy_content=params.get("StrategyContent", "") if plan.strategy_type else "",
        )
        store.add(batch, all_new=all_new)
        if plan.schedule is not None:
            first, last = plan.schedule
            store.schedules[task_id] = Schedule(
                task_id,
                app,
                first,
                last,
                plan.template.title,
                plan.template.content,
                plan.delivery_type,
                plan.strategy_type,
                now_ms,
                batch,
            )
        store.stats.accepted_calls += 1
        reply = _task_reply(task_id, request_id)
        faults = self.options.faults
        if faults.dropAfterAccept and self.dice.random() < faults.dropAfterAccept:
            store.stats.faults_injected["dropAfterAccept"] += 1
            reply.drop = True
        return reply

    def _cancel_push_scheduler(self, params: dict[str, str], request_id: str, _: Authenticated) -> Reply:
        content = schedules.cancel(self.store, self.options, params, int(self.now() * 1000))
        self.store.stats.accepted_calls += 1
        return _json_reply(
            200,
            {
                "RequestId": request_id,
                "ResultCode": "OK",
                "ResultMessage": "",
                "ResultContent": content,
            },
            request_id,
        )

    def _query_push_scheduler_list(self, params: dict[str, str], request_id: str, _: Authenticated) -> Reply:
        data = schedules.query(self.store, self.options, params, int(self.now() * 1000))
        self.store.stats.accepted_calls += 1
        return _json_reply(
            200,
            {
                "RequestId": request_id,
                "ResultCode": "OK",
                "ResultMessage": "",
                "ResultContent": {"Data": data},
            },
            request_id,
        )

    def _analysis_call(self, params: dict[str, str], request_id: str, caller: Authenticated) -> Reply:
        status, payload = self.analysis.answer(caller.action, params, request_id)
        return _json_reply(status, payload, request_id)

    def _revoke_push_task(self, params: dict[str, str], request_id: str, _: Authenticated) -> Reply:
        task_id = recalls.revoke(self.store, self.options, params, self.now())
        self.store.stats.accepted_calls += 1
        return _task_reply(task_id, request_id)

    # ------------------------------------------------------------------ templates

    def _template_reply(self, request_id: str, payload: dict[str, Any]) -> Reply:
        reply = _json_reply(200, {"RequestId": request_id, **payload}, request_id)
        reply.delay = self.options.faults.latencyMs / 1000
        return reply

    def _template_success(self, request_id: str, **fields: Any) -> Reply:
        self.store.stats.accepted_calls += 1
        return self._template_reply(request_id, {"Success": True, "Code": codes.SUCCESS, "Msg": "SUCCESS", **fields})

    def _create_template(self, params: dict[str, str], request_id: str, _: Authenticated) -> Reply:
        template_id = console_templates.create(self.templates, self.options, params)
        return self._template_success(request_id, Data=template_id)

    def _get_template(self, params: dict[str, str], request_id: str, _: Authenticated) -> Reply:
        return self._template_success(request_id, Data=console_templates.get(self.templates, self.options, params))

    def _list_template_page(self, params: dict[str, str], request_id: str, _: Authenticated) -> Reply:
        page = console_templates.list_page(self.templates, self.options, params)
        return self._template_success(request_id, **page)

    def _delete_template(self, params: dict[str, str], request_id: str, _: Authenticated) -> Reply:
        console_templates.delete(self.templates, self.options, params)
        return self._template_success(request_id)

    # ------------------------------------------------------------------ /_sandbox

    def _admin(self, request: Incoming) -> Reply:
        route = (request.method, request.path.rstrip("/"))
        if route == ("GET", "/_sandbox/messages"):
            return self._messages(request.query)
        if route == ("GET", "/_sandbox/revoked"):
            return _json_reply(200, {"tasks": [revoked_json(b) for b in self.store.revoked]})
        if route == ("GET", "/_sandbox/stats"):
            return _json_reply(200, stats_json(self.store, len(self.auth.nonces)))
        if route == ("GET", "/_sandbox/faults"):
            return _json_reply(200, self.options.faults.to_json())
        if route == ("POST", "/_sandbox/faults"):
            try:
                changes = json.loads(request.body or b"{}")
                if not isinstance(changes, dict):
                    raise ValueError("body must be a JSON object")
                seed = changes.pop("seed", None)
                if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
                    raise ValueError("seed must be an integer")
                self.options.faults.update(changes)
                if seed is not None:
                    # The same seed rolls the same faults in the same order of calls: tests that need
                    # a fault to come up are certain of it instead of very likely.
                    self.dice = random.Random(seed)
            except ValueError as exc:
                return _json_reply(400, {"error": str(exc)})
            return _json_reply(200, self.options.faults.to_json())
        if route == ("POST", "/_sandbox/reset"):
            self.reset()
            return _json_reply(200, {"reset": True})
        if route == ("GET", "/_sandbox/health"):
            return _json_reply(200, {"ok": True})
        answer = self.analysis.admin(*route, request.body)
        if answer is not None:
            return _json_reply(*answer)
        return _json_reply(404, {"error": f"no sandbox route {request.method} {request.path}"})

    def reset(self) -> None:
        self.store.clear()
        self.templates.clear()
        self.auth.nonces.clear()
        self.options.faults = Faults()
        self.analysis.reset()

    def _messages(self, query: dict[str, str]) -> Reply:
        try:
            offset = int(query.get("offset", "0"))
            limit = int(query.get("limit", str(DEFAULT_PAGE)))
        except ValueError:
            return _json_reply(400, {"error": "offset and limit must be integers"})
        if offset < 0 or not 0 <= limit <= MAX_PAGE:
            return _json_reply(400, {"error": f"offset >= 0 and 0 <= limit <= {MAX_PAGE}"})
        found = list(
            self.store.find(
                msg_key=query.get("msgKey"),
                task_id=query.get("taskId"),
                app_id=query.get("appId"),
                target=query.get("target"),
            )
        )
        page = [message_json(m) for m in found[offset : offset + limit]]
        return _json_reply(200, {"total": len(found), "offset": offset, "limit": limit, "messages": page})


def parse_query(raw: str) -> dict[str, str]:
    return dict(parse_qsl(raw, keep_blank_values=True))

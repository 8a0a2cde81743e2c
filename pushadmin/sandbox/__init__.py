"""Local stand-in for the Alibaba Cloud mPaaS Message Push gateway.

Run it with ``python manage.py mpaas_sandbox`` or, without Django settings,
``python -m pushadmin.sandbox`` (same flags; ``--port 0`` picks a free port and
prints ``mpaas sandbox listening on http://HOST:PORT``). From Python:
``pushadmin.sandbox.server.serve(host, port, SandboxOptions(...))``.

It serves PushMultiple, CancelPushScheduler, QueryPushSchedulerList, RevokePushTask, the
analysis calls QueryPushAnalysisTaskList, QueryPushAnalysisTaskDetail,
QueryPushAnalysisCoreIndex and PushQueryDeviceState (answered from a
deterministic simulation of the phones, :mod:`pushadmin.sandbox.phones`; see
:mod:`pushadmin.sandbox.analysis_calls` for its knobs and ground truth) and the
template actions CreateTemplate, GetTemplate, ListTemplatePage and DeleteTemplate
(versions 2019-08-21, 2020-07-10, 2020-10-28) at ``/`` exactly as the gateway
does: V1 or V3 signatures checked with :mod:`pushadmin.mpaas.signing` in the
order of the wire reference §5.4, gateway errors with the §3.3 HTTP statuses,
business errors as HTTP 200 with a numeric ``ResultCode``.

Behaviour where Alibaba documents nothing (tests rely on these):

* **Repeated MsgKey.** MsgKeys are unique per app (AppId + WorkspaceId). In
  the default mode ``drop``, a call whose MsgKeys were already accepted in an
  earlier call succeeds, but the repeated targets are not stored again and each
  is counted in ``/_sandbox/stats`` ``duplicateMsgKeys``; a retry after an
  ambiguous outcome is therefore harmless and visible. The fault knob
  ``duplicateMsgKey`` switches to ``reject`` (the whole call fails with 3028
  INVALID_PARAM, the message naming the repeated keys; nothing is stored) or
  ``allow`` (stored again, still counted). A MsgKey repeated *within* one call
  is always 3028.
* **Task id.** ``PushResult.Data`` is a fresh 32-hex task id per accepted call,
  also the scheduler UniqueId for StrategyType 1/2.
* **Schedules.** At most ``--max-pending-schedules`` (100) unexecuted scheduled
  or loop tasks per app; one more is 3028 INVALID_PARAM. A task is executed once
  its fire time (loops: 24:00 of the end day, UTC+8) has passed. Its messages
  are recorded at acceptance and flagged ``cancelled`` when the task is.
* **TemplateKeyValue** must be a JSON object of strings, else 3028 (so the
  legacy SDK's Python repr of a dict is refused); the Tea SDKs' flattened
  ``TemplateKeyValue.<k>`` fields are ignored, which makes them 3023.
* **Faults** (throttle, error5xx, dropAfterAccept) hit only correctly signed
  calls, after the nonce has been recorded: a throttled call is a spent call.
  ``POST /_sandbox/faults`` with ``"seed": N`` also reseeds the fault dice, so
  the same calls meet the same faults in the same order.
* **Recall.** RevokePushTask recalls one PushMultiple task (its ``PushResult.Data``)
  once, by the app that sent it, within 7 days of the call; otherwise 3028
  INVALID_PARAM whose message says "no task", "already revoked" or "older than
  7 days". Recalled tasks are listed, oldest recall first, at ``GET
  /_sandbox/revoked``, and their messages are flagged ``revoked``.
* **Templates** belong to one app; the start-up ones are in every app, and those
  created with CreateTemplate are what PushMultiple renders from then on (see
  :mod:`pushadmin.sandbox.console_templates` for ids, paging and the 100-per-app cap).
* Undocumented length caps live in :mod:`pushadmin.sandbox.limits`.
* All state is in one process and in memory; ``POST /_sandbox/reset`` clears it.
"""

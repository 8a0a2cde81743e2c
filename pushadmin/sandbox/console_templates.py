"""CreateTemplate, GetTemplate, ListTemplatePage and DeleteTemplate over the sandbox's templates.

Templates belong to one app (AppId + WorkspaceId), as on mPaaS. The templates given at
start-up (``--templates``, the built-in demo ones) are in every app from its first call on;
``POST /_sandbox/reset`` brings every app back to exactly those. A template created here is
what PushMultiple renders from then on.

Behaviour where Alibaba documents nothing: ids are decimal text counting up from 1;
``GmtCreate``/``GmtModified`` are epoch milliseconds as text; an app holds at most 100
templates ("≤ 100 templates per App", the one more is 3028 INVALID_PARAM); ListTemplatePage
lists by id, 10 to a page unless PageSize says otherwise; a lookup giving both an id and a
name must match both.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pushadmin.mpaas import validation
from pushadmin.sandbox import codes
from pushadmin.sandbox.codes import BusinessError
from pushadmin.sandbox.options import SandboxOptions, Template
from pushadmin.sandbox.push import parse_int
from pushadmin.sandbox.schedules import app_key
from pushadmin.sandbox.store import AppKey

MAX_TEMPLATES_PER_APP = 100
DEFAULT_PAGE_SIZE = 10
_OPTIONAL_TEXT = ("Variables", "DescInfo", "Uri", "ImageUrls", "IconUrls")
_OPTIONAL_INT = ("ShowStyle", "PushStyle", "JumpAction")


@dataclass(slots=True)
class StoredTemplate:
    id: str
    template: Template
    created_ms: int
    # The optional CreateTemplate fields as received (JumpAction is answered as Action).
    extra: dict[str, str]

    def to_json(self) -> dict[str, Any]:
        extra = self.extra
        return {
            "Id": self.id,
            "Name": self.template.name,
            "Title": self.template.title,
            "Content": self.template.content,
            "Uri": extra.get("Uri", ""),
            "Variables": extra.get("Variables", ",".join(sorted(self.template.placeholders))),
            "DescInfo": extra.get("DescInfo", ""),
            "Action": extra.get("JumpAction", "0"),
            "PushStyle": extra.get("PushStyle", "0"),
            "ShowStyle": extra.get("ShowStyle", "0"),
            "ImageUrls": extra.get("ImageUrls", ""),
            "IconUrls": extra.get("IconUrls", ""),
            "GmtCreate": str(self.created_ms),
            "GmtModified": str(self.created_ms),
        }


class TemplateStore:
    """Each app's templates by name, in creation order."""

    def __init__(self, start_up: Mapping[str, Template], clock_ms: Callable[[], int]) -> None:
        self._start_up = dict(start_up)
        self._clock_ms = clock_ms
        self.clear()

    def clear(self) -> None:
        self._apps: dict[AppKey, dict[str, StoredTemplate]] = {}
        self._last_id = 0

    def of(self, app: AppKey) -> dict[str, StoredTemplate]:
        templates = self._apps.get(app)
        if templates is None:
            now = self._clock_ms()
            templates = self._apps[app] = {
                name: StoredTemplate(self._new_id(), template, now, {}) for name, template in self._start_up.items()
            }
        return templates

    def find(self, app: AppKey, name: str) -> Template | None:
        stored = self.of(app).get(name)
        return stored.template if stored is not None else None

    def add(self, app: AppKey, template: Template, extra: dict[str, str]) -> StoredTemplate:
        stored = StoredTemplate(self._new_id(), template, self._clock_ms(), extra)
        self.of(app)[template.name] = stored
        return stored

    def _new_id(self) -> str:
        self._last_id += 1
        return str(self._last_id)


def create(store: TemplateStore, options: SandboxOptions, params: Mapping[str, str]) -> str:
    """Store a new template; returns its id (the reply's ``Data``)."""
    app = app_key(params, options)
    name = params.get("TemplateName", "")
    if not name.strip():
        raise BusinessError(codes.TEMPLATE_NAME_NULL, "TemplateName is required")
    if "," in name or len(name) > validation.MAX_TEMPLATE_NAME_LENGTH:
        raise BusinessError(
            codes.TEMPLATE_NAME_INVALID, f"no commas, at most {validation.MAX_TEMPLATE_NAME_LENGTH} characters"
        )
    templates = store.of(app)
    if name in templates:
        raise BusinessError(codes.TEMPLATE_ALREADY_EXIST, name)
    title, content = params.get("Title", ""), params.get("Content", "")
    if not title.strip() or len(title) > validation.MAX_TITLE_LENGTH:
        raise BusinessError(codes.TEMPLATE_TITLE_INVALID, f"1 to {validation.MAX_TITLE_LENGTH} characters")
    if not content.strip() or len(content) > validation.MAX_CONTENT_LENGTH:
        raise BusinessError(codes.TEMPLATE_CONTENT_INVALID, f"1 to {validation.MAX_CONTENT_LENGTH} characters")
    if len(params.get("DescInfo", "")) > validation.MAX_TEMPLATE_DESC_LENGTH:
        raise BusinessError(codes.TEMPLATE_DESC_INFO_INVALID, f"at most {validation.MAX_TEMPLATE_DESC_LENGTH}")
    uri = params.get("Uri")
    if uri is not None and (not uri.strip() or any(c.isspace() for c in uri)):
        raise BusinessError(codes.TEMPLATE_URI_INVALID, "Uri")
    for field in _OPTIONAL_INT:
        if field in params and parse_int(params[field]) is None:
            raise BusinessError(codes.INVALID_PARAM, f"{field} must be a number")
    if len(templates) >= MAX_TEMPLATES_PER_APP:
        raise BusinessError(codes.INVALID_PARAM, f"an app holds at most {MAX_TEMPLATES_PER_APP} templates")
    extra = {field: params[field] for field in (*_OPTIONAL_TEXT, *_OPTIONAL_INT) if field in params}
    return store.add(app, Template.build(name, title, content), extra).id


def _lookup(store: TemplateStore, options: SandboxOptions, params: Mapping[str, str]) -> tuple[AppKey, StoredTemplate]:
    app = app_key(params, options)
    template_id, name = params.get("TemplateId") or None, params.get("TemplateName") or None
    if template_id is None and name is None:
        raise BusinessError(codes.TEMPLATE_NAME_NULL, "TemplateId or TemplateName is required")
    templates = store.of(app)
    if name is not None:
        found = templates.get(name)
    else:
        found = next((t for t in templates.values() if t.id == template_id), None)
    if found is None or (template_id is not None and found.id != template_id):
        raise BusinessError(codes.TEMPLATE_NOT_EXIST, template_id or name or "")
    return app, found


def get(store: TemplateStore, options: SandboxOptions, params: Mapping[str, str]) -> dict[str, Any]:
    return _lookup(store, options, params)[1].to_json()


def delete(store: TemplateStore, options: SandboxOptions, params: Mapping[str, str]) -> None:
    app, found = _lookup(store, options, params)
    del store.of(app)[found.template.name]


def list_page(store: TemplateStore, options: SandboxOptions, params: Mapping[str, str]) -> dict[str, Any]:
    """``Data``, ``CurrentPage``, ``PageSize`` and ``TotalSize`` of one page."""
    app = app_key(params, options)
    page = parse_int(params.get("CurrentPage") or "1")
    size = parse_int(params.get("PageSize") or str(DEFAULT_PAGE_SIZE))
    if page is None or page < 1 or size is None or size < 1:
        raise BusinessError(codes.INVALID_PARAM, "CurrentPage and PageSize must be >= 1")
    templates = sorted(store.of(app).values(), key=lambda t: int(t.id))
    first = (page - 1) * size
    return {
        "Data": [t.to_json() for t in templates[first : first + size]],
        "CurrentPage": page,
        "PageSize": size,
        "TotalSize": len(templates),
    }

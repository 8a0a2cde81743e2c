"""What the template actions answer, read into typed values.

The template APIs reply ``{RequestId, Success, Code, Msg, Data}`` (``Code`` "100" for
success, reference §3.2/§4). The SDK models type every ``Data`` field as text, ids and
styles included; a reply carrying numbers instead is read as their decimal text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# Data key -> TemplateInfo attribute, as GetTemplate and ListTemplatePage spell them.
_DATA_KEYS: tuple[tuple[str, str], ...] = (
    ("Id", "id"),
    ("Name", "name"),
    ("Title", "title"),
    ("Content", "content"),
    ("Uri", "uri"),
    ("DescInfo", "desc_info"),
    ("Action", "action"),
    ("PushStyle", "push_style"),
    ("ShowStyle", "show_style"),
    ("ImageUrls", "image_urls"),
    ("IconUrls", "icon_urls"),
    ("GmtCreate", "gmt_create"),
    ("GmtModified", "gmt_modified"),
)


@dataclass(frozen=True, kw_only=True)
class TemplateInfo:
    """One template as mPaaS holds it."""

    id: str
    name: str
    title: str = ""
    content: str = ""
    variables: tuple[str, ...] = ()
    uri: str | None = None
    desc_info: str | None = None
    action: str | None = None
    push_style: str | None = None
    show_style: str | None = None
    image_urls: str | None = None
    icon_urls: str | None = None
    gmt_create: str | None = None
    gmt_modified: str | None = None


@dataclass(frozen=True, kw_only=True)
class TemplatePage:
    templates: tuple[TemplateInfo, ...]
    current_page: int | None
    page_size: int | None
    total_size: int | None


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, bool | dict | list):
        return None
    return value if isinstance(value, str) else str(value)


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def template_info(data: Any) -> TemplateInfo | None:
    """A ``Data`` object of GetTemplate (or a ListTemplatePage entry); None when it names no template."""
    if not isinstance(data, Mapping):
        return None
    values: dict[str, Any] = {attr: _text(data.get(key)) for key, attr in _DATA_KEYS}
    if values["id"] is None or values["name"] is None:
        return None
    values["title"] = values["title"] or ""
    values["content"] = values["content"] or ""
    variables = _text(data.get("Variables")) or ""
    values["variables"] = tuple(name.strip() for name in variables.split(",") if name.strip())
    return TemplateInfo(**values)


def template_page(body: Mapping[str, Any]) -> TemplatePage | None:
    """The page of a ListTemplatePage reply; None when ``Data`` is not a list of templates."""
    entries = body.get("Data")
    if not isinstance(entries, list):
        return None
    templates = [template_info(entry) for entry in entries]
    if any(t is None for t in templates):
        return None
    return TemplatePage(
        templates=tuple(t for t in templates if t is not None),
        current_page=_int(body.get("CurrentPage")),
        page_size=_int(body.get("PageSize")),
        total_size=_int(body.get("TotalSize")),
    )

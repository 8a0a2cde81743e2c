"""The one renderer: what the live preview shows is what sending puts in TemplateKeyValue.

mPaaS fills a console template's ``#name#`` markers from each target's TemplateKeyValue.
pushadmin mirrors the template, so it can show every row's message before anything is
sent and find every row whose values do not fit the template.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_noop

from pushadmin.mpaas.validation import MAX_CONTENT_LENGTH, MAX_TITLE_LENGTH

# A marker is #name#: no whitespace and no '#' inside, as in the mPaaS console.
PLACEHOLDER_RE = re.compile(r"#([^#\s]{1,64})#")

ELLIPSIS = "…"


@dataclass(frozen=True)
class VendorLimit:
    """How much of a notification a vendor's channel carries (characters, not bytes)."""

    label: str
    title: int
    body: int


# The vendors' documented push limits; the phone preview cuts at the strictest one chosen. The names
# are marked for translation and translated where the preview shows them.
VENDOR_LIMITS: dict[str, VendorLimit] = {
    "vivo": VendorLimit(gettext_noop("vivo"), title=40, body=100),
    "xiaomi": VendorLimit(gettext_noop("Xiaomi"), title=50, body=128),
    "oppo": VendorLimit(gettext_noop("OPPO"), title=50, body=200),
    "huawei": VendorLimit(gettext_noop("Huawei / Honor"), title=40, body=256),
    "apns": VendorLimit(gettext_noop("iOS (lock screen)"), title=60, body=178),
}
STRICTEST_VENDOR = "vivo"


def placeholders(text: str) -> list[str]:
    """The ``#name#`` markers of `text` in order of first appearance, each once."""
    seen: dict[str, None] = {}
    for match in PLACEHOLDER_RE.finditer(text or ""):
        seen.setdefault(match.group(1), None)
    return list(seen)


def template_placeholders(title: str, content: str) -> list[str]:
    """Markers of title then content, each once: the keys a TemplateKeyValue must carry."""
    return placeholders(f"{title or ''}\n{content or ''}")


def has_value(value: Any) -> bool:
    return value is not None and str(value).strip() != ""


@dataclass(frozen=True)
class Rendered:
    title: str
    body: str
    missing: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    used_fallback: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.missing and not self.unknown

    def too_long_for_mpaas(self) -> str | None:
        """Why mPaaS would refuse this message as too long (code 3043, its whole call with it), or None."""
        parts = [
            f"the {what} has {len(text):,} characters once filled, mPaaS takes at most {limit:,}"
            for what, text, limit in (("title", self.title, MAX_TITLE_LENGTH), ("text", self.body, MAX_CONTENT_LENGTH))
            if len(text) > limit
        ]
        return ("Too long: " + "; ".join(parts) + ".") if parts else None

    def truncated(self, vendor: str = STRICTEST_VENDOR) -> TruncatedPreview:
        limit = VENDOR_LIMITS[vendor]
        return TruncatedPreview(
            vendor=limit.label,
            title=truncate(self.title, limit.title),
            body=truncate(self.body, limit.body),
            title_cut=len(self.title) > limit.title,
            body_cut=len(self.body) > limit.body,
            title_limit=limit.title,
            body_limit=limit.body,
        )


@dataclass(frozen=True)
class TruncatedPreview:
    vendor: str
    title: str
    body: str
    title_cut: bool
    body_cut: bool
    title_limit: int
    body_limit: int


def truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + ELLIPSIS


def effective_values(
    names: list[str], values: Mapping[str, Any] | None, fallback: Mapping[str, Any] | None = None
) -> tuple[dict[str, str], list[str], list[str]]:
    """(value per placeholder, placeholders still missing, placeholders filled from `fallback`)."""
    values = values or {}
    fallback = fallback or {}
    chosen: dict[str, str] = {}
    missing: list[str] = []
    used_fallback: list[str] = []
    for name in names:
        if has_value(values.get(name)):
            chosen[name] = str(values[name])
        elif has_value(fallback.get(name)):
            chosen[name] = str(fallback[name])
            used_fallback.append(name)
        else:
            missing.append(name)
    return chosen, missing, used_fallback


def _fill(text: str, chosen: Mapping[str, str]) -> str:
    # A missing value leaves the marker visible, as the phone would never show it filled.
    return PLACEHOLDER_RE.sub(lambda m: chosen.get(m.group(1), m.group(0)), text or "")


def render(
    title: str,
    content: str,
    values: Mapping[str, Any] | None,
    fallback: Mapping[str, Any] | None = None,
    *,
    names: list[str] | None = None,
) -> Rendered:
    """Fill the markers of `title` and `content` from `values` (then `fallback`), in one pass.

    Replacement is single-pass, so a value that itself contains ``#other#`` stays literal text.
    `names` are the template's placeholders when the caller, rendering many rows, has them already.
    """
    names = template_placeholders(title, content) if names is None else names
    chosen, missing, used_fallback = effective_values(names, values, fallback)
    known = set(names)
    unknown = [key for key in (values or {}) if key not in known]
    return Rendered(
        title=_fill(title, chosen),
        body=_fill(content, chosen),
        missing=missing,
        unknown=unknown,
        used_fallback=used_fallback,
    )

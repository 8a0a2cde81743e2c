"""Start-up options of the sandbox: credentials, templates, apps and fault knobs.

One argparse definition serves ``python -m pushadmin.sandbox`` and the
``mpaas_sandbox`` management command, so both accept exactly the same flags.
"""

from __future__ import annotations

import argparse
import json
import re
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
DEFAULT_CREDENTIAL = ("pushadmin-demo", "pushadmin-demo-secret")
DEFAULT_TEMPLATE_TITLE = "Congratulations"
DEFAULT_TEMPLATE_CONTENT = "Hello #name#, congratulations on winning #money# yuan"
# The demo template answers to the names used by the seed page's examples and by
# the wire reference's vectors too, so copied snippets work against the sandbox.
DEFAULT_TEMPLATE_NAMES = ("demo-welcome", "Test template", "template1024")

# Placeholder names are word characters (CJK included); "#a b#" is literal text.
PLACEHOLDER_RE = re.compile(r"#(\w+)#")

DUPLICATE_MODES = ("drop", "reject", "allow")


@dataclass(frozen=True, slots=True)
class Template:
    """A console template; ``parts`` alternates literal text and placeholder names."""

    name: str
    title: str
    content: str
    title_parts: tuple[str, ...] = ()
    content_parts: tuple[str, ...] = ()
    placeholders: frozenset[str] = frozenset()

    @classmethod
    def build(cls, name: str, title: str, content: str) -> Template:
        title_parts = tuple(PLACEHOLDER_RE.split(title))
        content_parts = tuple(PLACEHOLDER_RE.split(content))
        names = frozenset(title_parts[1::2]) | frozenset(content_parts[1::2])
        return cls(name, title, content, title_parts, content_parts, names)


@dataclass(slots=True)
class Faults:
    """Misbehaviour knobs; shares are probabilities in [0, 1] drawn per signed call."""

    throttle: float = 0.0
    error5xx: float = 0.0
    # camelCase: the attribute names are the JSON names of the knobs.
    latencyMs: int = 0
    dropAfterAccept: float = 0.0
    # What a MsgKey already accepted for the same app does in a later call.
    duplicateMsgKey: str = "drop"
    # Added to the sandbox clock, to test client clock-skew handling.
    clockSkewSeconds: int = 0

    def to_json(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def update(self, changes: dict[str, Any]) -> None:
        """Apply a partial JSON update; raises ValueError naming the bad knob."""
        known = {f.name: f.type for f in fields(self)}
        for name, value in changes.items():
            if name not in known:
                raise ValueError(f"unknown fault knob {name!r}")
            if name == "duplicateMsgKey":
                if value not in DUPLICATE_MODES:
                    raise ValueError(f"duplicateMsgKey must be one of {DUPLICATE_MODES}")
            elif name in ("latencyMs", "clockSkewSeconds"):
                if isinstance(value, bool) or not isinstance(value, int):
                    raise ValueError(f"{name} must be an integer")
                if name == "latencyMs" and not 0 <= value <= 600_000:
                    raise ValueError("latencyMs must be within 0..600000")
            else:
                if isinstance(value, bool) or not isinstance(value, int | float):
                    raise ValueError(f"{name} must be a number")
                if not 0.0 <= float(value) <= 1.0:
                    raise ValueError(f"{name} must be a share within 0..1")
                value = float(value)
        for name, value in changes.items():
            setattr(self, name, float(value) if name in _SHARES else value)


_SHARES = frozenset({"throttle", "error5xx", "dropAfterAccept"})


@dataclass(slots=True)
class SandboxOptions:
    credentials: dict[str, str] = field(default_factory=lambda: dict([DEFAULT_CREDENTIAL]))
    templates: dict[str, Template] = field(default_factory=lambda: default_templates())
    # Empty = any AppId/WorkspaceId pair is accepted.
    apps: frozenset[tuple[str, str]] = frozenset()
    faults: Faults = field(default_factory=Faults)
    seed: int | None = None
    timestamp_tolerance_seconds: int = 15 * 60
    nonce_ttl_seconds: int = 30 * 60
    max_pending_schedules: int = 100


def default_templates() -> dict[str, Template]:
    return {
        name: Template.build(name, DEFAULT_TEMPLATE_TITLE, DEFAULT_TEMPLATE_CONTENT) for name in DEFAULT_TEMPLATE_NAMES
    }


class TemplateFileError(ValueError):
    """The --templates file does not have the documented shape."""


def load_templates(path: str | Path) -> dict[str, Template]:
    """Read ``[{"name","title","content"[,"aliases":[...]]}]`` from a JSON file."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, list):
        raise TemplateFileError("templates file must hold a JSON list")
    result: dict[str, Template] = {}
    for entry in data:
        if not isinstance(entry, dict):
            raise TemplateFileError("each template must be a JSON object")
        try:
            name, title, content = entry["name"], entry["title"], entry["content"]
        except KeyError as exc:
            raise ValueError(f"template entry lacks {exc.args[0]!r}") from None
        aliases = entry.get("aliases", [])
        if not all(isinstance(v, str) for v in (name, title, content, *aliases)):
            raise ValueError("template name, title, content and aliases must be strings")
        for each in (name, *aliases):
            result[each] = Template.build(each, title, content)
    return result


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default=DEFAULT_HOST, help="bind address (loopback)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="0 picks a free port (printed)")
    parser.add_argument("--templates", metavar="FILE", help="JSON list of templates")
    parser.add_argument(
        "--template-alias",
        action="append",
        default=[],
        metavar="ALIAS=NAME",
        help="serve template NAME under another name too",
    )
    parser.add_argument(
        "--credential",
        action="append",
        default=[],
        metavar="ID:SECRET",
        help="extra AccessKey pair (the demo pair stays valid)",
    )
    parser.add_argument(
        "--app",
        action="append",
        default=[],
        metavar="APPID:WORKSPACEID",
        help="accept only these apps (default: any)",
    )
    parser.add_argument("--throttle", type=float, default=0.0, metavar="SHARE")
    parser.add_argument("--error5xx", type=float, default=0.0, metavar="SHARE")
    parser.add_argument("--latency-ms", type=int, default=0, metavar="MS")
    parser.add_argument("--drop-after-accept", type=float, default=0.0, metavar="SHARE")
    parser.add_argument("--duplicate-msgkey", choices=DUPLICATE_MODES, default="drop")
    parser.add_argument("--clock-skew-seconds", type=int, default=0)
    parser.add_argument("--seed", type=int, default=None, help="seed of the fault dice")
    parser.add_argument("--max-pending-schedules", type=int, default=100)


def _split_pair(value: str, sep: str, what: str) -> tuple[str, str]:
    left, found, right = value.partition(sep)
    if not found or not left or not right:
        raise ValueError(f"{what} must look like {'LEFT' + sep + 'RIGHT'}: {value!r}")
    return left, right


def options_from_args(args: argparse.Namespace | dict[str, Any]) -> SandboxOptions:
    """Build options from parsed flags (a Namespace or Django's options dict)."""
    get = args.get if isinstance(args, dict) else lambda k, d=None: getattr(args, k, d)
    options = SandboxOptions()
    for item in get("credential") or []:
        key_id, secret = _split_pair(item, ":", "--credential")
        options.credentials[key_id] = secret
    templates = get("templates")
    if templates:
        options.templates = load_templates(templates)
    for item in get("template_alias") or []:
        alias, name = _split_pair(item, "=", "--template-alias")
        if name not in options.templates:
            raise ValueError(f"--template-alias names unknown template {name!r}")
        source = options.templates[name]
        options.templates[alias] = Template.build(alias, source.title, source.content)
    options.apps = frozenset(_split_pair(a, ":", "--app") for a in get("app") or [])
    options.faults.update(
        {
            "throttle": get("throttle", 0.0) or 0.0,
            "error5xx": get("error5xx", 0.0) or 0.0,
            "latencyMs": get("latency_ms", 0) or 0,
            "dropAfterAccept": get("drop_after_accept", 0.0) or 0.0,
            "duplicateMsgKey": get("duplicate_msgkey") or "drop",
            "clockSkewSeconds": get("clock_skew_seconds", 0) or 0,
        }
    )
    options.seed = get("seed")
    options.max_pending_schedules = get("max_pending_schedules", 100) or 100
    return options

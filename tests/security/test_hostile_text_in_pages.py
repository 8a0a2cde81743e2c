"""Names, template text and placeholder values carrying markup, template syntax or bidi tricks show as text.

The objects of a workspace are filled with hostile strings; then every GET page and fragment
is opened, plain and as an htmx fragment. None may contain the markup live; some must show it escaped, which
proves the crawl really reached pages that display these objects.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

from pushadmin.accounts.access import ALL_ROLES
from pushadmin.delivery.models import Message
from tests.personas import Cast, make_user
from tests.security.site_map import all_routes, concrete_path
from tests.security.world import build_world

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = '<script>alert("pa1")</script>'
IMAGE = "<img src=x onerror=alert(2)>"
HTMX = '" hx-get="/pwn" hx-trigger="load'
TEMPLATE_SYNTAX = "{{ request.user.password }}{% debug %}{{ 7|add:1 }}"
BIDI = "\u202egnp.exe\u200b"
HOSTILE_FIELDS = [("campaign", "name"), ("audience", "name"), ("reviewcomment", "body"), ("rejectedrow", "reason")]
LIVE_MARKUP = ['<script>alert("pa1")', "<img src=x onerror", 'hx-get="/pwn"', "sql_queries"]


def hostile(text: str) -> str:
    return f"{text} {SCRIPT}{IMAGE}{HTMX}{TEMPLATE_SYNTAX}{BIDI}"


def test_hostile_text_is_shown_escaped_on_every_page_and_fragment(cast: Cast) -> None:
    world = build_world(cast.workspace, cast.marketer, "HOSTILE")
    objects = world.objects
    objects["template"].title = hostile("Title")[:200]
    objects["template"].content = hostile("Hello #name# #money#")
    objects["template"].save()
    for key, field in HOSTILE_FIELDS:
        setattr(objects[key], field, hostile(key)[: objects[key]._meta.get_field(field).max_length or 2000])
        objects[key].save()
    Message.objects.filter(campaign=objects["campaign"]).update(values={"name": hostile("Name"), "money": IMAGE})
    objects["audiencemember"].values = {"name": hostile("Name"), "money": SCRIPT}
    objects["audiencemember"].save()

    # One person holding every role opens every page once (the matrix test keeps roles apart).
    client = Client(raise_request_exception=False)
    client.force_login(make_user("all.roles", cast.workspace, *ALL_ROLES))
    escaped_seen = 0
    problems = []
    for route in all_routes():
        if route.in_admin_site or "GET" not in (route.methods or ("GET",)):
            continue
        path = concrete_path(route, cast.workspace.pk, world.ids_for(route))
        for headers in ({}, {"HX-Request": "true"}):
            response = client.get(path, headers=headers)
            if response.streaming or "html" not in response.get("Content-Type", ""):
                continue
            body = response.content.decode(errors="replace")
            problems += [f"{path} shows {markup!r} live" for markup in LIVE_MARKUP if markup in body]
            escaped_seen += "&lt;script&gt;alert(&quot;pa1&quot;)" in body
    assert not problems, "\n".join(sorted(set(problems)))
    assert escaped_seen >= 3, "no page displayed the hostile objects, so the crawl proved nothing"


TEMPLATE_FILES = sorted((ROOT / "templates").rglob("*.html"))
UNSAFE_TEMPLATE_PATTERNS = {
    "|safe filter": re.compile(r"\|\s*safe\b"),
    "autoescape off": re.compile(r"{%\s*autoescape\s+off"),
    "inline <script> (CSP blocks it)": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE),
    'inline style="" (CSP blocks it)': re.compile(r"\sstyle\s*=", re.IGNORECASE),
    "on* event handler attribute": re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE),
    "hx-on (eval is off)": re.compile(r"\bhx-on", re.IGNORECASE),
}


@pytest.mark.parametrize("template", TEMPLATE_FILES, ids=lambda path: str(path.relative_to(ROOT / "templates")))
def test_templates_use_no_unsafe_output_or_inline_code(template: Path) -> None:
    text = template.read_text()
    found = [name for name, pattern in UNSAFE_TEMPLATE_PATTERNS.items() if pattern.search(text)]
    assert not found, f"{template.name}: {', '.join(found)}"

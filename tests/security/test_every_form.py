"""Every form, submitted with each of its fields wrong in turn, answers with a page, never a server error,
and a form shown again with its errors keeps what the person typed in its other boxes.

The forms are found by opening every page of a workspace (one person holding every role), so a form
added later is covered without editing this test. Each submission runs in a savepoint that is rolled
back, so a form that accepts the value changes nothing for the next one.
"""

from __future__ import annotations

import html
from collections.abc import Iterator

import pytest
from django.db import transaction
from django.test import Client

from pushadmin.accounts.access import ALL_ROLES
from pushadmin.campaigns.models import CampaignStatus
from tests.personas import Cast, make_user
from tests.security.html_forms import Field, Form, post_forms
from tests.security.site_map import all_routes, concrete_path
from tests.security.world import build_world

pytestmark = pytest.mark.django_db

TYPED = "Typed by hand 7f3k"
# Forms whose submission ends the person's own session: nothing to learn from them here.
LEAVING = ("/accounts/logout/",)
WRONG_VALUES = {
    "number": ["", "abc", "99999999999999999999999"],
    "date": ["", "2026-13-45"],
    "time": ["", "25:99"],
    "datetime-local": ["", "2026-02-30T10:00"],
    "select": ["no-such-choice"],
    "checkbox": ["maybe"],
    "radio": ["no-such-choice"],
    "hidden": ["abc"],
}
TEXT_WRONG = ["", "x" * 5000, "nul\x00inside"]


def wrong_values(field: Field) -> list[str]:
    if field.kind == "file":
        return []
    return WRONG_VALUES.get(field.kind, TEXT_WRONG)


def forms_of_every_page(client: Client, workspace_id: int, ids_for: object) -> Iterator[tuple[str, Form]]:
    seen: set[tuple[str, tuple[str, ...]]] = set()
    for route in all_routes():
        if route.in_admin_site or "GET" not in (route.methods or ("GET",)):
            continue
        path = concrete_path(route, workspace_id, ids_for(route))  # type: ignore[operator]
        response = client.get(path)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        for form in post_forms(response.content.decode(), path):
            key = (form.action, tuple(sorted(f.name for f in form.fields)))
            if form.action.startswith(LEAVING) or key in seen:
                continue
            seen.add(key)
            yield path, form


def submit(client: Client, form: Form, data: dict[str, list[str]]) -> tuple[int, str]:
    with transaction.atomic():
        response = client.post(form.action, data)
        body = response.content.decode(errors="replace") if not response.streaming else ""
        transaction.set_rollback(True)
    return response.status_code, body


@pytest.mark.parametrize("campaign_status", [CampaignStatus.DRAFT, CampaignStatus.IN_REVIEW])
def test_every_form_with_each_field_wrong_answers_with_a_page_and_keeps_what_was_typed(
    cast: Cast, campaign_status: str
) -> None:
    world = build_world(cast.workspace, cast.marketer, "FORMS")
    world.objects["campaign"].status = campaign_status
    world.objects["campaign"].save()
    client = Client(raise_request_exception=False)
    client.force_login(make_user("all.roles", cast.workspace, *ALL_ROLES))

    problems: list[str] = []
    submissions = kept_checks = 0
    for page, form in forms_of_every_page(client, cast.workspace.pk, world.ids_for):
        for broken in form.fields:
            if broken.name == "csrfmiddlewaretoken":
                continue
            typed_box = next((f for f in form.fields if f.kind in ("text", "textarea") and f is not broken), None)
            for value in wrong_values(broken):
                data = form.data()
                data[broken.name] = [value]
                if typed_box is not None:
                    data[typed_box.name] = [TYPED]
                status, body = submit(client, form, data)
                submissions += 1
                where = f"{form.action} (form on {page}) with {broken.name}={value[:20]!r}"
                if status >= 500:
                    problems.append(f"{where}: HTTP {status}")
                elif status == 200 and typed_box is not None and "<form" in body:
                    kept_checks += 1
                    if TYPED not in html.unescape(body):
                        problems.append(f"{where}: the redisplayed form lost what was typed in {typed_box.name}")
    assert not problems, "\n".join(problems)
    # The walk must really have reached the forms: the builder alone has a dozen fields.
    assert submissions >= 100 and kept_checks >= 20, (submissions, kept_checks)

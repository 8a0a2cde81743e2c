"""Numbers in URLs and posts are read strictly: a malformed one is a 400 or a field error, never a 500.

"²" is the classic: `"²".isdigit()` is true, and `int("²")` raises.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import BadRequest
from django.test import Client
from django.urls import reverse

from pushadmin.accounts.access import ALL_ROLES
from pushadmin.accounts.models import Membership
from pushadmin.campaigns.settings_forms import StrategyForm
from pushadmin.console.request_numbers import is_whole_number, number_from, parse_whole_number
from tests.personas import Cast
from tests.security.site_map import all_routes, concrete_path
from tests.security.world import World, build_world

pytestmark = pytest.mark.django_db

BAD_NUMBERS = ["²", "٣", "1_000", " 7", "+7", "9" * 40]
WALKED_NUMBERS = ["²", "9" * 40]  # a Unicode digit, and more digits than any integer column holds
# Every name a view reads a number (or a choice) from, and a few more for pages added later.
NUMBER_PARAMETERS = ["before", "page", "n", "workspace", "rejected_page", "revision", "row", "status", "campaign"]
PATH_FILLERS = {"kind": "campaigns"}


@pytest.mark.parametrize("text", [*BAD_NUMBERS, "", "-1", "1.0", "0x1"])
def test_only_ascii_digits_make_a_whole_number(text: str) -> None:
    assert not is_whole_number(text)
    with pytest.raises(ValueError):
        parse_whole_number(text)


def test_a_missing_number_takes_its_default_and_a_malformed_one_is_a_bad_request() -> None:
    assert number_from({}, "page", 1) == 1
    assert number_from({"page": ""}, "page", 1) == 1
    assert number_from({"page": "0042"}, "page", 1) == 42
    with pytest.raises(BadRequest):
        number_from({"page": "²"}, "page", 1)


@pytest.fixture
def everyone(cast: Cast) -> Client:
    """Every role in workspace A and installation staff: no view refuses before reading its numbers."""
    person = get_user_model().objects.create_user("pat.everything", password="a long passphrase 77", is_staff=True)
    for role in ALL_ROLES:
        Membership.objects.create(user=person, workspace=cast.workspace, role=role)
    client = Client(raise_request_exception=False)
    client.force_login(person)
    return client


@pytest.fixture
def world(cast: Cast) -> World:
    return build_world(cast.workspace, cast.marketer, "NUMq7")


def test_every_get_view_answers_malformed_numbers_without_a_server_error(
    cast: Cast, everyone: Client, world: World
) -> None:
    problems = []
    walked = 0
    for route in all_routes():
        if route.in_admin_site or "GET" not in (route.methods or ("GET",)) or "logout" in route.route:
            continue
        path = concrete_path(route, cast.workspace.pk, {**PATH_FILLERS, **world.ids_for(route)})
        for name in NUMBER_PARAMETERS:
            for value in WALKED_NUMBERS:
                response = everyone.get(path, {name: value})
                walked += 1
                if response.status_code >= 500:
                    problems.append(f"GET {path}?{name}={value!r}: {response.status_code}")
    assert walked > 100
    assert not problems, "\n".join(problems)


def test_the_numbers_named_in_the_report_are_bad_requests(cast: Cast, everyone: Client, world: World) -> None:
    campaign = world.objects["campaign"]
    workspace = {"workspace_id": cast.workspace.pk}
    in_campaign = {**workspace, "campaign_id": campaign.pk}
    for path, name in [
        (reverse("console:switch"), "workspace"),
        (reverse("audit:history", kwargs=workspace), "before"),
        (reverse("audit:trail", kwargs=workspace), "before"),
        (reverse("campaigns:edit", kwargs=in_campaign), "page"),
        (reverse("campaigns:rows", kwargs=in_campaign), "page"),
        (reverse("campaigns:blank_row", kwargs=in_campaign), "n"),
    ]:
        assert everyone.get(path, {name: "²"}).status_code == 400, (path, name)


def test_posted_row_keys_that_are_not_numbers_are_bad_requests(cast: Cast, everyone: Client, world: World) -> None:
    campaign = world.objects["campaign"]
    kwargs = {"workspace_id": cast.workspace.pk, "campaign_id": campaign.pk}
    rows = everyone.post(reverse("campaigns:rows", kwargs=kwargs), {"rows": ["²"], "row-²-target": "u1"})
    preview = everyone.post(reverse("campaigns:row_preview", kwargs=kwargs), {"row": "²", "row-²-target": "u1"})
    assert (rows.status_code, preview.status_code) == (400, 400)
    assert campaign.messages.filter(target="u1").count() == 0


@pytest.mark.parametrize("days", ["²", "1, ²", "9" * 40])
def test_month_days_that_are_not_numbers_get_a_field_error(days: str) -> None:
    data = {"type": "loop", "time_zone": "Asia/Shanghai", "circle": "monthly", "month_days": days}
    form = StrategyForm({f"s-{name}": value for name, value in data.items()})
    assert not form.is_valid()
    assert "is not a day of the month" in form.errors["month_days"][0]

"""A person opens pushadmin in Chromium, logs in and sees only their role's navigation."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.fixtures.browser import screenshot
from tests.personas import PASSWORD, Cast

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_login_page_is_what_an_anonymous_visitor_sees(live_server: object, page: Page, cast: Cast) -> None:
    page.goto(f"{live_server.url}/")  # type: ignore[attr-defined]
    expect(page.get_by_role("heading", name="Log in to pushadmin")).to_be_visible()
    screenshot(page, "login")
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(
    login: Callable[[str, str], Page], cast: Cast
) -> None:
    page = login("mia.marketer", "not the password")
    expect(page.get_by_role("alert")).to_contain_text("didn't match")


@pytest.mark.parametrize(
    ("username", "visible", "hidden"),
    [
        ("abe.admin", ["Members", "Settings"], ["Review queue"]),
        ("ada.auditor", ["Dashboard"], ["Members", "Settings"]),
        ("mia.marketer", ["Dashboard"], ["Members", "Settings", "Review queue"]),
    ],
)
def test_each_role_sees_its_own_navigation(
    login: Callable[[str, str], Page], cast: Cast, username: str, visible: list[str], hidden: list[str]
) -> None:
    page = login(username, PASSWORD)
    nav = page.get_by_role("navigation", name="Main")
    expect(page.get_by_role("heading", name=cast.workspace.name)).to_be_visible()
    for label in visible:
        expect(nav.get_by_role("link", name=label, exact=True)).to_be_visible()
    for label in hidden:
        expect(nav.get_by_role("link", name=label, exact=True)).to_have_count(0)
    screenshot(page, f"dashboard-{username}")
    assert page.console_errors == []  # type: ignore[attr-defined]

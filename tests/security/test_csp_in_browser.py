"""Chromium with the real Content-Security-Policy: no page of the project trips it.

Every GET page is opened by every role (with real objects in the URLs); Chromium reports each
blocked inline script, inline style or eval as a console error, and there must be none.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

from pushadmin.accounts.access import ALL_ROLES
from tests.accounts.authenticator import code_for
from tests.fixtures.browser import screenshot
from tests.personas import PASSWORD, Cast, make_user
from tests.security.site_map import all_routes, concrete_path
from tests.security.world import build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def csp_problems(page: Page) -> list[str]:
    words = ("Content Security Policy", "Refused to", "unsafe-eval", "unsafe-inline")
    return [text for text in page.console_errors if any(word in text for word in words)]  # type: ignore[attr-defined]


def test_no_page_violates_the_content_security_policy(
    live_server: object, login: Callable[[str, str], Page], cast: Cast
) -> None:
    # One person holding every role sees every page once; the matrix test checks roles apart.
    make_user("all.roles", cast.workspace, *ALL_ROLES)
    world = build_world(cast.workspace, cast.marketer, "CSPw9")
    page = login("all.roles", PASSWORD)
    visited = []
    for route in all_routes():
        if route.in_admin_site or "GET" not in (route.methods or ("GET",)):
            continue
        path = concrete_path(route, cast.workspace.pk, world.ids_for(route))
        try:
            response = page.goto(f"{live_server.url}{path}")  # type: ignore[attr-defined]
        except PlaywrightError as error:
            if "Download is starting" in str(error):
                continue  # an export: a file, not a page
            raise
        page.wait_for_load_state("load")
        assert response is not None
        if response.ok and "text/html" in response.headers.get("content-type", ""):
            visited.append(path)
            screenshot(page, f"page-{route.name.replace(':', '-')}")
            assert "script-src 'self'" in response.all_headers()["content-security-policy"]
    assert len(visited) >= 3
    assert csp_problems(page) == [], visited


def test_the_two_factor_journey_shows_its_qr_code_under_the_policy(
    live_server: object, login: Callable[[str, str], Page], cast: Cast
) -> None:
    cast.workspace.require_two_factor = True
    cast.workspace.save()
    page = login("rob.reviewer", PASSWORD)
    expect(page.get_by_role("heading", name="Set up two-factor sign-in")).to_be_visible()
    qr = page.get_by_role("img", name="QR code to add pushadmin to an authenticator app")
    expect(qr).to_be_visible()
    assert qr.evaluate("image => image.naturalWidth") > 100  # the SVG really rendered
    screenshot(page, "two-factor-enrol")
    key = page.locator(".two-factor-key").inner_text()
    page.get_by_label("Six-digit code").fill(code_for(key))
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.get_by_text("Save these recovery codes now")).to_be_visible()
    expect(page.locator(".recovery-codes li")).to_have_count(10)
    screenshot(page, "two-factor-recovery-codes")
    assert csp_problems(page) == []
    page.get_by_role("link", name="I have saved them, continue").click()
    page.get_by_role("button", name="Log out").click()
    page = login("rob.reviewer", PASSWORD)
    expect(page.get_by_role("heading", name="Enter your sign-in code")).to_be_visible()
    screenshot(page, "two-factor-verify")
    assert csp_problems(page) == []


def test_a_locked_sign_in_explains_itself(live_server: object, login: Callable[[str, str], Page], cast: Cast) -> None:
    for _ in range(5):
        page = login("ada.auditor", "not the password")
    page = login("ada.auditor", PASSWORD)
    expect(page.get_by_role("alert")).to_contain_text("Too many failed sign-ins")
    screenshot(page, "login-locked")
    assert csp_problems(page) == []


def test_the_django_admin_works_for_staff_under_the_policy(
    live_server: object, login: Callable[[str, str], Page], cast: Cast
) -> None:
    staff = get_user_model().objects.create_superuser("sam.staff", password=PASSWORD)
    page = login("sam.staff", PASSWORD)
    for path in ["/django-admin/", "/django-admin/accounts/membership/", f"/django-admin/auth/user/{staff.pk}/change/"]:
        page.goto(f"{live_server.url}{path}")  # type: ignore[attr-defined]
        page.wait_for_load_state("networkidle")
    expect(page.get_by_role("heading", name="Change user")).to_be_visible()
    screenshot(page, "django-admin-under-csp")
    assert csp_problems(page) == []

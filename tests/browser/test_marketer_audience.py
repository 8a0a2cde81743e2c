"""A marketer uploads an audience file in Chromium and reads the import report."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.fixtures.browser import screenshot
from tests.personas import PASSWORD, Cast

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]

XSS = '<img src=x onerror="document.body.dataset.owned=1">'


def test_marketer_uploads_a_gbk_file_and_sees_the_rejected_rows_with_line_numbers(
    login: Callable[[str, str], Page], cast: Cast, live_server: object, celery_worker: Any, tmp_path: Path
) -> None:
    lines = ["target\tname\tmoney"] + [f"user{i}\t张三{i}\t{i}" for i in range(2, 4000)]
    lines[10] = "\t没有目标\t5"  # line 11: empty target
    lines[20] = "user5\tagain\t5"  # line 21: duplicate of line 5
    lines[30] = f"{XSS}\t李四\t5\tsurprise"  # line 31: a value too many, and a target carrying markup
    lines[40] = "user41\t王五\t"  # line 41: no value for money: kept, the campaign's policy decides
    upload = tmp_path / "winners.csv"
    upload.write_bytes(("\r\n".join(lines) + "\r\n").encode("gbk"))

    page = login("mia.marketer", PASSWORD)
    page.goto(f"{live_server.url}/w/{cast.workspace.pk}/audiences/new/")  # type: ignore[attr-defined]
    page.locator("#id_name").fill("Winter winners")
    page.get_by_label("CSV file").set_input_files(str(upload))
    page.get_by_role("button", name="Create and import").click()
    expect(page.get_by_text("3995 imported")).to_be_visible(timeout=60_000)
    expect(page.locator("[data-rows-with-missing]")).to_have_text("1 of them with a missing value")
    expect(page.get_by_text("3 rejected")).to_be_visible()
    expect(page.get_by_text("(gb18030, tab-separated)")).to_be_visible()
    report = page.get_by_role("table").first
    expect(report).to_contain_text("empty target")
    expect(report).to_contain_text("duplicate target (first on line 5)")
    expect(report).to_contain_text("unknown column: 4 values but line 1 names 3 columns")
    expect(report.locator("tr", has_text="unknown column")).to_contain_text(XSS)
    expect(page.get_by_role("table").nth(1)).to_contain_text("张三2")
    screenshot(page, "marketer-audience-report")
    assert page.evaluate("document.body.dataset.owned") is None
    assert page.console_errors == [], page.console_errors  # type: ignore[attr-defined]

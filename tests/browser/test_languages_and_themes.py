"""Every persona's main pages in Chinese and English, light and dark, in a real browser.

The Chinese pages must show no English word a person reads (product names, API field names,
codes, ids and the data itself excepted); axe-core must find nothing serious or critical in
either language or theme; the builder and the review page must work from the keyboard.
Screenshots land in var/screenshots/ (desktop 1366x900, phone 390x844).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import Browser, BrowserContext, Page, expect

from pushadmin.accounts.models import Preference, Role
from pushadmin.analytics import sync
from pushadmin.api import tokens
from pushadmin.audiences.importing import run_import, store_upload
from pushadmin.audiences.models import Audience, AudienceImport
from pushadmin.campaigns.lifecycle import transition
from pushadmin.campaigns.models import CampaignStatus, Template
from pushadmin.campaigns.workflow import submit_for_review
from pushadmin.console import recorded_reasons
from pushadmin.safety.models import Suppression, SuppressionReason
from pushadmin.webhooks.models import Attempt, Delivery, DeliveryStatus, Endpoint
from pushadmin.workspaces import encryption
from tests.analytics.sending import enqueued, send  # noqa: F401  (fixtures)
from tests.fixtures.browser import SCREENSHOT_DIR, screenshot
from tests.personas import PASSWORD, Cast
from tests.reviews.campaign_rows import make_campaign, request_by

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
LANGUAGES = {"en": "en-US", "zh": "zh-CN"}
THEMES = ("light", "dark")
# Words that stay as they are in the Chinese console: product and vendor names, API and wire
# field names, units and formats, and the language's own name in the switcher.
KEPT_WORDS = {
    "pushadmin",
    "mPaaS",
    "PushMultiple",
    "MsgKey",
    "MsgKeys",
    "RequestId",
    "AccessKey",
    "AppId",
    "WorkspaceId",
    "ExtendedParams",
    "extendedParams",
    "ThirdChannelCategory",
    "NotifyLevel",
    "NotifyType",
    "PushAction",
    "Silent",
    "Classification",
    "ChannelId",
    "MiChannelId",
    "ActivityEvent",
    "ActivityContentState",
    "DismissalDate",
    "ExpiredSeconds",
    "DeliveryType",
    "UTC",
    "HTTP",
    "API",
    "CSV",
    "JSON",
    "IANA",
    "URL",
    "iOS",
    "Android",
    "HarmonyOS",
    "OPPO",
    "vivo",
    "VOIP",
    "EXPRESS",
    "Intent",
    "Activity",
    "Secret",
    "zip",
    "English",
    "Asia",
    "Shanghai",
    "target",
    "FreeOTP",
    "Aegis",
    "Google",
    "Authenticator",
    "Password",
    "MB",
    "GBK",
    "BOM",
    "UTF",
    "ID",
    "IM",
    "IP",
    "Enter",
    "Esc",
    "ACS",
    "HMAC-SHA",
    "TenantId",
    "Unix",
    "score",
    "system",
    "tsystem",
    # API values shown next to their meaning in the builder's option lists.
    "notify",
    "transparent",
    "update",
    "end",
    # Vendor channels and products, named as their vendors name them.
    "HMS",
    "APNs",
    "FCM",
    "Push",
    "Kit",
    "RevokePushTask",
    "OK",  # mPaaS's result code of an accepted call
    # The suppression list's CSV columns and reason values, typed into files as they are.
    "reason",
    "note",
    "opted",
    "out",
    "complaint",
    "legal",
    "hold",
    "POST",  # the HTTP method webhooks are sent with
}
# Names of several words that stay as they are: the specification webhooks are signed by.
KEPT_PHRASES = ("Standard Webhooks",)
ROWS = [("userid1024", {"name": "张三", "money": "200"}), ("userid1025", {"name": "李四", "money": "88"})]
WORD = re.compile(r"[A-Za-z][A-Za-z\u2019'-]*[A-Za-z]")
VISIBLE_TEXT = """() => {
  const body = document.body.cloneNode(true);
  body.querySelectorAll("code, kbd, script, style, .mono, .hash, [data-data]").forEach(el => el.remove());
  // Each option of a list on its own, as a person reads them (innerText runs them together).
  body.querySelectorAll("select").forEach(select => {
    const words = document.createElement("span");
    words.textContent = " " + [...select.options].map(option => option.text).join(" ") + " ";
    select.replaceWith(words);
  });
  return body.innerText;
}"""


def world(cast: Cast, sent: Any) -> dict[str, Any]:
    """A template, a campaign in review, one sending and one sent with mPaaS's figures read, and a
    suppressed target, named as a Chinese marketer would (the template comes first: see `pages`)."""
    in_review = submit_for_review(
        make_campaign(cast.workspace, cast.marketer, name="双十一会员回馈", rows=ROWS),
        request=request_by(cast.marketer),
    )
    sending = submit_for_review(
        make_campaign(cast.workspace, cast.marketer, name="春节红包提醒", rows=ROWS), request=request_by(cast.marketer)
    )
    for to in (CampaignStatus.APPROVED, CampaignStatus.SENDING):
        sending = transition(sending, to, action="t")
    ws = cast.workspace.pk
    template = Template.objects.get(workspace=cast.workspace, name="demo-welcome")
    Suppression.objects.create(
        workspace=cast.workspace,
        target="userid2048",
        reason=SuppressionReason.COMPLAINT,
        note="工单 3321",
        added_by=cast.reviewer,
    )
    endpoint = webhook_endpoint_with_deliveries(cast)
    with_rejects, failed = audiences_with_import_problems(cast)
    tokens.create(
        cast.marketer,
        cast.workspace,
        name="客户数据导出",
        roles=[Role.MARKETER],
        expires_at=timezone.now() + timedelta(days=30),
    )
    return {
        "pages": {
            "mia.marketer": [
                ("dashboard", f"/w/{ws}/"),
                ("template-editor", f"/w/{ws}/templates/{template.pk}/"),
                ("templates", f"/w/{ws}/templates/"),
                ("audiences", f"/w/{ws}/audiences/"),
                ("audience-rejects", f"/w/{ws}/audiences/{with_rejects.pk}/"),
                ("audience-failed", f"/w/{ws}/audiences/{failed.pk}/"),
                ("campaigns", f"/w/{ws}/campaigns/"),
                ("builder", f"/w/{ws}/campaigns/{in_review.pk}/edit/"),
                ("campaign", f"/w/{ws}/campaigns/{in_review.pk}/"),
                ("progress", f"/w/{ws}/campaigns/{sending.pk}/sending/"),
                ("sent-progress", f"/w/{ws}/campaigns/{sent.pk}/sending/"),
                ("figures", f"/w/{ws}/campaigns/{sent.pk}/figures/"),
                ("analytics", f"/w/{ws}/analytics/"),
                ("notifications", "/notifications/"),
                ("api-tokens", "/accounts/api-tokens/"),
            ],
            "rob.reviewer": [
                ("review-queue", f"/w/{ws}/reviews/"),
                ("review", f"/w/{ws}/reviews/{in_review.pk}/"),
                ("suppressions", f"/w/{ws}/suppressions/"),
                ("recall", f"/w/{ws}/campaigns/{sent.pk}/recall/"),
            ],
            "ada.auditor": [
                ("history", f"/w/{ws}/history/"),
                ("history-messages", f"/w/{ws}/history/messages/"),
                ("history-calls", f"/w/{ws}/history/calls/"),
                ("trail", f"/w/{ws}/trail/"),
                ("evidence", f"/w/{ws}/history/campaigns/{sending.pk}/"),
                ("history-figures", f"/w/{ws}/history/figures/"),
                ("sent-evidence", f"/w/{ws}/history/campaigns/{sent.pk}/"),
            ],
            "abe.admin": [
                ("members", f"/w/{ws}/members/"),
                ("settings", f"/w/{ws}/settings/"),
                ("admin-analytics", f"/w/{ws}/analytics/"),
                ("webhooks", f"/w/{ws}/webhooks/"),
                ("webhook-deliveries", f"/w/{ws}/webhooks/{endpoint.pk}/"),
            ],
        },
        # What people typed is theirs, in whatever language they typed it.
        "data_words": set(
            WORD.findall(" ".join([cast.workspace.name, *usernames(cast), "demo-welcome", "name", "money", "Customer"]))
        ),
    }


def webhook_endpoint_with_deliveries(cast: Cast) -> Endpoint:
    """An endpoint with one delivery answered and one waiting to be tried again, and a second
    endpoint the failures disabled (reasons stored in English, read in the reader's language)."""
    endpoint = Endpoint.objects.create(
        workspace=cast.workspace,
        url="https://localhost/pushadmin",  # a delivery a worker tries never leaves the machine
        description="同步到客户系统",
        events=["campaign.approved", "campaign.finished"],
        secret_encrypted=encryption.encrypt("whsec_" + "A" * 44),
        created_by=cast.admin,
    )
    Endpoint.objects.create(
        workspace=cast.workspace,
        url="https://localhost:8443/old-hook",
        events=["campaign.paused"],
        secret_encrypted=encryption.encrypt("whsec_" + "B" * 44),
        enabled=False,
        disabled_reason=recorded_reasons.written(recorded_reasons.ENDPOINT_DISABLED_AFTER, limit=20),
        created_by=cast.admin,
    )
    now = timezone.now()
    answered = Delivery.objects.create(
        endpoint=endpoint,
        event="campaign.approved",
        message_id="msg_answered",
        payload={},
        status=DeliveryStatus.SUCCEEDED,
        attempts=1,
        last_status_code=204,
        last_latency_ms=35,
        delivered_at=now,
    )
    Attempt.objects.create(delivery=answered, started_at=now, latency_ms=35, status_code=204, succeeded=True)
    refused = recorded_reasons.written(recorded_reasons.HOST_RESOLVES_PRIVATE, host="hooks.example.com")
    waiting = Delivery.objects.create(
        endpoint=endpoint,
        event="campaign.finished",
        message_id="msg_waiting",
        payload={},
        status=DeliveryStatus.PENDING,
        attempts=1,
        last_latency_ms=2,
        last_error=refused,
        next_attempt_at=now + timedelta(hours=5),  # far off: no worker of the test tries it
    )
    Attempt.objects.create(delivery=waiting, started_at=now, latency_ms=2, error=refused)
    return endpoint


def audiences_with_import_problems(cast: Cast) -> tuple[Audience, Audience]:
    """An audience whose import left rows out (each reason stored in English) and one whose file
    could not be read at all, both imported by a real import run."""
    rows = [
        "target,name,money,extendedParams",
        "userid3001,王五,50,",
        ",赵六,20,",  # no target
        "userid3001,王五,60,",  # the same target again
        'userid3003,孙七,70,"{bad json"',
        'userid3004,周八,80,"{""action"": ""x""}"',
        "userid3005,吴九,90,,多出的一列",
    ]
    with_rejects = Audience.objects.create(workspace=cast.workspace, name="年货节会员", created_by=cast.marketer)
    failed = Audience.objects.create(workspace=cast.workspace, name="门店导出", created_by=cast.marketer)
    for audience, data in ((with_rejects, "\n".join(rows).encode()), (failed, b"target,name\nuserid4001,\x00\n")):
        stored, size = store_upload([data])
        job = AudienceImport.objects.create(
            audience=audience, stored_name=stored, bytes_total=size, created_by=cast.marketer, original_name="会员.csv"
        )
        run_import(job.pk)
    return with_rejects, failed


def usernames(cast: Cast) -> list[str]:
    return [user.get_username() for user in (cast.marketer, cast.reviewer, cast.auditor, cast.admin)]


# The pages the accessibility check covers, one per kind.
AXE_PAGES = (
    "dashboard",
    "template-editor",
    "builder",
    "review",
    "progress",
    "history",
    "evidence",
    "settings",
    "members",
    "suppressions",
    "recall",
    "figures",
    "analytics",
    "api-tokens",
    "webhooks",
    "webhook-deliveries",
    "audience-rejects",
)


@pytest.fixture
def pages(cast: Cast, mpaas_sandbox: Any, send: Any) -> dict[str, Any]:  # noqa: F811
    mpaas_sandbox.http.post(f"{mpaas_sandbox.url}/_sandbox/phones", json={"clockSpeed": 0, "advanceHours": 24})
    Template.objects.create(
        workspace=cast.workspace,
        name="demo-welcome",
        title="恭喜您",
        content="#name#, 恭喜您获得 #money# 元奖励",
        created_by=cast.marketer,
    )
    # Notices are shown in the reader's language, even those of a send a worker of the session finishes later.
    sent = send(mpaas_sandbox.url, 60, name="国庆会员关怀")
    sync.run(seconds=60)
    return world(cast, sent)


def context_for(browser: Browser, language: str, theme: str, viewport: dict[str, int] = DESKTOP) -> BrowserContext:
    return browser.new_context(
        viewport=viewport,  # type: ignore[arg-type]
        locale=LANGUAGES[language],
        color_scheme=theme,  # type: ignore[arg-type]
    )


def signed_in(context: BrowserContext, base: str, username: str) -> Page:
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state("networkidle")
    return page


def english_left(page: Page, allowed: set[str]) -> list[str]:
    """Words of Latin letters a reader sees, leaving out ids, codes, addresses and e-mail (any token
    with a digit, @, /, _, . or # in it), the kept phrases and the allowed words."""
    text = page.evaluate(VISIBLE_TEXT)
    for phrase in KEPT_PHRASES:
        text = text.replace(phrase, " ")
    tokens = [token for token in text.split() if not re.search(r"[\d@/_.#]", token)]
    return sorted({word for word in WORD.findall(" ".join(tokens)) if word not in allowed})


def every_page(pages: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
    for username, paths in pages["pages"].items():
        for name, path in paths:
            yield username, name, path


def test_every_main_page_reads_in_chinese_on_desktop_and_phone(
    pages: dict[str, Any], live_server: Any, browser: Browser
) -> None:
    allowed = KEPT_WORDS | pages["data_words"]
    problems: list[str] = []
    for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        context = context_for(browser, "zh", "light", viewport)
        sign_in = context.new_page()
        sign_in.goto(f"{live_server.url}/accounts/login/")
        assert sign_in.get_attribute("html", "lang") == "zh-Hans"
        problems += [f"sign-in: {word}" for word in english_left(sign_in, allowed)]
        screenshot(sign_in, f"zh-{size}-sign-in")
        context.close()
        for username, paths in pages["pages"].items():
            context = context_for(browser, "zh", "light", viewport)
            page = signed_in(context, live_server.url, username)
            for name, path in paths:
                response = page.goto(f"{live_server.url}{path}")
                assert response is not None and response.status == 200, path
                page.wait_for_load_state("networkidle")
                left = english_left(page, allowed)
                problems += [f"{name}: {word}" for word in left]
                screenshot(page, f"zh-{size}-{name}")
            context.close()
    assert not sorted(set(problems)), "English left on Chinese pages:\n" + "\n".join(sorted(set(problems)))


def test_the_header_switcher_keeps_the_language_and_theme_on_the_account(
    cast: Cast, pages: dict[str, Any], live_server: Any, browser: Browser
) -> None:
    context = context_for(browser, "en", "light")
    page = signed_in(context, live_server.url, "mia.marketer")
    page.goto(f"{live_server.url}/w/{cast.workspace.pk}/campaigns/")
    page.select_option("#pref-language", "zh-hans")
    page.select_option("#pref-theme", "dark")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url(f"**/w/{cast.workspace.pk}/campaigns/")
    assert page.get_by_role("heading", level=1).inner_text() == "推送活动"
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(17, 21, 28)", "a saved dark theme wins over a light system setting"
    preference = Preference.objects.get(user=cast.marketer)
    assert (preference.language, preference.theme) == ("zh-hans", "dark")
    context.close()


def test_the_dark_theme_follows_the_system_and_keeps_text_readable(
    cast: Cast, pages: dict[str, Any], live_server: Any, browser: Browser
) -> None:
    context = context_for(browser, "zh", "dark")
    page = signed_in(context, live_server.url, "mia.marketer")
    page.goto(f"{live_server.url}/w/{cast.workspace.pk}/templates/{Template.objects.get(name='demo-welcome').pk}/")
    colours = page.evaluate(
        """() => [document.body, document.querySelector('.phone .notification-title')].map(
             el => [getComputedStyle(el).color, getComputedStyle(el).backgroundColor])"""
    )
    assert colours[0] == ["rgb(228, 232, 239)", "rgb(17, 21, 28)"]
    assert colours[1][0] == "rgb(228, 232, 239)", "the phone preview's text is light on a dark card"
    context.close()


def serious_of(results: Any, where: str) -> list[str]:
    return [
        f"{where}: {v['id']} {v['help']} ({len(v['nodes'])}x, first {v['nodes'][0]['target']})"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def impacts(results: Any) -> Counter[str]:
    return Counter(violation.get("impact") or "none" for violation in results.response["violations"])


def test_axe_finds_nothing_serious_in_either_language_or_theme(
    pages: dict[str, Any], live_server: Any, browser: Browser
) -> None:
    axe = Axe()
    by_impact: Counter[str] = Counter()
    serious: list[str] = []
    checked = 0
    wanted = {name: (username, path) for username, name, path in every_page(pages) if name in AXE_PAGES}
    for language in LANGUAGES:
        for theme in THEMES:
            anonymous = context_for(browser, language, theme)
            page = anonymous.new_page()
            page.goto(f"{live_server.url}/accounts/login/")
            results = axe.run(page)
            by_impact += impacts(results)
            serious += serious_of(results, f"{language}/{theme} sign-in")
            screenshot(page, f"axe-{language}-{theme}-sign-in")
            checked += 1
            anonymous.close()
            for username in {username for username, _path in wanted.values()}:
                context = context_for(browser, language, theme)
                page = signed_in(context, live_server.url, username)
                for name, (owner, path) in wanted.items():
                    if owner != username:
                        continue
                    page.goto(f"{live_server.url}{path}")
                    page.wait_for_load_state("networkidle")
                    results = axe.run(page)
                    by_impact += impacts(results)
                    serious += serious_of(results, f"{language}/{theme} {name}")
                    screenshot(page, f"axe-{language}-{theme}-{name}")
                    checked += 1
                context.close()
    summary = {
        "pages": len(wanted) + 1,
        "languages": len(LANGUAGES),
        "themes": len(THEMES),
        "runs": checked,
        "violations": dict(by_impact),
    }
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    (SCREENSHOT_DIR / "axe-summary.json").write_text(json.dumps(summary, indent=2))
    assert checked == (len(wanted) + 1) * len(LANGUAGES) * len(THEMES)
    assert not serious, "\n".join(serious)


def test_the_builder_and_the_review_work_from_the_keyboard(
    cast: Cast, pages: dict[str, Any], live_server: Any, browser: Browser
) -> None:
    context = context_for(browser, "zh", "light")
    page = signed_in(context, live_server.url, "rob.reviewer")
    review = next(path for _user, name, path in every_page(pages) if name == "review")
    page.goto(f"{live_server.url}{review}")
    page.wait_for_selector("html[data-review-keys=ready]")
    page.keyboard.press("r")
    assert page.evaluate("document.activeElement.name") == "reason"
    page.keyboard.type("标题里的金额写错了")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "驳回并退回草稿"
    page.keyboard.press("Enter")
    page.wait_for_load_state("networkidle")
    assert "已附上您的理由退回草稿" in page.inner_text("main")
    context.close()

    context = context_for(browser, "zh", "light")
    page = signed_in(context, live_server.url, "mia.marketer")
    builder = next(path for _user, name, path in every_page(pages) if name == "builder")
    page.goto(f"{live_server.url}{builder}")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    reached = []
    for _step in range(120):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            """() => { const el = document.activeElement, box = el.getBoundingClientRect();
                 const style = getComputedStyle(el);
                 return [el.tagName, el.id, el.textContent.trim().slice(0, 20), box.width > 0 && box.height > 0,
                         style.outlineStyle !== 'none' || style.boxShadow !== 'none'] }"""
        )
        reached.append(focused)
        assert focused[3], f"focus went to something invisible: {focused}"
        if focused[0] == "BUTTON" and focused[2] == "保存推送活动":
            break
    else:
        pytest.fail(f"the save button cannot be reached with Tab: {reached[-5:]}")
    assert all(item[4] for item in reached), "every focused control shows where the focus is"
    name_field = page.locator("#id_name")
    name_field.focus()
    page.keyboard.press("Control+A")
    page.keyboard.type("双十一会员回馈 2")
    page.keyboard.press("Enter")
    # The save is a navigation that may not have begun when Enter returns: wait for its page.
    expect(page.get_by_role("heading", level=1)).to_contain_text("双十一会员回馈 2", timeout=15_000)
    context.close()

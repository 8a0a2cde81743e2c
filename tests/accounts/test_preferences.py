"""Each person's language and colour theme, chosen in the header and kept on their account."""

from __future__ import annotations

import pytest
from django.test import Client

from pushadmin.accounts.models import Preference
from pushadmin.audit.models import AuditEntry
from tests.personas import Cast

pytestmark = pytest.mark.django_db


def signed_in(user: object) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_saved_language_wins_over_what_the_browser_asks_for(cast: Cast) -> None:
    client = signed_in(cast.marketer)
    dashboard = f"/w/{cast.workspace.pk}/"
    response = client.post("/accounts/preferences/", {"language": "zh-hans", "theme": "dark", "next": dashboard})
    assert response.status_code == 302 and response["Location"] == dashboard
    page = client.get(dashboard, HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9").content.decode()
    assert '<html lang="zh-Hans" data-theme="dark"' in page
    assert "推送活动" in page and ">Campaigns<" not in page
    assert Preference.objects.get(user=cast.marketer).language == "zh-hans"


def test_without_a_saved_language_the_browser_decides(cast: Cast) -> None:
    client = signed_in(cast.reviewer)
    assert "审核队列" in client.get(f"/w/{cast.workspace.pk}/", HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    english = client.get(f"/w/{cast.workspace.pk}/", HTTP_ACCEPT_LANGUAGE="en-US").content.decode()
    assert "Review queue" in english and 'data-theme="' not in english


def test_going_back_to_the_browsers_language_forgets_the_choice(cast: Cast) -> None:
    client = signed_in(cast.auditor)
    client.post("/accounts/preferences/", {"language": "zh-hans", "theme": "light"})
    client.post("/accounts/preferences/", {"language": "", "theme": "system"})
    page = client.get(f"/w/{cast.workspace.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="en">' in page and "History" in page


def test_a_change_of_preferences_is_audited_once_and_a_repeat_is_not(cast: Cast) -> None:
    client = signed_in(cast.admin)
    for _ in range(2):
        client.post("/accounts/preferences/", {"language": "zh-hans", "theme": "dark"})
    entries = AuditEntry.objects.filter(action="user.preferences_changed", actor=cast.admin)
    assert entries.count() == 1
    assert entries.get().after == {"language": "zh-hans", "theme": "dark"}


def test_unknown_values_are_not_saved(cast: Cast) -> None:
    client = signed_in(cast.marketer)
    client.post("/accounts/preferences/", {"language": "klingon", "theme": "neon"})
    preference = Preference.objects.get(user=cast.marketer)
    assert (preference.language, preference.theme) == ("", "system")


def test_someone_signed_out_chooses_the_sign_in_pages_language_with_a_cookie() -> None:
    client = Client()
    response = client.post("/accounts/preferences/", {"language": "zh-hans", "next": "/accounts/login/"})
    assert response["Location"] == "/accounts/login/"
    assert "登录 pushadmin" in client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert not Preference.objects.exists()


def test_the_switcher_never_sends_anyone_to_another_site(cast: Cast) -> None:
    response = signed_in(cast.marketer).post(
        "/accounts/preferences/", {"language": "en", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_the_switcher_works_without_javascript_as_a_form_in_the_header(cast: Cast) -> None:
    page = signed_in(cast.marketer).get(f"/w/{cast.workspace.pk}/").content.decode()
    assert '<form class="appearance" method="post" action="/accounts/preferences/">' in page
    assert '<option value="zh-hans" lang="zh-Hans">简体中文</option>' in page
    assert '<select id="pref-theme" name="theme">' in page


def test_notification_mail_is_written_in_the_language_its_reader_chose(cast: Cast) -> None:
    from django.core import mail

    from pushadmin.notifications import mailing
    from pushadmin.notifications.models import Notification

    cast.reviewer.email = "rob@example.com"
    cast.reviewer.save()
    Preference.objects.create(user=cast.reviewer, language="zh-hans")
    note = Notification.objects.create(
        user=cast.reviewer, workspace=cast.workspace, kind="campaign.submitted", text="x", link="/w/1/reviews/"
    )
    assert mailing.mail([note.pk]) == 1
    assert "工作空间\uff1aAcme push" in mail.outbox[-1].body and "Workspace:" not in mail.outbox[-1].body


def test_an_invitation_is_written_in_the_language_of_the_admin_who_sends_it(cast: Cast) -> None:
    from django.core import mail

    client = signed_in(cast.admin)
    client.post("/accounts/preferences/", {"language": "zh-hans"})
    client.post(f"/w/{cast.workspace.pk}/members/", {"email": "nia@example.com", "role": "reviewer"})
    assert mail.outbox[-1].subject == "您受邀加入 pushadmin 上的 Acme push"
    assert "以审核人身份加入" in mail.outbox[-1].body


def test_each_person_reads_a_notification_in_their_own_language(cast: Cast) -> None:
    from pushadmin.campaigns.models import Campaign, Template
    from pushadmin.notifications.models import Notification
    from pushadmin.notifications.receivers import notify

    Preference.objects.create(user=cast.marketer, language="zh-hans")
    template = Template.objects.create(
        workspace=cast.workspace, name="t", title="t", content="c", created_by=cast.marketer
    )
    campaign = Campaign.objects.create(
        workspace=cast.workspace, name="双十一", template=template, created_by=cast.marketer
    )
    notify(campaign, "campaign.rejected", cast.reviewer, {})
    notify(campaign, "campaign.submitted", cast.marketer, {})
    assert Notification.objects.get(user=cast.marketer).text == "“双十一”被 rob.reviewer 驳回\uff1a未说明理由"
    assert (
        Notification.objects.get(user=cast.reviewer).text
        == "“双十一” waits for your review (mia.marketer submitted it)."
    )


@pytest.mark.parametrize(
    ("theme", "dark_sheet"),
    [("system", 'dark.css" media="(prefers-color-scheme: dark)"'), ("dark", 'dark.css" media="all"'), ("light", None)],
)
def test_the_dark_colours_load_for_a_dark_system_or_a_saved_dark_choice_never_for_a_saved_light_one(
    cast: Cast, theme: str, dark_sheet: str | None
) -> None:
    client = signed_in(cast.marketer)
    client.post("/accounts/preferences/", {"language": "", "theme": theme})
    page = client.get(f"/w/{cast.workspace.pk}/").content.decode()
    if dark_sheet is None:
        assert "dark.css" not in page
    else:
        assert dark_sheet in page


def test_the_notifications_page_writes_each_notice_in_the_language_it_is_read_in(cast: Cast) -> None:
    """A notice made while the person had no saved language was mailed in English; once they read the
    console in Chinese, the page shows it in Chinese (and one made before notices kept their words as stored)."""
    from pushadmin.campaigns.models import Campaign, Template
    from pushadmin.notifications.models import Notification
    from pushadmin.notifications.receivers import notify

    template = Template.objects.create(
        workspace=cast.workspace, name="t", title="t", content="c", created_by=cast.marketer
    )
    campaign = Campaign.objects.create(
        workspace=cast.workspace, name="双十一", template=template, created_by=cast.marketer
    )
    notify(campaign, "campaign.rejected", cast.reviewer, {"reason": "金额写错了"})
    assert Notification.objects.get(user=cast.marketer).text == "“双十一” was rejected by rob.reviewer: 金额写错了"
    Notification.objects.create(
        user=cast.marketer, workspace=cast.workspace, campaign=campaign, kind="campaign.sent", text="an older notice"
    )
    client = signed_in(cast.marketer)
    english = client.get("/notifications/").content.decode()
    assert "“双十一” was rejected by rob.reviewer: 金额写错了" in english
    client.post("/accounts/preferences/", {"language": "zh-hans", "theme": "system"})
    chinese = client.get("/notifications/").content.decode()
    assert "“双十一”被 rob.reviewer 驳回\uff1a金额写错了" in chinese
    assert "was rejected" not in chinese
    assert "an older notice" in chinese

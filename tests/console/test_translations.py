"""The Chinese catalogue is complete, its compiled copy is current, and the console speaks it.

Messages are found the way `makemessages` finds them (Django's own `templatize` for templates),
but with Babel's pure-Python extractor, so this test needs no gettext tools installed.
"""

from __future__ import annotations

import gettext
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.extract import extract_python
from babel.messages.pofile import read_po
from django.conf import settings
from django.test import Client
from django.utils import translation
from django.utils.translation.template import templatize

from pushadmin.audit import descriptions
from pushadmin.console import code_meanings
from pushadmin.mpaas import errors
from tests.personas import Cast

ROOT = Path(settings.BASE_DIR)
LOCALE = ROOT / "pushadmin" / "locale" / "zh_Hans" / "LC_MESSAGES"
# The modules the catalogue covers: the sandbox and operations speak to programs, not people (of the
# mPaaS client, only the result codes' meanings in errors.py are marked).
NOT_TRANSLATED = ("pushadmin/sandbox/", "pushadmin/operations/", "/migrations/", "/management/")
KEYWORDS = {
    "_": None,
    "gettext": None,
    "gettext_lazy": None,
    "gettext_noop": None,
    "ngettext": (1, 2),
    "ngettext_lazy": (1, 2),
    "pgettext": ((1, "c"), 2),
    "pgettext_lazy": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3),
}
PLACEHOLDER = re.compile(r"%\(\w+\)s|%%|\{\w+\}")


def catalogue() -> dict[tuple[str, str], object]:
    with (LOCALE / "django.po").open("rb") as po:
        entries = read_po(po, locale="zh_Hans")
    return {(m.context or "", m.id[0] if isinstance(m.id, tuple) else m.id): m for m in entries if m.id}


def _extract(source: str) -> Iterator[tuple[str, str]]:
    for _line, funcname, messages, _comments in extract_python(io.BytesIO(source.encode()), KEYWORDS, [], {}):
        parts = messages if isinstance(messages, tuple) else (messages,)
        context = parts[0] if funcname.startswith(("pgettext", "npgettext")) else ""
        msgid = parts[1] if context else parts[0]
        if msgid:
            yield context or "", msgid


def messages_in_source() -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for path in (ROOT / "pushadmin").rglob("*.py"):
        if not any(part in path.as_posix() for part in NOT_TRANSLATED):
            found.update(_extract(path.read_text()))
    for path in (ROOT / "templates").rglob("*.html"):
        # templatize masks markup as letters but keeps the layout; unindented, it tokenizes as Python.
        python_like = "\n".join(line.lstrip() for line in templatize(path.read_text(), origin=str(path)).splitlines())
        found.update(_extract(python_like))
    return found


def test_every_message_of_the_console_has_a_chinese_translation() -> None:
    entries = catalogue()
    untranslated = []
    for key in sorted(messages_in_source()):
        entry = entries.get(key)
        text = getattr(entry, "string", None)
        strings = text if isinstance(text, tuple) else (text,)
        if entry is None or not all(strings) or getattr(entry, "fuzzy", False):
            untranslated.append(key[1])
    assert not untranslated, f"{len(untranslated)} messages lack a zh-Hans translation: {untranslated[:10]}"


def test_translations_keep_every_placeholder_of_the_english() -> None:
    wrong = []
    for (_context, msgid), entry in catalogue().items():
        text = entry.string  # type: ignore[attr-defined]
        for translated in text if isinstance(text, tuple) else (text,):
            if sorted(PLACEHOLDER.findall(msgid)) != sorted(PLACEHOLDER.findall(translated)):
                wrong.append(msgid)
    assert not wrong, f"placeholders differ in: {wrong}"


def test_the_committed_compiled_catalogue_matches_its_source() -> None:
    with (LOCALE / "django.mo").open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    stale = []
    for (context, msgid), entry in catalogue().items():
        key = f"{context}\x04{msgid}" if context else msgid
        text = entry.string  # type: ignore[attr-defined]
        if isinstance(text, tuple):
            if compiled.ngettext(key, "", 1) != text[0]:
                stale.append(msgid)
        elif compiled.gettext(key) != text:
            stale.append(msgid)
    assert not stale, f"django.mo is older than django.po (run `make messages`): {stale[:5]}"


def test_every_mpaas_result_code_meaning_is_marked_for_translation() -> None:
    marked = {msgid for context, msgid in messages_in_source() if not context}
    assert set(errors.MEANINGS.values()) <= marked


def test_audit_actions_read_as_words_in_chinese_and_unknown_codes_stay_codes() -> None:
    with translation.override("zh-hans"):
        assert descriptions.describe("campaign.approved") == "推送活动已批准"
        assert descriptions.describe("campaign.something_new") == "campaign.something_new"


@pytest.mark.parametrize(
    ("code", "chinese"),
    [("3022", "此工作空间中不存在该模板。"), ("InvalidTimeStamp.Expired", "本服务器时钟偏差超过 15 分钟。")],
)
def test_a_recorded_code_meaning_reads_in_chinese(code: str, chinese: str) -> None:
    with translation.override("zh-hans"):
        assert code_meanings.in_language(errors.MEANINGS[code]) == chinese
    with translation.override("en"):
        assert code_meanings.in_language(errors.MEANINGS[code]) == errors.MEANINGS[code]


@pytest.mark.django_db
def test_a_browser_asking_for_chinese_gets_the_sign_in_page_in_chinese() -> None:
    page = Client().get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9,en;q=0.5")
    body = page.content.decode()
    assert '<html lang="zh-Hans"' in body
    assert "登录 pushadmin" in body and "Log in to pushadmin" not in body
    assert page["Content-Language"] == "zh-hans"


@pytest.mark.django_db
def test_plural_forms_follow_the_count_in_both_languages(cast: Cast) -> None:
    from pushadmin.campaigns.models import Campaign, CampaignStatus, Template

    template = Template.objects.create(
        workspace=cast.workspace, name="t", title="Hi", content="x", created_by=cast.marketer
    )
    for n in range(2):
        Campaign.objects.create(
            workspace=cast.workspace,
            name=f"c{n}",
            template=template,
            created_by=cast.marketer,
            status=CampaignStatus.IN_REVIEW,
        )
    client = Client()
    client.force_login(cast.reviewer)
    assert "2 campaigns need you." in client.get(f"/w/{cast.workspace.pk}/").content.decode()
    chinese = client.get(f"/w/{cast.workspace.pk}/", HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert "2 个推送活动等待您处理。" in chinese

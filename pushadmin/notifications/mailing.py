"""Notifications by e-mail, through Django's mail settings, to people who have not turned mail off."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.utils import translation
from django.utils.translation import gettext

from pushadmin.accounts import preferences
from pushadmin.notifications.models import MailChoice, Notification

logger = logging.getLogger(__name__)


def wants_mail(user_id: int) -> bool:
    choice = MailChoice.objects.filter(user_id=user_id).values_list("send_mail", flat=True).first()
    return choice is not False


def mail(notification_ids: list[int]) -> int:
    """Mail each notification to its person's address; returns how many were mailed."""
    rows = list(Notification.objects.filter(pk__in=notification_ids).select_related("user", "workspace"))
    languages = preferences.languages_for(notification.user_id for notification in rows)
    messages = []
    for notification in rows:
        address = notification.user.email
        if not address or not wants_mail(notification.user_id):
            continue
        # Sent by a worker, so in the language the person chose for the console, not the request's.
        with translation.override(languages[notification.user_id]):
            body = gettext("%(text)s\n\nWorkspace: %(workspace)s\nOpen: %(link)s\n") % {
                "text": notification.text,
                "workspace": notification.workspace.name,
                "link": f"{site_url()}{notification.link}",
            }
        messages.append(EmailMessage(f"[pushadmin] {notification.text[:120]}", body, None, [address]))
    if not messages:
        return 0
    try:
        return get_connection().send_messages(messages) or 0
    except OSError as exc:  # a mail server that is down must not fail the task forever
        logger.warning("notification mail not sent (%s)", type(exc).__name__)
        return 0


def site_url() -> str:
    return str(getattr(settings, "PUSHADMIN_SITE_URL", "")).rstrip("/")

"""The notifications page: what happened to the campaigns a person takes part in, and their mail choice."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from pushadmin.accounts.requests import AuthenticatedRequest
from pushadmin.console.request_numbers import page_number_from
from pushadmin.notifications.mailing import wants_mail
from pushadmin.notifications.models import MailChoice, Notification

PAGE_SIZE = 30


@require_GET
def notification_list(request: AuthenticatedRequest) -> HttpResponse:
    rows = Notification.objects.filter(user=request.user).select_related("workspace")
    context = {
        "page": Paginator(rows, PAGE_SIZE).get_page(page_number_from(request.GET)),
        "send_mail": wants_mail(request.user.pk),
        "has_address": bool(request.user.email),
    }
    return render(request, "notifications/list.html", context)


@require_POST
def mark_all_read(request: AuthenticatedRequest) -> HttpResponse:
    marked = Notification.objects.filter(user=request.user, read_at=None).update(read_at=timezone.now())
    messages.success(
        request,
        ngettext("%(count)s notification marked as read.", "%(count)s notifications marked as read.", marked)
        % {"count": marked},
    )
    return redirect("notifications:list")


@require_POST
def mail_choice(request: AuthenticatedRequest) -> HttpResponse:
    send = request.POST.get("send_mail") == "on"
    MailChoice.objects.update_or_create(user=request.user, defaults={"send_mail": send})
    messages.success(
        request, _("Notifications are e-mailed to you.") if send else _("Notifications are no longer e-mailed.")
    )
    return redirect("notifications:list")

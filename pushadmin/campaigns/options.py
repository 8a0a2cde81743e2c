"""The JSON kept in ``Campaign.options``: every PushMultiple channel option, in one place.

Shape (keys absent or null mean "not sent"; the sender relies on exactly this)::

    {
      "expired_seconds": 86400,                 # ExpiredSeconds, 1..259200
      "notify_type": "notify" | "transparent",  # NotifyType
      "push_action": 0 | 1,                     # PushAction: 0 open a web URL, 1 open an activity
      "silent": true | false,                   # Silent 1 / 0
      "classification": "0" | "1",              # Classification (vivo): 0 operational, 1 system
      "third_channel_category": {"hms": "9", "vivo": "1", ...},   # ThirdChannelCategory
      "notify_level": {"hms": "2", "oppo": "16", ...},            # NotifyLevel
      "channel_id": "marketing",                # ChannelId (Android notification channel)
      "mi_channel_id": "123321",                # MiChannelId
      "extended_params": {"key": "value"},      # ExtendedParams for every target
      "activity_event": "update" | "end",       # ActivityEvent (iOS Live Activity)
      "activity_content_state": {...},          # ActivityContentState
      "dismissal_date": 1767225600              # DismissalDate, epoch seconds, with "end" only
    }

``Campaign.strategy`` is described in :mod:`pushadmin.campaigns.strategy`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

DEFAULT_EXPIRED_SECONDS = 86_400

# Channel keys of ThirdChannelCategory / NotifyLevel, with the vendor's name.
VENDORS: list[tuple[str, StrOrPromise]] = [
    ("hms", gettext_lazy("Huawei")),
    ("honor", gettext_lazy("Honor")),
    ("vivo", "vivo"),
    ("oppo", "OPPO"),
    ("xiaomi", gettext_lazy("Xiaomi")),
]

# Values with a documented meaning; other vendors take the vendor's own code as text.
CATEGORY_CHOICES: dict[str, list[tuple[str, StrOrPromise]]] = {
    "hms": [
        ("1", gettext_lazy("Instant message (IM)")),
        ("2", gettext_lazy("Voice or video call (VOIP)")),
        ("3", gettext_lazy("Subscription")),
        ("4", gettext_lazy("Travel")),
        ("5", gettext_lazy("Health")),
        ("6", gettext_lazy("Work")),
        ("7", gettext_lazy("Account")),
        ("8", gettext_lazy("Orders and deliveries (EXPRESS)")),
        ("9", gettext_lazy("Finance")),
        ("10", gettext_lazy("Device reminder")),
        ("11", gettext_lazy("System reminder")),
        ("12", gettext_lazy("Mail")),
        ("13", gettext_lazy("Play voice (pass-through only)")),
        ("14", gettext_lazy("Marketing")),
    ],
}
LEVEL_CHOICES: dict[str, list[tuple[str, StrOrPromise]]] = {
    "hms": [
        ("1", gettext_lazy("Low: silent, no ring or vibration")),
        ("2", gettext_lazy("Normal: ring and vibration")),
    ],
    "oppo": [
        ("1", gettext_lazy("Notification bar only")),
        ("2", gettext_lazy("Notification bar and lock screen")),
        ("16", gettext_lazy("Bar, lock screen, banner, vibration and ringtone")),
    ],
}
NOTIFY_TYPES = [
    ("notify", gettext_lazy("Vendor channel (default)")),
    ("transparent", gettext_lazy("mPaaS own channel (app must be running)")),
]
PUSH_ACTIONS = [
    ("0", gettext_lazy("Open a web URL (default)")),
    ("1", gettext_lazy("Open an app screen (Intent / Activity)")),
]
CLASSIFICATIONS = [("1", gettext_lazy("System message (default)")), ("0", gettext_lazy("Operational message"))]
ACTIVITY_EVENTS = [("update", gettext_lazy("Update the Live Activity")), ("end", gettext_lazy("End the Live Activity"))]
EXPIRY_UNITS = [
    ("seconds", gettext_lazy("seconds"), 1),
    ("minutes", gettext_lazy("minutes"), 60),
    ("hours", gettext_lazy("hours"), 3600),
    ("days", gettext_lazy("days"), 86400),
]


@dataclass
class ChannelOptions:
    expired_seconds: int = DEFAULT_EXPIRED_SECONDS
    notify_type: str | None = None
    push_action: int | None = None
    silent: bool | None = None
    classification: str | None = None
    third_channel_category: dict[str, str] = field(default_factory=dict)
    notify_level: dict[str, str] = field(default_factory=dict)
    channel_id: str | None = None
    mi_channel_id: str | None = None
    extended_params: dict[str, str] = field(default_factory=dict)
    activity_event: str | None = None
    activity_content_state: dict[str, Any] | None = None
    dismissal_date: int | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> ChannelOptions:
        data = data or {}
        known = {name for name in cls.__dataclass_fields__}
        values = {key: value for key, value in data.items() if key in known and value is not None}
        return cls(**values)

    def to_json(self) -> dict[str, Any]:
        """Only what is set, so an unchanged default never shows as a change in the audit trail."""
        return {key: value for key, value in asdict(self).items() if value not in (None, "", {}, [])}

    def plain_words(self) -> list[tuple[str, str, str]]:
        """(label, plain meaning, API field = value) for every option that is set."""
        rows: list[tuple[str, str, str]] = [
            (_("Expires after"), describe_seconds(self.expired_seconds), f"ExpiredSeconds={self.expired_seconds}")
        ]
        if self.notify_type:
            rows.append(
                (_("Channel"), str(dict(NOTIFY_TYPES).get(self.notify_type, "")), f"NotifyType={self.notify_type}")
            )
        if self.push_action is not None:
            rows.append(
                (_("On tap"), str(dict(PUSH_ACTIONS).get(str(self.push_action), "")), f"PushAction={self.push_action}")
            )
        if self.silent is not None:
            meaning = _("Silent (not displayed)") if self.silent else _("Displayed")
            rows.append((_("Display"), meaning, f"Silent={int(self.silent)}"))
        if self.classification:
            meaning = str(dict(CLASSIFICATIONS).get(self.classification, ""))
            rows.append((_("vivo message type"), meaning, f"Classification={self.classification}"))
        names = dict(VENDORS)
        for key, value in self.third_channel_category.items():
            meaning = str(dict(CATEGORY_CHOICES.get(key, [])).get(value, _("vendor code")))
            rows.append(
                (
                    _("%(vendor)s category") % {"vendor": names.get(key, key)},
                    meaning,
                    f'ThirdChannelCategory.{key}="{value}"',
                )
            )
        for key, value in self.notify_level.items():
            meaning = str(dict(LEVEL_CHOICES.get(key, [])).get(value, _("vendor code")))
            rows.append(
                (
                    _("%(vendor)s notify level") % {"vendor": names.get(key, key)},
                    meaning,
                    f'NotifyLevel.{key}="{value}"',
                )
            )
        if self.channel_id:
            rows.append((_("Android channel"), self.channel_id, f"ChannelId={self.channel_id}"))
        if self.mi_channel_id:
            rows.append((_("Xiaomi channel"), self.mi_channel_id, f"MiChannelId={self.mi_channel_id}"))
        for key, value in self.extended_params.items():
            rows.append((_("Extra parameter"), f"{key} = {value}", "ExtendedParams"))
        if self.activity_event:
            meaning = str(dict(ACTIVITY_EVENTS).get(self.activity_event, ""))
            rows.append((_("Live Activity"), meaning, f"ActivityEvent={self.activity_event}"))
        if self.dismissal_date:
            ends = _("epoch %(seconds)s s") % {"seconds": self.dismissal_date}
            rows.append((_("Live Activity ends at"), ends, f"DismissalDate={self.dismissal_date}"))
        return rows


# "1 day", "3 days": the plural forms of each expiry unit, for ngettext.
UNIT_WORDS: dict[str, Callable[[int], str]] = {
    "seconds": lambda n: ngettext("%(count)s second", "%(count)s seconds", n),
    "minutes": lambda n: ngettext("%(count)s minute", "%(count)s minutes", n),
    "hours": lambda n: ngettext("%(count)s hour", "%(count)s hours", n),
    "days": lambda n: ngettext("%(count)s day", "%(count)s days", n),
}


def describe_seconds(seconds: int) -> str:
    for unit, _label, size in reversed(EXPIRY_UNITS):
        if seconds % size == 0 and seconds >= size:
            count = seconds // size
            return UNIT_WORDS[unit](count) % {"count": count}
    return UNIT_WORDS["seconds"](seconds) % {"count": seconds}


def split_seconds(seconds: int) -> tuple[int, str]:
    """The largest whole unit, for the expiry input (90 minutes stays 90 minutes)."""
    for unit, _label, size in reversed(EXPIRY_UNITS):
        if seconds % size == 0 and seconds >= size:
            return seconds // size, unit
    return seconds, "seconds"

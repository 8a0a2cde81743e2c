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

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

DEFAULT_EXPIRED_SECONDS = 86_400

# Channel keys of ThirdChannelCategory / NotifyLevel, with the vendor's name.
VENDORS: list[tuple[str, str]] = [
    ("hms", "Huawei"),
    ("honor", "Honor"),
    ("vivo", "vivo"),
    ("oppo", "OPPO"),
    ("xiaomi", "Xiaomi"),
]

# Values with a documented meaning; other vendors take the vendor's own code as text.
CATEGORY_CHOICES: dict[str, list[tuple[str, str]]] = {
    "hms": [
        ("1", "Instant message (IM)"),
        ("2", "Voice or video call (VOIP)"),
        ("3", "Subscription"),
        ("4", "Travel"),
        ("5", "Health"),
        ("6", "Work"),
        ("7", "Account"),
        ("8", "Orders and deliveries (EXPRESS)"),
        ("9", "Finance"),
        ("10", "Device reminder"),
        ("11", "System reminder"),
        ("12", "Mail"),
        ("13", "Play voice (pass-through only)"),
        ("14", "Marketing"),
    ],
}
LEVEL_CHOICES: dict[str, list[tuple[str, str]]] = {
    "hms": [("1", "Low: silent, no ring or vibration"), ("2", "Normal: ring and vibration")],
    "oppo": [
        ("1", "Notification bar only"),
        ("2", "Notification bar and lock screen"),
        ("16", "Bar, lock screen, banner, vibration and ringtone"),
    ],
}
NOTIFY_TYPES = [("notify", "Vendor channel (default)"), ("transparent", "mPaaS own channel (app must be running)")]
PUSH_ACTIONS = [("0", "Open a web URL (default)"), ("1", "Open an app screen (Intent / Activity)")]
CLASSIFICATIONS = [("1", "System message (default)"), ("0", "Operational message")]
ACTIVITY_EVENTS = [("update", "Update the Live Activity"), ("end", "End the Live Activity")]
EXPIRY_UNITS = [
    ("seconds", "seconds", 1),
    ("minutes", "minutes", 60),
    ("hours", "hours", 3600),
    ("days", "days", 86400),
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
            ("Expires after", describe_seconds(self.expired_seconds), f"ExpiredSeconds={self.expired_seconds}")
        ]
        if self.notify_type:
            rows.append(("Channel", dict(NOTIFY_TYPES).get(self.notify_type, ""), f"NotifyType={self.notify_type}"))
        if self.push_action is not None:
            rows.append(("On tap", dict(PUSH_ACTIONS).get(str(self.push_action), ""), f"PushAction={self.push_action}"))
        if self.silent is not None:
            meaning = "Silent (not displayed)" if self.silent else "Displayed"
            rows.append(("Display", meaning, f"Silent={int(self.silent)}"))
        if self.classification:
            meaning = dict(CLASSIFICATIONS).get(self.classification, "")
            rows.append(("vivo message type", meaning, f"Classification={self.classification}"))
        names = dict(VENDORS)
        for key, value in self.third_channel_category.items():
            meaning = dict(CATEGORY_CHOICES.get(key, [])).get(value, "vendor code")
            rows.append((f"{names.get(key, key)} category", meaning, f'ThirdChannelCategory.{key}="{value}"'))
        for key, value in self.notify_level.items():
            meaning = dict(LEVEL_CHOICES.get(key, [])).get(value, "vendor code")
            rows.append((f"{names.get(key, key)} notify level", meaning, f'NotifyLevel.{key}="{value}"'))
        if self.channel_id:
            rows.append(("Android channel", self.channel_id, f"ChannelId={self.channel_id}"))
        if self.mi_channel_id:
            rows.append(("Xiaomi channel", self.mi_channel_id, f"MiChannelId={self.mi_channel_id}"))
        for key, value in self.extended_params.items():
            rows.append(("Extra parameter", f"{key} = {value}", "ExtendedParams"))
        if self.activity_event:
            meaning = dict(ACTIVITY_EVENTS).get(self.activity_event, "")
            rows.append(("Live Activity", meaning, f"ActivityEvent={self.activity_event}"))
        if self.dismissal_date:
            ends = f"epoch {self.dismissal_date} s"
            rows.append(("Live Activity ends at", ends, f"DismissalDate={self.dismissal_date}"))
        return rows


def describe_seconds(seconds: int) -> str:
    for _unit, label, size in reversed(EXPIRY_UNITS):
        if seconds % size == 0 and seconds >= size:
            count = seconds // size
            return f"{count} {label[:-1] if count == 1 else label}"
    return f"{seconds} seconds"


def split_seconds(seconds: int) -> tuple[int, str]:
    """The largest whole unit, for the expiry input (90 minutes stays 90 minutes)."""
    for unit, _label, size in reversed(EXPIRY_UNITS):
        if seconds % size == 0 and seconds >= size:
            return seconds // size, unit
    return seconds, "seconds"

"""The builder's channel options and schedule, in plain words with the API's values underneath."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.utils import dates
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pushadmin.campaigns import options as opt
from pushadmin.campaigns.options import ChannelOptions
from pushadmin.campaigns.strategy import FIXED, IMMEDIATE, LOOP, WEEKDAYS, Strategy, validate
from pushadmin.console.request_numbers import is_whole_number
from pushadmin.mpaas import validation

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

NOT_SENT = ("", gettext_lazy("Not set (the API's default)"))
EXTRA_PAIRS = 3


def _choices(pairs: Sequence[tuple[str, StrOrPromise]]) -> list[tuple[str, StrOrPromise]]:
    return [NOT_SENT, *[(value, format_lazy("{} — {}", label, value)) for value, label in pairs]]


class ChannelOptionsForm(forms.Form):
    prefix = "opt"

    expiry_value = forms.IntegerField(label=gettext_lazy("Expires after"), min_value=1, initial=1)
    expiry_unit = forms.ChoiceField(
        label=gettext_lazy("Unit"), choices=[(u, label) for u, label, _ in opt.EXPIRY_UNITS], initial="days"
    )
    notify_type = forms.ChoiceField(
        label=gettext_lazy("Channel (NotifyType)"), required=False, choices=_choices(opt.NOTIFY_TYPES)
    )
    push_action = forms.ChoiceField(
        label=gettext_lazy("On tap (PushAction)"), required=False, choices=_choices(opt.PUSH_ACTIONS)
    )
    silent = forms.ChoiceField(
        label=gettext_lazy("Display (Silent)"),
        required=False,
        choices=_choices([("0", gettext_lazy("Show the notification")), ("1", gettext_lazy("Silent"))]),
    )
    classification = forms.ChoiceField(
        label=gettext_lazy("vivo message type (Classification)"), required=False, choices=_choices(opt.CLASSIFICATIONS)
    )
    channel_id = forms.CharField(
        label=gettext_lazy("Android notification channel (ChannelId)"), required=False, max_length=100
    )
    mi_channel_id = forms.CharField(
        label=gettext_lazy("Xiaomi channel id (MiChannelId)"), required=False, max_length=100
    )
    activity_event = forms.ChoiceField(
        label=gettext_lazy("Live Activity event (ActivityEvent)"), required=False, choices=_choices(opt.ACTIVITY_EVENTS)
    )
    activity_content_state = forms.CharField(
        label=gettext_lazy("Live Activity content state (ActivityContentState)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy('A JSON object, e.g. {"score": "2:1"}; needs an event.'),
    )
    dismissal_date = forms.IntegerField(
        label=gettext_lazy("Live Activity dismissal (DismissalDate, epoch seconds)"),
        required=False,
        min_value=1,
        help_text=gettext_lazy("Only with the “end” event; without it iOS ends the activity after 4 hours."),
    )

    def __init__(
        self, data: Mapping[str, Any] | None = None, *, initial_options: ChannelOptions | None = None, **kwargs: Any
    ) -> None:
        options = initial_options or ChannelOptions()
        value, unit = opt.split_seconds(options.expired_seconds)
        initial = {
            "expiry_value": value,
            "expiry_unit": unit,
            "notify_type": options.notify_type or "",
            "push_action": "" if options.push_action is None else str(options.push_action),
            "silent": "" if options.silent is None else str(int(options.silent)),
            "classification": options.classification or "",
            "channel_id": options.channel_id or "",
            "mi_channel_id": options.mi_channel_id or "",
            "activity_event": options.activity_event or "",
            "activity_content_state": json.dumps(options.activity_content_state, ensure_ascii=False)
            if options.activity_content_state
            else "",
            "dismissal_date": options.dismissal_date,
        }
        super().__init__(data, initial=initial, **kwargs)
        self.vendor_rows: list[tuple[str, str, str]] = []
        for key, vendor in opt.VENDORS:
            self.fields[f"category_{key}"] = self._vendor_field(
                _("%(vendor)s message category") % {"vendor": vendor},
                opt.CATEGORY_CHOICES.get(key),
                options.third_channel_category.get(key),
            )
            self.fields[f"level_{key}"] = self._vendor_field(
                _("%(vendor)s notify level") % {"vendor": vendor},
                opt.LEVEL_CHOICES.get(key),
                options.notify_level.get(key),
            )
            self.vendor_rows.append((str(vendor), f"category_{key}", f"level_{key}"))
        pairs = list(options.extended_params.items())
        self.pair_count = len(pairs) + EXTRA_PAIRS
        for index in range(self.pair_count):
            key, val = pairs[index] if index < len(pairs) else ("", "")
            self.fields[f"ext_key_{index}"] = forms.CharField(
                label=_("Parameter %(value)s name") % {"value": index + 1}, required=False, max_length=100, initial=key
            )
            self.fields[f"ext_value_{index}"] = forms.CharField(
                label=_("Parameter %(value)s value") % {"value": index + 1},
                required=False,
                max_length=1000,
                initial=val,
            )

    @staticmethod
    def _vendor_field(
        label: str, choices: Sequence[tuple[str, StrOrPromise]] | None, initial: str | None
    ) -> forms.Field:
        if choices:
            return forms.ChoiceField(label=label, required=False, choices=_choices(choices), initial=initial or "")
        return forms.CharField(
            label=label,
            required=False,
            max_length=20,
            initial=initial or "",
            help_text=_("The vendor's code, as text."),
        )

    def vendors(self) -> list[tuple[str, forms.BoundField, forms.BoundField]]:
        return [(vendor, self[category], self[level]) for vendor, category, level in self.vendor_rows]

    def pairs(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"ext_key_{i}"], self[f"ext_value_{i}"]) for i in range(self.pair_count)]

    def clean_activity_content_state(self) -> dict[str, Any] | None:
        raw = self.cleaned_data["activity_content_state"].strip()
        if not raw:
            return None
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(
                _("Not valid JSON: %(msg)s at character %(value)s.") % {"msg": exc.msg, "value": exc.pos + 1}
            ) from None
        if not isinstance(value, dict):
            raise forms.ValidationError(_("Must be a JSON object in braces."))
        return value

    def clean(self) -> dict[str, Any]:
        data = cast(dict[str, Any], super().clean())  # Form.clean returns cleaned_data
        unit_size = {u: size for u, _, size in opt.EXPIRY_UNITS}.get(data.get("expiry_unit", ""), 1)
        if data.get("expiry_value"):
            seconds = data["expiry_value"] * unit_size
            if seconds > validation.MAX_EXPIRED_SECONDS:
                self.add_error("expiry_value", _("At most 72 hours (259,200 seconds), the API's limit."))
            data["expired_seconds"] = seconds
        params: dict[str, str] = {}
        for index in range(self.pair_count):
            key = (data.get(f"ext_key_{index}") or "").strip()
            value = data.get(f"ext_value_{index}") or ""
            if not key and value:
                self.add_error(f"ext_key_{index}", _("Give this value a name."))
            elif key in params:
                self.add_error(f"ext_key_{index}", _("“%(key)s” is already used above.") % {"key": key})
            elif key:
                params[key] = value
        reserved = sorted(validation.RESERVED_EXTENDED_PARAM_KEYS & set(params))
        if reserved:
            self.add_error(
                None,
                _("Extra parameters may not use names reserved by the service: %(join)s.")
                % {"join": ", ".join(reserved)},
            )
        if len(params) > validation.MAX_EXTENDED_PARAM_KEYS:
            self.add_error(
                None,
                _("At most %(MAX_EXTENDED_PARAM_KEYS)s extra parameters are allowed.")
                % {"MAX_EXTENDED_PARAM_KEYS": validation.MAX_EXTENDED_PARAM_KEYS},
            )
        data["extended_params"] = params
        event = data.get("activity_event")
        if data.get("activity_content_state") and not event:
            self.add_error("activity_content_state", _("Choose a Live Activity event to send a content state."))
        if data.get("dismissal_date"):
            if event != "end":
                self.add_error("dismissal_date", _("Takes effect only with the “end” event."))
            elif data["dismissal_date"] >= validation.MAX_SECONDS_EPOCH:
                self.add_error("dismissal_date", _("This looks like milliseconds; enter epoch seconds."))
        return data

    def to_options(self) -> ChannelOptions:
        data = self.cleaned_data
        return ChannelOptions(
            expired_seconds=data["expired_seconds"],
            notify_type=data["notify_type"] or None,
            push_action=int(data["push_action"]) if data["push_action"] else None,
            silent=None if data["silent"] == "" else data["silent"] == "1",
            classification=data["classification"] or None,
            third_channel_category={k: data[f"category_{k}"] for k, _ in opt.VENDORS if data.get(f"category_{k}")},
            notify_level={k: data[f"level_{k}"] for k, _ in opt.VENDORS if data.get(f"level_{k}")},
            channel_id=data["channel_id"] or None,
            mi_channel_id=data["mi_channel_id"] or None,
            extended_params=data["extended_params"],
            activity_event=data["activity_event"] or None,
            activity_content_state=data["activity_content_state"],
            dismissal_date=data["dismissal_date"],
        )


class StrategyForm(forms.Form):
    prefix = "s"

    type = forms.ChoiceField(
        label=gettext_lazy("Send"),
        choices=[
            (IMMEDIATE, gettext_lazy("Immediately after approval")),
            (FIXED, gettext_lazy("Once, at a fixed time")),
            (LOOP, gettext_lazy("In a loop")),
        ],
        widget=forms.RadioSelect,
        initial=IMMEDIATE,
    )
    time_zone = forms.CharField(
        label=gettext_lazy("Time zone"), max_length=64, help_text=gettext_lazy("An IANA name such as Asia/Shanghai.")
    )
    fixed_at = forms.CharField(
        label=gettext_lazy("Send at"), required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    circle = forms.ChoiceField(
        label=gettext_lazy("Repeat"),
        required=False,
        choices=[
            ("daily", gettext_lazy("Every day")),
            ("weekly", gettext_lazy("Every week")),
            ("monthly", gettext_lazy("Every month")),
        ],
    )
    days = forms.MultipleChoiceField(
        label=gettext_lazy("On these weekdays"),
        required=False,
        choices=[(str(i), dates.WEEKDAYS[i - 1]) for i in range(1, len(WEEKDAYS) + 1)],
        widget=forms.CheckboxSelectMultiple,
    )
    month_days = forms.CharField(
        label=gettext_lazy("On these days of the month"),
        required=False,
        max_length=100,
        help_text=gettext_lazy("For example: 1, 15"),
    )
    time = forms.CharField(
        label=gettext_lazy("At"), required=False, widget=forms.TimeInput(attrs={"type": "time", "step": 1})
    )
    start_date = forms.CharField(
        label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end_date = forms.CharField(
        label=gettext_lazy("Until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("At most 180 days from today."),
    )

    def __init__(
        self, data: Mapping[str, Any] | None = None, *, initial_strategy: Strategy | None = None, **kwargs: Any
    ) -> None:
        strategy = initial_strategy or Strategy()
        initial = {
            "type": strategy.type,
            "time_zone": strategy.time_zone,
            "fixed_at": strategy.fixed_at,
            "circle": strategy.circle,
            "days": [str(d) for d in strategy.days] if strategy.circle == "weekly" else [],
            "month_days": ", ".join(str(d) for d in strategy.days) if strategy.circle == "monthly" else "",
            "time": strategy.time,
            "start_date": strategy.start_date,
            "end_date": strategy.end_date,
        }
        super().__init__(data, initial=initial, **kwargs)

    def clean_month_days(self) -> list[int]:
        raw = self.cleaned_data["month_days"]
        days: list[int] = []
        for part in raw.replace(";", ",").split(","):
            part = part.strip()
            if not part:
                continue
            day = int(part) if is_whole_number(part) else 0
            if not 1 <= day <= 31:
                raise forms.ValidationError(_("“%(part)s” is not a day of the month (1 to 31).") % {"part": part})
            days.append(day)
        return sorted(set(days))

    def to_strategy(self) -> Strategy:
        data = self.cleaned_data
        circle = data.get("circle") or "daily"
        days = [int(d) for d in data.get("days", [])] if circle == "weekly" else data.get("month_days") or []
        return Strategy.from_json(
            {
                "type": data.get("type") or IMMEDIATE,
                "time_zone": (data.get("time_zone") or "").strip(),
                "fixed_at": data.get("fixed_at") or "",
                "circle": circle,
                "days": days if circle != "daily" else [],
                "time": data.get("time") or "",
                "start_date": data.get("start_date") or "",
                "end_date": data.get("end_date") or "",
            }
        )

    def clean(self) -> dict[str, Any]:
        data = cast(dict[str, Any], super().clean())  # Form.clean returns cleaned_data
        if self.errors:
            return data
        for problem in validate(self.to_strategy()):
            field = "month_days" if problem.field == "days" and data.get("circle") == "monthly" else problem.field
            self.add_error(field if field in self.fields else None, problem.message)
        return data

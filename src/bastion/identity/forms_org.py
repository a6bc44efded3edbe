"""Forms of the organisation pages (business calendars). They only parse; the platform actions decide."""

from __future__ import annotations

import datetime as dt
import re

from django import forms
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext_lazy as _

from bastion.platform.models import CalendarDayKind

WEEKDAY_CHOICES = [(day, WEEKDAYS[day]) for day in range(7)]
_WINDOW = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")


def _clock(hours: str, minutes: str) -> dt.time:
    return dt.time(int(hours), int(minutes))


def parse_windows(text: str) -> list[tuple[dt.time, dt.time]]:
    """``"09:00-12:00, 13:00-17:30"`` as (start, end) pairs; an empty text is a closed day."""
    windows = []
    for part in filter(None, (p.strip() for p in re.split(r"[,，;\n]", text))):
        match = _WINDOW.match(part)
        if match is None:
            raise forms.ValidationError(
                _("Write each window as HH:MM-HH:MM, separated by commas (e.g. 09:00-12:00, 13:00-17:30).")
            )
        try:
            windows.append((_clock(*match.group(1, 2)), _clock(*match.group(3, 4))))
        except ValueError:
            raise forms.ValidationError(_("%(window)s is not a time of day.") % {"window": part}) from None
    return windows


def format_windows(windows: list[tuple[dt.time, dt.time]]) -> str:
    return ", ".join(f"{start:%H:%M}-{end:%H:%M}" for start, end in windows)


class WorkingWindowsForm(forms.Form):
    weekday = forms.TypedChoiceField(label=_("Weekday"), choices=WEEKDAY_CHOICES, coerce=int)
    windows = forms.CharField(
        label=_("Working windows"),
        required=False,
        max_length=200,
        help_text=_("For example 09:00-12:00, 13:00-17:30. Leave empty for a closed day."),
    )

    def clean_windows(self) -> list[tuple[dt.time, dt.time]]:
        return parse_windows(self.cleaned_data["windows"])


class CalendarDayForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(label=_("Kind"), choices=CalendarDayKind.choices)
    name = forms.CharField(label=_("Name"), required=False, max_length=100)
    works_as_weekday = forms.TypedChoiceField(
        label=_("Works as"),
        choices=WEEKDAY_CHOICES,
        coerce=int,
        initial=0,
        help_text=_("For a make-up working day: whose working windows apply."),
    )


class RemoveCalendarDayForm(forms.Form):
    date = forms.DateField(widget=forms.HiddenInput)


class PublicHolidaysForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    works_as_weekday = forms.TypedChoiceField(
        label=_("Make-up days work as"), choices=WEEKDAY_CHOICES, coerce=int, initial=0
    )
    replace = forms.BooleanField(
        label=_("Remove this year's other entries"),
        required=False,
        help_text=_("Entries of that year that the published schedule does not list are removed."),
    )

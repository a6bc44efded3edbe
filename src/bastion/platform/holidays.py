"""Published public-holiday schedules shipped with Bastion (mainland China, State Council notices)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from bastion.platform.models import CalendarDayKind

DATA_FILE = "cn_public_holidays.json"


@dataclass(frozen=True)
class PublishedDay:
    """One dated exception from a published schedule."""

    date: dt.date
    kind: str
    name: str


@cache
def _data() -> dict[str, Any]:
    text = resources.files("bastion.platform").joinpath("data", DATA_FILE).read_text(encoding="utf-8")
    return dict(json.loads(text))


def published_years() -> list[int]:
    return sorted(int(year) for year in _data()["years"])


def source_of(year: int) -> str:
    return str(_data()["years"][str(year)]["source"])


def published_days(year: int) -> list[PublishedDay]:
    """Every holiday date (ranges expanded) and make-up working day of ``year``, in date order."""
    try:
        spec = _data()["years"][str(year)]
    except KeyError:
        raise LookupError(year) from None
    days = []
    for holiday in spec["holidays"]:
        day, last = dt.date.fromisoformat(holiday["from"]), dt.date.fromisoformat(holiday["to"])
        while day <= last:
            days.append(PublishedDay(day, CalendarDayKind.HOLIDAY, holiday["name"]))
            day += dt.timedelta(days=1)
    for makeup in spec["makeup_workdays"]:
        days.append(
            PublishedDay(
                dt.date.fromisoformat(makeup["date"]), CalendarDayKind.MAKEUP_WORKDAY, makeup["name"]
            )
        )
    return sorted(days, key=lambda d: d.date)

"""Signal wiring: cached calendar schedules follow their rows; log context ends with its request."""

from __future__ import annotations

from typing import Any

from django.core.signals import request_finished
from django.db.models.signals import post_delete, post_save

from bastion.platform.calendars import calendar_changed
from bastion.platform.middleware import unbind_request_id
from bastion.platform.models import BusinessCalendar, CalendarDay, WorkingWindow


def _calendar_row_changed(sender: Any, **kwargs: Any) -> None:
    calendar_changed()


def connect() -> None:
    request_finished.connect(unbind_request_id, dispatch_uid="bastion-unbind-request-id")
    for model in (BusinessCalendar, WorkingWindow, CalendarDay):
        post_save.connect(
            _calendar_row_changed, sender=model, dispatch_uid=f"calendar-cache-{model.__name__}"
        )
        post_delete.connect(
            _calendar_row_changed, sender=model, dispatch_uid=f"calendar-cache-del-{model.__name__}"
        )

"""Helpers every AML console view shares: the actor, refusals as messages, the UI language."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import get_language

from bastion.aml.services.calendar import regulatory_calendar
from bastion.identity.models import User
from bastion.platform.errors import DomainError


def actor_of(request: HttpRequest) -> User:
    # console_view admits signed-in users only.
    return request.user  # type: ignore[return-value]


def chinese() -> bool:
    return (get_language() or "").lower().startswith("zh")


def refused(request: HttpRequest, exc: DomainError) -> None:
    """A domain refusal as one message: its text, then what it says about each field."""
    details = [str(m) for ms in exc.fields.values() for m in ms if m != exc.message]
    messages.error(request, " ".join([str(exc.message), *details]).strip())


def form_errors(request: HttpRequest, form: forms.Form) -> None:
    texts = [f"{form[f].label if f in form.fields else ''}: {e}".lstrip(": ") for f, es in form.errors.items()
             for e in es]  # fmt: skip
    messages.error(request, " ".join(texts))


def attempt(request: HttpRequest, back: str, done: str, step: Callable[[], Any]) -> HttpResponse:
    """Run one action; success or refusal comes back as a message on the page it was made from."""
    try:
        step()
    except DomainError as exc:
        refused(request, exc)
    else:
        messages.success(request, done)
    return redirect(back)


def regulatory_today() -> Any:
    """Today on the institution's calendar: deadlines are overdue against this day."""
    return regulatory_calendar().local_day(timezone.now())

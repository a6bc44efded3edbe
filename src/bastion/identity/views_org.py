"""Console pages of the organisation: branches, teams and the business calendars they work by."""

from __future__ import annotations

import datetime as dt
from itertools import groupby
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import messages
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from bastion.identity import services
from bastion.identity.forms_org import (
    CalendarDayForm,
    PublicHolidaysForm,
    RemoveCalendarDayForm,
    WorkingWindowsForm,
    format_windows,
)
from bastion.identity.models import Branch, Team, User
from bastion.platform import actions as calendar_actions
from bastion.platform import services as platform_services
from bastion.platform.errors import DomainError, NotFound
from bastion.platform.models import BusinessCalendar
from bastion.platform.scoping import get_scoped_object, scoped
from bastion.web.http import apply_domain_error, console_view

VIEW = "identity.view_organisation"
MANAGE = "identity.manage_organisation"


def _actor(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _crumbs(*extra: tuple[str, str]) -> list[tuple[str, str]]:
    return [(_("Organisation"), reverse("web:branches")), *extra]


def _weekly_windows(calendar: BusinessCalendar) -> list[dict[str, Any]]:
    """One row per weekday (closed days included), each with its windows in order."""
    by_day = {
        weekday: [(w.start, w.end) for w in windows]
        for weekday, windows in groupby(
            platform_services.list_working_windows(calendar=calendar), key=lambda w: w.weekday
        )
    }
    return [
        {
            "weekday": day,
            "name": WEEKDAYS[day],
            "windows": by_day.get(day, []),
            "text": format_windows(by_day.get(day, [])),
        }
        for day in range(7)
    ]


# --- branches -------------------------------------------------------------------------------------
@console_view(VIEW)
def branch_list(request: HttpRequest) -> HttpResponse:
    branches = services.list_branches(_actor(request)).order_by("code")
    context = {"branches": branches, "breadcrumbs": [(_("Organisation"), "")]}
    return render(request, "identity/org/branch_list.html", context)


def _clock_status(branch: Branch, now: dt.datetime) -> dict[str, Any]:
    """Whether the branch is open now and, when closed, when its next working time begins (local)."""
    clock = platform_services.clock_for_branch(branch=branch)
    zone = ZoneInfo(branch.time_zone)
    is_open = clock.is_working_time(now)
    return {
        "open": is_open,
        "local_now": timezone.localtime(now, zone),
        "next": None if is_open else timezone.localtime(clock.next_working_time(now), zone),
    }


@console_view(VIEW)
def branch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    branch = get_scoped_object(services.list_branches(actor), actor, pk=pk)
    now = timezone.now()
    year = timezone.localtime(now, ZoneInfo(branch.time_zone)).year
    context = {
        "branch": branch,
        "sites": branch.sites.order_by("code"),
        "teams": branch.teams.select_related("leader")
        .annotate(member_count=Count("members"))
        .order_by("code"),
        "staff_count": User.objects.filter(home_branch=branch, is_active=True).count(),
        "weekly": _weekly_windows(branch.calendar),
        "year": year,
        "days": platform_services.list_calendar_days(calendar=branch.calendar, year=year),
        "clock": _clock_status(branch, now),
        "breadcrumbs": _crumbs((branch.name, "")),
    }
    return render(request, "identity/org/branch_detail.html", context)


# --- teams ----------------------------------------------------------------------------------------
@console_view(VIEW)
def team_list(request: HttpRequest) -> HttpResponse:
    teams = scoped(
        Team.objects.select_related("branch", "region", "leader").prefetch_related("members"), _actor(request)
    ).order_by("code")
    context = {"teams": teams, "breadcrumbs": _crumbs((_("Teams"), ""))}
    return render(request, "identity/org/team_list.html", context)


# --- calendars ------------------------------------------------------------------------------------
def visible_calendars(actor: User) -> QuerySet[BusinessCalendar]:
    """Calendars are institution-level; a branch-scoped user sees those of the branches in scope."""
    calendars = platform_services.list_calendars()
    if actor.branch_scope().all_branches:
        return calendars
    return calendars.filter(Q(branches__in=services.list_branches(actor))).distinct()


def _visible_calendar(actor: User, pk: int) -> BusinessCalendar:
    calendar = visible_calendars(actor).filter(pk=pk).first()
    if calendar is None:
        raise NotFound(_("No business calendar with that code."))
    return calendar


@console_view(VIEW)
def calendar_list(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    calendars = visible_calendars(actor).annotate(
        branch_count=Count("branches", filter=Q(branches__in=services.list_branches(actor)), distinct=True)
    )
    context = {"calendars": calendars, "breadcrumbs": _crumbs((_("Business calendars"), ""))}
    return render(request, "identity/org/calendar_list.html", context)


def _calendar_page(
    request: HttpRequest, calendar: BusinessCalendar, *, status: int = 200, **forms_given: forms.Form
) -> HttpResponse:
    actor = _actor(request)
    year = timezone.localdate().year
    context = {
        "calendar": calendar,
        "weekly": _weekly_windows(calendar),
        "days": platform_services.list_calendar_days(calendar=calendar).filter(date__year__gte=year - 1),
        "may_manage": actor.has_permission(MANAGE),
        "windows_form": forms_given.get("windows_form") or WorkingWindowsForm(),
        "day_form": forms_given.get("day_form") or CalendarDayForm(),
        "holidays_form": forms_given.get("holidays_form") or PublicHolidaysForm(initial={"year": year}),
        "open_form": next(iter(forms_given), ""),
        "breadcrumbs": _crumbs((_("Business calendars"), reverse("web:calendars")), (calendar.name, "")),
    }
    return render(request, "identity/org/calendar_detail.html", context, status=status)


@console_view(VIEW)
def calendar_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _calendar_page(request, _visible_calendar(_actor(request), pk))


def _back(calendar: BusinessCalendar) -> HttpResponse:
    return redirect("web:calendar_detail", pk=calendar.pk)


@require_POST
@console_view(MANAGE)
def calendar_set_windows(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    calendar = _visible_calendar(actor, pk)
    form = WorkingWindowsForm(request.POST)
    if form.is_valid():
        weekday = form.cleaned_data["weekday"]
        try:
            calendar_actions.do_set_working_windows(
                calendar=calendar, weekday=weekday, windows=form.cleaned_data["windows"], actor=actor
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(
                request, _("The working windows of %(day)s have been saved.") % {"day": WEEKDAYS[weekday]}
            )
            return _back(calendar)
    return _calendar_page(request, calendar, status=400, windows_form=form)


@require_POST
@console_view(MANAGE)
def calendar_add_day(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    calendar = _visible_calendar(actor, pk)
    form = CalendarDayForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            calendar_actions.do_add_calendar_day(
                calendar=calendar,
                date=data["date"],
                kind=data["kind"],
                name=data["name"],
                works_as_weekday=data["works_as_weekday"],
                actor=actor,
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("%(date)s has been added to the calendar.") % {"date": data["date"]})
            return _back(calendar)
    return _calendar_page(request, calendar, status=400, day_form=form)


@require_POST
@console_view(MANAGE)
def calendar_remove_day(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    calendar = _visible_calendar(actor, pk)
    form = RemoveCalendarDayForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose an entry of the calendar to remove."))
        return _back(calendar)
    calendar_actions.do_remove_calendar_day(calendar=calendar, date=form.cleaned_data["date"], actor=actor)
    messages.success(
        request, _("%(date)s has been removed from the calendar.") % {"date": form.cleaned_data["date"]}
    )
    return _back(calendar)


@require_POST
@console_view(MANAGE)
def calendar_load_holidays(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    calendar = _visible_calendar(actor, pk)
    form = PublicHolidaysForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            result = calendar_actions.do_load_public_holidays(
                calendar=calendar,
                year=data["year"],
                replace=data["replace"],
                works_as_weekday=data["works_as_weekday"],
                actor=actor,
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(
                request,
                _(
                    "Public holidays of %(year)s loaded: %(created)d added, %(updated)d updated, "
                    "%(unchanged)d unchanged, %(removed)d removed."
                )
                % {
                    "year": data["year"],
                    "created": result.created,
                    "updated": result.updated,
                    "unchanged": result.unchanged,
                    "removed": result.removed,
                },
            )
            return _back(calendar)
    return _calendar_page(request, calendar, status=400, holidays_form=form)

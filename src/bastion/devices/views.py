"""Console pages of the devices app: device list and page, alarm console, replacement plan, charts."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from bastion.devices import health, reliability, services, services_maintenance, views_upkeep
from bastion.devices import permissions as perms
from bastion.devices.actions.operations import do_clear_alarm
from bastion.devices.choices import AlarmSeverity, AlarmState
from bastion.devices.forms import AlarmFilterForm, DeviceFilterForm, ReasonForm
from bastion.platform.errors import DomainError
from bastion.web import charts
from bastion.web.http import console_view, page_of, render_results

CHART_DAYS = 7


def _severity(rank: int | None) -> str | None:
    """The label of the worst open severity, for the at-a-glance health chip."""
    value = services.RANK_TO_SEVERITY.get(rank) if rank else None
    return str(AlarmSeverity(value).label) if value else None


@console_view(perms.VIEW)
def device_list(request: HttpRequest) -> HttpResponse:
    actor = request.user
    form = DeviceFilterForm(request.GET or None, actor=actor)
    filters = services.DeviceFilter()
    if form.is_valid():
        data = form.cleaned_data
        alarm = {"yes": True, "no": False}.get(data["alarm"])
        filters = services.DeviceFilter(
            q=data["q"],
            branch_id=data["branch"].pk if data["branch"] else None,
            device_class=data["device_class"],
            operational_status=data["operational_status"],
            in_alarm=alarm,
        )
    page = page_of(request, services.list_devices(principal=actor, filters=filters))
    for device in page.items:
        device.worst_severity = _severity(device.worst_rank)
    context = {
        "form": form,
        "page": page,
        "breadcrumbs": [(_("Devices"), "")],
        "may_import": actor.has_permission(perms.IMPORT),  # type: ignore[union-attr]
        "may_procure": actor.has_permission(perms.LIFECYCLE),  # type: ignore[union-attr]
    }
    return render_results(request, "devices/device_list.html", "devices/_device_rows.html", context)


@console_view(perms.VIEW)
def device_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.user
    device = services.get_device(principal=actor, device_id=pk)
    alarms = services.describe_alarms(
        list(services.list_alarms(principal=actor, filters=services.AlarmFilter(device_id=device.pk))[:200])
    )
    device.worst_severity = _severity(getattr(device, "worst_rank", None))  # type: ignore[attr-defined]
    standing = [a for a in alarms if a.state != AlarmState.CLEARED]
    open_codes = {a.fault_code for a in standing}
    context = {
        "device": device,
        "standing": standing,
        "history": [a for a in alarms if a.state == AlarmState.CLEARED][:30],
        "lifecycle": services.list_lifecycle(principal=actor, device_id=device.pk),
        "figures": reliability.figures(device),
        "cards": services_maintenance.cards_for(fault_codes=open_codes, device_class=device.device_class),
        "may_clear": actor.has_permission(perms.HANDLE_ALARMS),  # type: ignore[union-attr]
        "clear_form": ReasonForm(),
        "charts": [
            (reverse("devices:device_chart", args=[device.pk, kind]), label) for kind, label in _chart_kinds()
        ],
        "breadcrumbs": [(_("Devices"), reverse("devices:device_list")), (device.asset_tag, "")],
        **views_upkeep.lifecycle_context(request, device),
        "order_url": services_maintenance.work_order_url_prefix(),
    }
    return render(request, "devices/device_detail.html", context)


def _chart_kinds() -> list[tuple[str, str]]:
    return [("temperature", _("Cabinet temperature")), ("cash", _("Cash level"))]


@console_view(perms.VIEW)
def device_chart(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """One health chart of the last week as SVG (shown with <img>; see web/charts.py)."""
    actor = request.user
    labels = dict(_chart_kinds())
    if kind not in labels:
        return HttpResponse(status=404)
    device = services.get_device(principal=actor, device_id=pk)
    samples = list(
        services.list_samples(
            principal=actor, device_id=device.pk, since=timezone.now() - timedelta(days=CHART_DAYS)
        ).values_list("received_at", "temperature", "cash_level")
    )
    local = timezone.get_current_timezone()
    times = [t.astimezone(local) for t, _, _ in samples]
    now = timezone.now().astimezone(local)
    window = (now - timedelta(days=CHART_DAYS), now)
    if kind == "temperature":
        series = charts.Series(
            device.asset_tag, times, [float(v) if v is not None else None for _, v, _ in samples]
        )
        svg = charts.line_chart(
            title=labels[kind],
            series=[series],
            y_label="°C",
            thresholds=[(float(health.TEMPERATURE_HIGH_C), _("alarm threshold"))],
            x_range=window,
            empty_text=_("No readings in the last 7 days."),
        )
    else:
        series = charts.Series(device.asset_tag, times, [v for _, _, v in samples])
        svg = charts.line_chart(
            title=labels[kind],
            series=[series],
            y_label="%",
            y_range=(0, 100),
            thresholds=[(health.CASH_LOW_PERCENT, _("alarm threshold"))],
            x_range=window,
            empty_text=_("No readings in the last 7 days."),
        )
    return charts.svg_response(svg)


@console_view(perms.VIEW)
def alarm_list(request: HttpRequest) -> HttpResponse:
    actor = request.user
    form = AlarmFilterForm(request.GET or None, actor=actor)
    filters = services.AlarmFilter(active_only=True)
    if form.is_valid():
        data = form.cleaned_data
        state = data["state"]
        filters = services.AlarmFilter(
            state="" if state in ("", "all") else state,
            active_only=state == "",
            severity=data["severity"],
            fault_code=data["fault_code"],
            branch_id=data["branch"].pk if data["branch"] else None,
        )
    page = page_of(request, services.list_alarms(principal=actor, filters=filters))
    services.describe_alarms(list(page.items))
    context = {
        "form": form,
        "page": page,
        "breadcrumbs": [(_("Alarms"), "")],
        "severities": AlarmSeverity,
        "carded": services_maintenance.codes_with_cards(),
        "order_url": services_maintenance.work_order_url_prefix(),
    }
    return render_results(request, "devices/alarm_list.html", "devices/_alarm_rows.html", context)


@require_POST
@console_view(perms.HANDLE_ALARMS)
def alarm_clear(request: HttpRequest, pk: int) -> HttpResponse:
    alarm = services.get_alarm(principal=request.user, alarm_id=pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason for clearing the alarm."))
    else:
        try:
            do_clear_alarm(alarm_id=alarm.pk, reason=form.cleaned_data["reason"], actor=request.user)
            messages.success(request, _("Alarm cleared."))
        except DomainError as exc:
            messages.error(request, exc.message)
    return redirect("devices:device_detail", pk=alarm.device_id)


@console_view(perms.VIEW)
def replacement_plan(request: HttpRequest) -> HttpResponse:
    candidates = reliability.replacement_plan(principal=request.user, limit=200)
    context = {"candidates": candidates, "breadcrumbs": [(_("Replacement plan"), "")]}
    return render(request, "devices/replacement_plan.html", context)

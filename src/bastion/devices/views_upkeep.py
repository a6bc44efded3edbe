"""Console pages of lifecycle steps and device upkeep (R2.2, R2.3, R2.6).

Lifecycle steps are taken from the device page; the approvals themselves are decided on the
console's approvals page (dual control, bastion.identity.approvals). The upkeep page of a device
holds its maintenance plans, inspections, software updates and remote sessions. Every write calls
one ``do_*`` action; a refusal is shown on the form (or as a message) with the action's own words.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Q
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from bastion.devices import permissions as perms
from bastion.devices import services, services_maintenance
from bastion.devices.actions import diagnostics, inspections, lifecycle, maintenance
from bastion.devices.actions.operations import do_plan_maintenance_window
from bastion.devices.actions.registry import do_set_operational_status, do_update_device
from bastion.devices.choices import (
    AlarmState,
    DeviceClass,
    InspectionResult,
    LifecycleState,
    SoftwareUpdateResult,
)
from bastion.devices.forms_upkeep import (
    ClassPlanForm,
    CompleteForm,
    DeviceEditForm,
    InspectionForm,
    LifecycleStepForm,
    PlanForm,
    ProcurementForm,
    RemoteActionForm,
    RetirementForm,
    SessionEndForm,
    SessionStartForm,
    SoftwareUpdateForm,
    StatusForm,
    WindowForm,
)
from bastion.devices.models import Device, InspectionAttachment
from bastion.platform.errors import DomainError, NotFound
from bastion.web.http import apply_domain_error, console_view, page_of

UPKEEP_ROWS = 20


def _may(request: HttpRequest, code: str) -> bool:
    return bool(request.user.has_permission(code))  # type: ignore[union-attr]


def _refused(request: HttpRequest, exc: DomainError) -> None:
    """A refusal shown as a message: the action's words, and the field it names, if any."""
    details = [f"{name}: {' '.join(str(m) for m in msgs)}" for name, msgs in (exc.fields or {}).items()]
    messages.error(request, " ".join([str(exc.message), *details]).strip())


def _crumbs(device: Device, *tail: tuple[str, str]) -> list[tuple[str, str]]:
    return [
        (_("Devices"), reverse("devices:device_list")),
        (device.asset_tag, reverse("devices:device_detail", args=[device.pk])),
        *tail,
    ]


# --- lifecycle ------------------------------------------------------------------------------------
def lifecycle_context(request: HttpRequest, device: Device) -> dict[str, Any]:
    """What the device page needs for its lifecycle card: the next steps a person may take."""
    state = device.lifecycle_state
    steps = list(lifecycle.MANUAL_STEPS.get(state, ()))
    context: dict[str, Any] = {
        "pending_approvals": services_maintenance.pending_approvals(device_id=device.pk),
        "may_lifecycle": _may(request, perms.LIFECYCLE),
        "status_form": StatusForm() if _may(request, perms.SET_STATUS) else None,
        "may_edit": _may(request, perms.MANAGE),
        "awaiting_approval": state in (LifecycleState.REQUESTED, LifecycleState.RETIREMENT_REQUESTED),
    }
    if context["may_lifecycle"] and steps:
        context["step_form"] = LifecycleStepForm(
            steps=steps, commissioning=state == LifecycleState.COMMISSIONING
        )
    if context["may_lifecycle"] and state in lifecycle.RETIRABLE:
        context["retirement_form"] = RetirementForm()
    return context


@require_POST
@console_view(perms.LIFECYCLE)
def lifecycle_step(request: HttpRequest, pk: int) -> HttpResponse:
    device = services.get_device(principal=request.user, device_id=pk)
    try:
        lifecycle.do_record_lifecycle_step(
            device_id=device.pk,
            to_state=request.POST.get("to_state", ""),
            note=request.POST.get("note", "")[:1000],
            test_record=request.POST.get("test_record", "")[:4000],
            actor=request.user,
        )
        messages.success(request, _("Lifecycle step recorded."))
    except DomainError as exc:
        _refused(request, exc)
    return redirect(reverse("devices:device_detail", args=[device.pk]) + "#lifecycle")


@require_POST
@console_view(perms.LIFECYCLE)
def retirement_request(request: HttpRequest, pk: int) -> HttpResponse:
    device = services.get_device(principal=request.user, device_id=pk)
    form = RetirementForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the reason for the retirement (appraisal findings)."))
    else:
        try:
            approval = lifecycle.do_request_retirement(
                device_id=device.pk, reason=form.cleaned_data["reason"], actor=request.user
            )
            messages.success(
                request,
                _("Retirement applied for; request #%(id)s waits for a second person's appraisal approval.")
                % {"id": approval.pk},
            )
        except DomainError as exc:
            _refused(request, exc)
    return redirect(reverse("devices:device_detail", args=[device.pk]) + "#lifecycle")


@require_POST
@console_view(perms.SET_STATUS)
def status_set(request: HttpRequest, pk: int) -> HttpResponse:
    """Put the device in or out of service, with the reason (audited)."""
    device = services.get_device(principal=request.user, device_id=pk)
    try:
        do_set_operational_status(
            device_id=device.pk,
            status=request.POST.get("status", ""),
            reason=request.POST.get("reason", "")[:200],
            actor=request.user,
        )
        messages.success(request, _("Operational status changed."))
    except DomainError as exc:
        _refused(request, exc)
    return redirect("devices:device_detail", pk=device.pk)


@console_view(perms.MANAGE)
def device_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit the registry entry: name, location, network dependency, dates."""
    device = services.get_device(principal=request.user, device_id=pk)
    form = DeviceEditForm(request.POST or None, device=device)
    if request.method == "POST" and form.is_valid():
        try:
            do_update_device(device_id=device.pk, changes=form.changes(), actor=request.user)
        except DomainError as exc:
            apply_domain_error(form, exc, {"upstream_id": "upstream"})
        else:
            messages.success(request, _("Device updated."))
            return redirect("devices:device_detail", pk=device.pk)
    context = {"device": device, "form": form, "breadcrumbs": _crumbs(device, (_("Edit"), ""))}
    return render(request, "devices/device_edit.html", context, status=422 if form.errors else 200)


@console_view(perms.LIFECYCLE)
def procurement(request: HttpRequest) -> HttpResponse:
    """Request a device: it is registered as "procurement requested" pending a second person."""
    form = ProcurementForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        branch = data.pop("branch")
        try:
            device, approval = lifecycle.do_request_procurement(
                branch_id=branch.pk, **data, actor=request.user
            )
        except DomainError as exc:
            apply_domain_error(form, exc, {"branch_id": "branch"})
        else:
            messages.success(
                request,
                _("Procurement requested; request #%(id)s waits for a second person's approval.")
                % {"id": approval.pk},
            )
            return redirect("devices:device_detail", pk=device.pk)
    context = {
        "form": form,
        "breadcrumbs": [(_("Devices"), reverse("devices:device_list")), (_("Request a device"), "")],
    }
    return render(request, "devices/procurement.html", context)


# --- the upkeep page ------------------------------------------------------------------------------
def _upkeep(request: HttpRequest, device: Device, **forms: Any) -> HttpResponse:
    actor = request.user
    standing = list(device.alarms.filter(state__in=AlarmState.active()).order_by("-raised_at"))
    context: dict[str, Any] = {
        "device": device,
        "plans": list(services_maintenance.list_plans(principal=actor, device_id=device.pk)),
        "inspections": list(
            services_maintenance.list_inspections(principal=actor, device_id=device.pk)[:UPKEEP_ROWS]
        ),
        "updates": list(
            services_maintenance.list_updates(principal=actor, device_id=device.pk)[:UPKEEP_ROWS]
        ),
        "sessions": list(
            services_maintenance.list_sessions(principal=actor, device_id=device.pk)[:UPKEEP_ROWS]
        ),
        "may_plan": _may(request, perms.MANAGE_WINDOWS),
        "may_inspect": _may(request, perms.INSPECT),
        "may_remote": _may(request, perms.REMOTE),
        "plan_form": forms.get("plan_form") or PlanForm(),
        "complete_form": CompleteForm(),
        "update_form": forms.get("update_form") or SoftwareUpdateForm(),
        "session_form": forms.get("session_form") or SessionStartForm(alarms=standing),
        "windows": list(
            services.list_maintenance_windows(principal=actor, current_only=True)
            .filter(Q(device=device) | Q(device__isnull=True, branch_id=device.branch_id))
            .order_by("starts_at")[:UPKEEP_ROWS]
        ),
        "window_form": forms.get("window_form") or WindowForm(),
        "order_url": services_maintenance.work_order_url_prefix(),
        "inspection_colours": {v: InspectionResult.colour(v) for v in InspectionResult.values},
        "update_colours": {v: SoftwareUpdateResult.colour(v) for v in SoftwareUpdateResult.values},
        "breadcrumbs": _crumbs(device, (_("Maintenance and diagnostics"), "")),
    }
    return render(request, "devices/device_upkeep.html", context, status=422 if forms else 200)


@console_view(perms.VIEW)
def device_upkeep(request: HttpRequest, pk: int) -> HttpResponse:
    return _upkeep(request, services.get_device(principal=request.user, device_id=pk))


@require_POST
@console_view(perms.MANAGE_WINDOWS)
def plan_create(request: HttpRequest, pk: int) -> HttpResponse:
    device = services.get_device(principal=request.user, device_id=pk)
    form = PlanForm(request.POST)
    if form.is_valid():
        try:
            maintenance.do_create_maintenance_plan(
                **form.cleaned_data, device_id=device.pk, actor=request.user
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Maintenance plan created."))
            return redirect("devices:device_upkeep", pk=device.pk)
    return _upkeep(request, device, plan_form=form)


@require_POST
@console_view(perms.INSPECT)
def plan_complete(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = services_maintenance.get_plan(principal=request.user, plan_id=plan_id)
    form = CompleteForm(request.POST)
    try:
        if not form.is_valid():
            raise DomainError(_("The note is at most 2000 characters."))
        maintenance.do_complete_maintenance(
            plan_id=plan.pk, note=form.cleaned_data["note"], actor=request.user
        )
        messages.success(request, _("Completion recorded; the next due date counts from today."))
    except DomainError as exc:
        _refused(request, exc)
    if plan.device_id is None:
        return redirect("devices:maintenance_plans")
    return redirect(reverse("devices:device_upkeep", args=[plan.device_id]) + "#plans")


@console_view(perms.VIEW)
def maintenance_plans(request: HttpRequest) -> HttpResponse:
    """Every plan in scope by next due date; class plans (per branch) are created here."""
    actor = request.user
    may_plan = _may(request, perms.MANAGE_WINDOWS)
    form = ClassPlanForm(request.POST or None, actor=actor) if may_plan else None
    if request.method == "POST":
        if form is None:
            return HttpResponse(status=403)
        if form.is_valid():
            data = dict(form.cleaned_data)
            branch = data.pop("branch")
            try:
                maintenance.do_create_maintenance_plan(**data, branch_id=branch.pk, actor=actor)
            except DomainError as exc:
                apply_domain_error(form, exc, {"branch_id": "branch"})
            else:
                messages.success(request, _("Maintenance plan created."))
                return redirect("devices:maintenance_plans")
    page = page_of(request, services_maintenance.list_plans(principal=actor))
    for plan in page.items:
        plan.class_label = DeviceClass(plan.device_class).label if plan.device_class else ""
    context = {
        "page": page,
        "form": form,
        "complete_form": CompleteForm(),
        "may_inspect": _may(request, perms.INSPECT),
        "order_url": services_maintenance.work_order_url_prefix(),
        "breadcrumbs": [(_("Devices"), reverse("devices:device_list")), (_("Maintenance plans"), "")],
    }
    return render(
        request,
        "devices/maintenance_plans.html",
        context,
        status=422 if form is not None and form.errors else 200,
    )


@require_POST
@console_view(perms.MANAGE_WINDOWS)
def window_plan(request: HttpRequest, pk: int) -> HttpResponse:
    device = services.get_device(principal=request.user, device_id=pk)
    form = WindowForm(request.POST)
    if form.is_valid():
        try:
            do_plan_maintenance_window(
                branch_id=device.branch_id, device_id=device.pk, **form.cleaned_data, actor=request.user
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(
                request, _("Maintenance window planned; the device's alarms are muted during it.")
            )
            return redirect(reverse("devices:device_upkeep", args=[device.pk]) + "#windows")
    return _upkeep(request, device, window_form=form)


# --- inspections ----------------------------------------------------------------------------------
@console_view(perms.INSPECT)
def inspection_new(request: HttpRequest, pk: int) -> HttpResponse:
    """The daily inspection form: the device class's checklist, photos, optionally a work order."""
    device = services.get_device(principal=request.user, device_id=pk)
    form = InspectionForm(request.POST or None, request.FILES or None, device_class=device.device_class)
    if request.method == "POST" and form.is_valid():
        try:
            record = inspections.do_record_inspection(
                device_id=device.pk,
                results=form.results(),
                note=form.cleaned_data["note"],
                open_work_order=form.cleaned_data["open_work_order"],
                attachments=form.cleaned_data["attachments"],
                actor=request.user,
            )
        except DomainError as exc:
            aliases = {f"results.{i.code}": f"{i.code}__note" for i in form.items}
            apply_domain_error(form, exc, aliases)
        else:
            messages.success(request, _("Inspection recorded."))
            return redirect("devices:inspection_detail", inspection_id=record.pk)
    context = {
        "device": device,
        "form": form,
        "breadcrumbs": _crumbs(
            device,
            (_("Maintenance and diagnostics"), reverse("devices:device_upkeep", args=[device.pk])),
            (_("Inspection"), ""),
        ),
    }
    return render(request, "devices/inspection_form.html", context, status=422 if form.errors else 200)


@console_view(perms.VIEW)
def inspection_list(request: HttpRequest) -> HttpResponse:
    """Inspections in scope, newest first; "problems only" shows what needs attention or a fault."""
    rows = services_maintenance.list_inspections(principal=request.user)
    problems = request.GET.get("problems") == "1"
    if problems:
        rows = rows.exclude(overall=InspectionResult.OK)
    context = {
        "page": page_of(request, rows),
        "problems": problems,
        "breadcrumbs": [(_("Devices"), reverse("devices:device_list")), (_("Inspections"), "")],
    }
    return render(request, "devices/inspection_list.html", context)


@console_view(perms.VIEW)
def inspection_detail(request: HttpRequest, inspection_id: int) -> HttpResponse:
    record = services_maintenance.get_inspection(principal=request.user, inspection_id=inspection_id)
    context = {
        "record": record,
        "device": record.device,
        "rows": services_maintenance.describe_results(record),
        "overall_colour": InspectionResult.colour(record.overall),
        "order_url": services_maintenance.work_order_url_prefix(),
        "breadcrumbs": _crumbs(
            record.device,
            (_("Maintenance and diagnostics"), reverse("devices:device_upkeep", args=[record.device_id])),
            (_("Inspection"), ""),
        ),
    }
    return render(request, "devices/inspection_detail.html", context)


@console_view(perms.VIEW)
def inspection_attachment(request: HttpRequest, inspection_id: int, attachment_id: int) -> Any:
    record = services_maintenance.get_inspection(principal=request.user, inspection_id=inspection_id)
    attachment = InspectionAttachment.objects.filter(pk=attachment_id, inspection=record).first()
    if attachment is None:
        raise NotFound(_("Attachment not found."))
    response = FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.original_name)
    response["Content-Type"] = attachment.content_type
    return response


# --- software updates -----------------------------------------------------------------------------
@require_POST
@console_view(perms.INSPECT)
def software_update(request: HttpRequest, pk: int) -> HttpResponse:
    device = services.get_device(principal=request.user, device_id=pk)
    form = SoftwareUpdateForm(request.POST)
    if form.is_valid():
        try:
            inspections.do_record_software_update(
                device_id=device.pk, **form.cleaned_data, actor=request.user
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Software update recorded."))
            return redirect(reverse("devices:device_upkeep", args=[device.pk]) + "#updates")
    return _upkeep(request, device, update_form=form)


# --- remote sessions ------------------------------------------------------------------------------
@require_POST
@console_view(perms.REMOTE)
def session_start(request: HttpRequest, pk: int) -> HttpResponse:
    device = services.get_device(principal=request.user, device_id=pk)
    standing = list(device.alarms.filter(state__in=AlarmState.active()))
    form = SessionStartForm(request.POST, alarms=standing)
    if form.is_valid():
        try:
            session = diagnostics.do_start_remote_session(
                device_id=device.pk,
                channel=form.cleaned_data["channel"],
                alarm_id=form.cleaned_data["alarm"],
                summary=form.cleaned_data["summary"],
                actor=request.user,
            )
        except DomainError as exc:
            apply_domain_error(form, exc, {"alarm_id": "alarm"})
        else:
            return redirect("devices:session_detail", session_id=session.pk)
    return _upkeep(request, device, session_form=form)


def _session_page(request: HttpRequest, session_id: int, **forms: Any) -> HttpResponse:
    session = services_maintenance.get_session(principal=request.user, session_id=session_id)
    context = {
        "session": session,
        "device": session.device,
        "cards": services_maintenance.diagnosis_cards(session),
        "running": session.ended_at is None,
        "may_remote": _may(request, perms.REMOTE),
        "action_form": forms.get("action_form") or RemoteActionForm(),
        "end_form": forms.get("end_form") or SessionEndForm(),
        "breadcrumbs": _crumbs(
            session.device,
            (_("Maintenance and diagnostics"), reverse("devices:device_upkeep", args=[session.device_id])),
            (_("Remote session"), ""),
        ),
    }
    return render(request, "devices/session_detail.html", context, status=422 if forms else 200)


@console_view(perms.VIEW)
def session_detail(request: HttpRequest, session_id: int) -> HttpResponse:
    return _session_page(request, session_id)


@require_POST
@console_view(perms.REMOTE)
def session_action(request: HttpRequest, session_id: int) -> HttpResponse:
    form = RemoteActionForm(request.POST)
    if form.is_valid():
        try:
            diagnostics.do_record_remote_action(
                session_id=session_id, **form.cleaned_data, actor=request.user
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            return redirect(reverse("devices:session_detail", args=[session_id]) + "#actions")
    return _session_page(request, session_id, action_form=form)


@require_POST
@console_view(perms.REMOTE)
def session_end(request: HttpRequest, session_id: int) -> HttpResponse:
    form = SessionEndForm(request.POST)
    if form.is_valid():
        try:
            diagnostics.do_end_remote_session(session_id=session_id, **form.cleaned_data, actor=request.user)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Remote session ended."))
            return redirect("devices:session_detail", session_id=session_id)
    return _session_page(request, session_id, end_form=form)

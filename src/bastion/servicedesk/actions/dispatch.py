"""Assigning orders (automatic, manual, escalation) and keeping engineers' skills and roster."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bastion.audit.actions import record_event
from bastion.identity.models import Region, Team, User
from bastion.platform.errors import Conflict, FieldError, NotFound, PermissionDenied
from bastion.platform.scoping import get_scoped_object
from bastion.servicedesk import dispatch, notifications
from bastion.servicedesk.actions._common import add_timeline, load_order, person, require, snapshot
from bastion.servicedesk.choices import CERTIFICATIONS, AssignmentMode, SupportLevel, TimelineKind
from bastion.servicedesk.models import Assignment, EngineerProfile, RosterShift, WorkOrder
from bastion.servicedesk.permissions import DISPATCH, MANAGE_ROSTER, WORK


def _assign(
    order: WorkOrder,
    *,
    engineer: User,
    team: Team | None,
    level: str,
    mode: str,
    reason: str,
    candidates: list[dict[str, Any]],
    actor: Any,
) -> Assignment:
    before = snapshot(order)
    order.assignee, order.team, order.support_level = engineer, team, level
    order.save(update_fields=["assignee", "team", "support_level", "updated_at"])
    assignment = Assignment.objects.create(
        work_order=order,
        engineer=engineer,
        team=team,
        level=level,
        mode=mode,
        reason=reason,
        candidates=candidates,
        assigned_by=person(actor),
        assigned_at=timezone.now(),
    )
    add_timeline(
        order,
        kind=TimelineKind.ASSIGNMENT,
        actor=actor,
        text=_("Assigned to %(engineer)s (%(level)s): %(reason)s")
        % {"engineer": engineer.display_name, "level": SupportLevel(level).label, "reason": reason},
        data={"assignment_id": assignment.pk, "mode": mode},
    )
    record_event(
        action="servicedesk.work_order_assigned",
        actor=actor,
        obj=order,
        before=before,
        after=snapshot(order),
        extra={"mode": mode, "reason": reason, "candidates": candidates[:20]},
    )
    notifications.notify(
        recipients=[engineer],
        kind="servicedesk.assigned",
        subject=_("%(number)s assigned to you: %(title)s") % {"number": order.number, "title": order.title},
        body=f"{order.title}\n{order.branch.name}\n{order.symptoms}",
        order=order,
    )
    return assignment


def auto_dispatch(
    order: WorkOrder,
    *,
    actor: Any,
    start_level: str = SupportLevel.FRONTLINE,
    mode: str = AssignmentMode.AUTOMATIC,
) -> Assignment | None:
    """Pick and assign the best engineer (inside the caller's transaction); None when nobody can."""
    best, considered = dispatch.choose(order, at=timezone.now(), start_level=start_level)
    evidence = [c.as_dict() for c in considered]
    if best is None:
        add_timeline(
            order,
            kind=TimelineKind.ASSIGNMENT,
            actor=actor,
            text=_("No engineer on duty with the skill and capacity; supervisors informed."),
            data={"candidates": evidence},
        )
        notifications.notify(
            recipients=notifications.supervisors_for(order),
            kind="servicedesk.unassigned",
            subject=_("%(number)s needs manual dispatch") % {"number": order.number},
            body=order.title,
            order=order,
        )
        return None
    escalated = best.level != start_level
    reason = _("Best score %(score)s (%(reasons)s)") % {
        "score": best.score,
        "reasons": "; ".join(best.reasons) or "-",
    }
    if escalated:
        reason = _("The front line has nobody able and free, so the back-end centre: %(reason)s") % {
            "reason": reason
        }
    engineer = User.objects.get(pk=best.user_id)
    team = Team.objects.get(pk=best.team_id)
    return _assign(
        order,
        engineer=engineer,
        team=team,
        level=best.level,
        mode=AssignmentMode.ESCALATION if escalated else mode,
        reason=reason,
        candidates=evidence,
        actor=actor,
    )


def do_dispatch_work_order(*, work_order_id: int, actor: Any) -> Assignment | None:
    """Run automatic dispatch for an order again (e.g. after the roster changed)."""
    require(actor, DISPATCH)
    with transaction.atomic():
        order = load_order(actor, work_order_id)
        if not order.is_open:
            raise Conflict(_("The order is finished."), code="finished")
        return auto_dispatch(order, actor=actor, start_level=order.support_level)


def do_assign_work_order(*, work_order_id: int, engineer_id: int, reason: str, actor: Any) -> Assignment:
    """Manual reassignment by a supervisor, with the reason recorded."""
    require(actor, DISPATCH)
    if not reason.strip():
        raise FieldError("reason", _("Say why the order is reassigned."))
    with transaction.atomic():
        order = load_order(actor, work_order_id)
        if not order.is_open:
            raise Conflict(_("The order is finished."), code="finished")
        engineer = User.objects.filter(pk=engineer_id, is_active=True).first()
        if (
            engineer is None
            or not engineer.has_permission(WORK)
            or not engineer.branch_scope().allows(order.branch_id)
        ):
            raise FieldError("engineer_id", _("Not an engineer who can work orders of this branch."))
        teams = dispatch.teams_serving(order, SupportLevel.BACKEND) + dispatch.teams_serving(
            order, SupportLevel.FRONTLINE
        )
        team = next((t for t in teams if t.members.filter(pk=engineer.pk).exists()), None)
        level = (
            SupportLevel.BACKEND
            if team is not None and team.kind == "backend_support"
            else SupportLevel.FRONTLINE
        )
        return _assign(
            order,
            engineer=engineer,
            team=team,
            level=level,
            mode=AssignmentMode.MANUAL,
            reason=reason.strip(),
            candidates=[],
            actor=actor,
        )


def escalate_to_backend(order: WorkOrder, *, actor: Any, reason: str) -> Assignment | None:
    """Hand the order to the back-end technical support centre (inside the caller's transaction)."""
    order.escalation_level += 1
    order.support_level = SupportLevel.BACKEND
    order.save(update_fields=["escalation_level", "support_level", "updated_at"])
    add_timeline(order, kind=TimelineKind.ESCALATION, actor=actor, text=reason)
    record_event(action="servicedesk.work_order_escalated", actor=actor, obj=order, extra={"reason": reason})
    return auto_dispatch(order, actor=actor, start_level=SupportLevel.BACKEND, mode=AssignmentMode.ESCALATION)


def do_escalate_work_order(*, work_order_id: int, reason: str, actor: Any) -> Assignment | None:
    """Escalate to the back-end centre: by a supervisor, or by the front-line engineer holding it."""
    if not reason.strip():
        raise FieldError("reason", _("Say why the order is escalated."))
    with transaction.atomic():
        order = load_order(actor, work_order_id)
        if actor is not None and not actor.has_permission(DISPATCH):
            require(actor, WORK)
            if order.assignee_id is None or order.assignee_id != getattr(person(actor), "pk", None):
                raise PermissionDenied(
                    _("Only the assigned engineer or a supervisor escalates this order."), code="not_assignee"
                )
        if not order.is_open:
            raise Conflict(_("The order is finished."), code="finished")
        if order.support_level == SupportLevel.BACKEND:
            raise Conflict(
                _("The order is already with the back-end support centre."), code="already_escalated"
            )
        return escalate_to_backend(order, actor=actor, reason=reason.strip())


# --- skills and roster ----------------------------------------------------------------------------


def do_save_engineer_profile(
    *,
    user_id: int,
    device_classes: list[str],
    certifications: list[str],
    region_ids: list[int] | None = None,
    max_open_orders: int = 6,
    is_active: bool = True,
    actor: Any,
) -> EngineerProfile:
    """Record what an engineer can fix, their certifications, regions and capacity."""
    from bastion.devices.choices import DeviceClass

    require(actor, MANAGE_ROSTER)
    unknown = set(device_classes) - set(DeviceClass.values)
    if unknown:
        raise FieldError(
            "device_classes", _("Unknown device classes: %(names)s") % {"names": ", ".join(sorted(unknown))}
        )
    certs = sorted({c.strip().upper() for c in certifications if c.strip()})
    if not 1 <= max_open_orders <= 50:
        raise FieldError("max_open_orders", _("Capacity must be between 1 and 50 open orders."))
    with transaction.atomic():
        user = _engineer_in_scope(actor, user_id)
        profile, created = EngineerProfile.objects.get_or_create(user=user)
        before = None if created else _profile_dict(profile)
        profile.device_classes = sorted(set(device_classes))
        profile.certifications = certs
        profile.max_open_orders = max_open_orders
        profile.is_active = is_active
        profile.save()
        if region_ids is not None:
            regions = list(Region.objects.filter(pk__in=region_ids))
            if len(regions) != len(set(region_ids)):
                raise FieldError("region_ids", _("Unknown region."))
            profile.regions.set(regions)
        record_event(
            action="servicedesk.engineer_profile_saved",
            actor=actor,
            obj=profile,
            before=before,
            after=_profile_dict(profile),
        )
    return profile


def _profile_dict(profile: EngineerProfile) -> dict[str, Any]:
    return {
        "device_classes": profile.device_classes,
        "certifications": profile.certifications,
        "max_open_orders": profile.max_open_orders,
        "is_active": profile.is_active,
    }


def _engineer_in_scope(actor: Any, user_id: int) -> User:
    users = User.objects.filter(is_active=True)
    user = users.filter(pk=user_id).first() if actor is None else get_scoped_object(users, actor, pk=user_id)
    if user is None:
        raise NotFound(_("User not found."))
    if not user.has_permission(WORK):
        raise FieldError("user_id", _("Only engineers get a skills profile or duty shifts."))
    return user


def do_add_roster_shift(
    *, user_id: int, starts_at: dt.datetime, ends_at: dt.datetime, note: str = "", actor: Any
) -> RosterShift:
    """Put an engineer on duty for a period (overlapping shifts of one engineer are refused)."""
    require(actor, MANAGE_ROSTER)
    if timezone.is_naive(starts_at) or timezone.is_naive(ends_at):
        raise FieldError("starts_at", _("Give the time zone with the times."))
    if ends_at <= starts_at:
        raise FieldError("ends_at", _("The shift must end after it starts."))
    if ends_at - starts_at > dt.timedelta(hours=24):
        raise FieldError("ends_at", _("A shift lasts at most 24 hours."))
    with transaction.atomic():
        user = _engineer_in_scope(actor, user_id)
        if RosterShift.objects.filter(user=user, starts_at__lt=ends_at, ends_at__gt=starts_at).exists():
            raise Conflict(_("The engineer already has a shift in that period."), code="overlap")
        shift = RosterShift.objects.create(
            user=user, starts_at=starts_at, ends_at=ends_at, note=note.strip()[:200]
        )
        record_event(
            action="servicedesk.roster_shift_added",
            actor=actor,
            obj=shift,
            after={"user_id": user.pk, "starts_at": starts_at, "ends_at": ends_at},
        )
    return shift


def do_remove_roster_shift(*, shift_id: int, actor: Any) -> None:
    """Take a shift off the roster."""
    require(actor, MANAGE_ROSTER)
    with transaction.atomic():
        shifts = RosterShift.objects.select_related("user")
        shift = (
            shifts.filter(pk=shift_id).first()
            if actor is None
            else get_scoped_object(shifts, actor, pk=shift_id)
        )
        if shift is None:
            raise NotFound(_("Shift not found."))
        record_event(
            action="servicedesk.roster_shift_removed",
            actor=actor,
            obj=shift,
            before={"user_id": shift.user_id, "starts_at": shift.starts_at, "ends_at": shift.ends_at},
        )
        shift.delete()


KNOWN_CERTIFICATIONS = CERTIFICATIONS

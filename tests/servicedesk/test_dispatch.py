"""Dispatch (R3.3): skill, certifications, region and branch, load, roster, escalation, reassignment."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from bastion.identity.models import Region, Team
from bastion.platform.errors import Conflict, FieldError, PermissionDenied
from bastion.servicedesk.actions import (
    do_add_roster_shift,
    do_assign_work_order,
    do_escalate_work_order,
    do_open_work_order,
    do_save_engineer_profile,
)
from bastion.servicedesk.models import Assignment
from tests.factories import make_branch, make_user
from tests.servicedesk.conftest import engineer, on_duty

pytestmark = pytest.mark.django_db


def open_fault(desk, device="atm", branch=None, kind="fault"):
    return do_open_work_order(
        branch_id=(branch or desk.world.branch_a).pk,
        kind=kind,
        channel="phone",
        title="故障",
        symptoms="设备故障",
        device_id=desk.devices[device].pk if device else None,
        actor=desk.world.users["customer_service_agent"],
    )


def add_frontliner(desk, name, *, classes=("atm",), certs=(), branch=None, duty=True, max_open=6):
    user = engineer(name, branch or desk.world.branch_a, classes=classes, certs=certs, max_open=max_open)
    desk.frontline.members.add(user)
    if duty:
        on_duty(user)
    return user


def test_skill_decides_and_the_reason_is_recorded(desk):
    pos_only = add_frontliner(desk, "pos_only", classes=("pos",))
    order = open_fault(desk, "atm")
    assert order.assignee == desk.user("onsite_engineer")
    assignment = Assignment.objects.get(work_order=order)
    assert assignment.mode == "automatic" and "atm skill" in assignment.reason
    by_user = {c["username"]: c for c in assignment.candidates}
    assert by_user[pos_only.username]["excluded"] == "no atm skill"
    assert by_user["onsite_engineer_a"]["score"] > 0
    assert order.timeline.filter(kind="assignment").exists()


def test_certification_wins_for_network_equipment(desk):
    plain = add_frontliner(desk, "plain_net", classes=("network",))
    ccna = add_frontliner(desk, "ccna_net", classes=("network",), certs=("CCNA",))
    order = open_fault(desk, "switch")
    assert order.assignee == ccna
    scores = {c["username"]: c["score"] for c in Assignment.objects.get(work_order=order).candidates}
    assert scores["ccna_net"] - scores["plain_net"] == 25  # +15 certified against -10 missing
    assert plain != order.assignee


def test_home_branch_beats_same_region_beats_elsewhere(desk):
    world = desk.world
    west = Region.objects.create(institution=world.branch_a.institution, code="west", name="西部区")
    far_branch = make_branch("cd-gaoxin", "成都高新支行", "成都")
    far_branch.region = west
    far_branch.save()
    region_mate = add_frontliner(desk, "region_mate", branch=world.branch_b)  # B is in 华东区 too
    far = add_frontliner(desk, "far_away", branch=far_branch)
    for covering in (region_mate, far):  # both may work at branch A
        covering.extra_branches.add(world.branch_a)
    world_user = desk.user("onsite_engineer")
    order = open_fault(desk, "atm")
    scores = {c["username"]: c["score"] for c in Assignment.objects.get(work_order=order).candidates}
    assert order.assignee == world_user
    assert scores[world_user.username] == scores[region_mate.username] + 15
    assert scores[region_mate.username] == scores[far.username] + 10


def test_engineer_who_cannot_see_the_branch_is_excluded(desk):
    add_frontliner(desk, "outsider", branch=desk.world.branch_b)
    order = open_fault(desk, "atm")
    excluded = {c["username"]: c["excluded"] for c in Assignment.objects.get(work_order=order).candidates}
    assert excluded["outsider"] == "the branch is outside their scope"
    assert order.assignee == desk.user("onsite_engineer")


def test_load_spreads_work_and_capacity_excludes(desk):
    second = add_frontliner(desk, "second_atm", max_open=1)
    first = open_fault(desk, "atm")
    assert first.assignee == desk.user("onsite_engineer")  # tie on score: lower load, then lower id
    assert open_fault(desk, "atm").assignee == second  # onsite now carries one (-8)
    third = open_fault(desk, "atm")
    assert third.assignee == desk.user("onsite_engineer")  # second is at capacity (1/1)
    excluded = {c["username"]: c["excluded"] for c in Assignment.objects.get(work_order=third).candidates}
    assert excluded["second_atm"] == "at capacity (1/1)"


def test_roster_only_on_duty_engineers_are_dispatched(desk, clock):
    off_duty = add_frontliner(desk, "off_duty", duty=False)
    order = open_fault(desk, "atm")
    candidates = {c["username"]: c for c in Assignment.objects.get(work_order=order).candidates}
    assert candidates[off_duty.username]["excluded"] == "not on duty"
    # A shift that ended a minute ago does not count either.
    desk.user("onsite_engineer").roster_shifts.update(ends_at=timezone.now() - dt.timedelta(minutes=1))
    later = open_fault(desk, "pos")  # nobody at the front line is on duty with a POS skill
    assert later.support_level == "backend"


def test_escalation_to_backend_when_front_line_cannot(desk):
    order = open_fault(desk, "switch")  # nobody at the front line has a network skill
    assert order.assignee == desk.user("backend_expert")
    assert order.support_level == "backend"
    assignment = Assignment.objects.get(work_order=order)
    assert assignment.mode == "escalation"
    assert {c["level"] for c in assignment.candidates} == {"frontline", "backend"}


def test_engineer_escalates_own_order(desk):
    order = open_fault(desk, "atm")
    with pytest.raises(FieldError):
        do_escalate_work_order(work_order_id=order.pk, reason=" ", actor=desk.user("onsite_engineer"))
    do_escalate_work_order(
        work_order_id=order.pk, reason="需要厂商二线支持", actor=desk.user("onsite_engineer")
    )
    order.refresh_from_db()
    assert order.support_level == "backend" and order.assignee == desk.user("backend_expert")
    with pytest.raises(Conflict):
        do_escalate_work_order(
            work_order_id=order.pk, reason="again", actor=desk.world.users["support_supervisor"]
        )


def test_nobody_available_leaves_it_for_the_supervisor(desk):
    desk.backend.members.clear()
    order = open_fault(desk, "switch")
    assert order.assignee is None
    assert order.timeline.filter(kind="assignment", text__contains="No engineer").exists()


def test_manual_reassignment_needs_dispatch_permission_and_a_reason(desk):
    other = add_frontliner(desk, "other_atm")
    order = open_fault(desk, "atm")
    supervisor = desk.world.users["support_supervisor"]
    with pytest.raises(PermissionDenied):
        do_assign_work_order(
            work_order_id=order.pk, engineer_id=other.pk, reason="x", actor=desk.user("onsite_engineer")
        )
    with pytest.raises(FieldError):
        do_assign_work_order(work_order_id=order.pk, engineer_id=other.pk, reason="", actor=supervisor)
    with pytest.raises(FieldError):
        do_assign_work_order(
            work_order_id=order.pk, engineer_id=desk.world.users["auditor"].pk, reason="x", actor=supervisor
        )
    assignment = do_assign_work_order(
        work_order_id=order.pk, engineer_id=other.pk, reason="熟悉该网点", actor=supervisor
    )
    assert assignment.mode == "manual" and assignment.assigned_by == supervisor
    order.refresh_from_db()
    assert order.assignee == other


def test_profiles_and_roster_are_managed_with_checks(desk, clock):
    supervisor = desk.world.users["support_supervisor"]
    user = make_user("new_engineer", roles=["remote_engineer"], branch=desk.world.branch_a)
    profile = do_save_engineer_profile(
        user_id=user.pk,
        device_classes=["server", "network"],
        certifications=["ccna", " itil "],
        actor=supervisor,
    )
    assert profile.certifications == ["CCNA", "ITIL"]
    with pytest.raises(FieldError):
        do_save_engineer_profile(
            user_id=user.pk, device_classes=["toaster"], certifications=[], actor=supervisor
        )
    with pytest.raises(FieldError):
        do_save_engineer_profile(
            user_id=desk.world.users["auditor"].pk, device_classes=[], certifications=[], actor=supervisor
        )
    start = timezone.now()
    do_add_roster_shift(
        user_id=user.pk, starts_at=start, ends_at=start + dt.timedelta(hours=8), actor=supervisor
    )
    with pytest.raises(Conflict):
        do_add_roster_shift(
            user_id=user.pk,
            starts_at=start + dt.timedelta(hours=7),
            ends_at=start + dt.timedelta(hours=9),
            actor=supervisor,
        )
    with pytest.raises(FieldError):
        do_add_roster_shift(user_id=user.pk, starts_at=start, ends_at=start, actor=supervisor)
    with pytest.raises(PermissionDenied):
        do_add_roster_shift(
            user_id=user.pk,
            starts_at=start,
            ends_at=start + dt.timedelta(hours=1),
            actor=desk.user("onsite_engineer"),
        )
    assert Team.objects.filter(kind="backend_support").exists()

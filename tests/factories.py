"""Test data builders: an institution with two branches and staff in every role."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pyotp
from django.db import transaction
from django.utils import timezone

from bastion.identity.models import Branch, Institution, Region, Role, User, UserRole
from bastion.platform.models import BusinessCalendar, WorkingWindow

PASSWORD = "Correct-Horse-Battery-9"


def make_calendar(code: str = "cn-standard") -> BusinessCalendar:
    calendar, created = BusinessCalendar.objects.get_or_create(code=code, defaults={"name": "标准营业日历"})
    if created:
        for weekday in range(5):
            WorkingWindow.objects.create(
                calendar=calendar, weekday=weekday, start=dt.time(9), end=dt.time(12)
            )
            WorkingWindow.objects.create(
                calendar=calendar, weekday=weekday, start=dt.time(13), end=dt.time(17, 30)
            )
    return calendar


def make_branch(code: str, name: str, city: str, *, institution: Institution | None = None) -> Branch:
    institution = (
        institution or Institution.objects.get_or_create(code="demo-bank", defaults={"name": "示范银行"})[0]
    )
    region = Region.objects.get_or_create(institution=institution, code="east", defaults={"name": "华东区"})[
        0
    ]
    return Branch.objects.create(
        institution=institution, region=region, code=code, name=name, city=city, calendar=make_calendar()
    )


def make_user(
    username: str,
    *,
    roles: list[str] = (),  # type: ignore[assignment]
    branch: Branch | None = None,
    institution_wide: bool = False,
    mfa: bool = True,
) -> User:
    """A user holding the given roles directly (tests bypass the grant flow on purpose)."""
    with transaction.atomic():
        user = User.objects.create(
            username=username, full_name=username, home_branch=branch, institution_wide=institution_wide
        )
        user.set_password(PASSWORD)
        if mfa:
            user.totp_secret = pyotp.random_base32()
            user.totp_confirmed_at = timezone.now()
        user.save()
        for code in roles:
            UserRole.objects.create(user=user, role=Role.objects.get(code=code))
    return User.objects.get(pk=user.pk)


def totp_now(user: User, *, offset_steps: int = 0) -> str:
    totp = pyotp.TOTP(user.totp_secret)
    return totp.generate_otp(int(timezone.now().timestamp()) // 30 + offset_steps)


@dataclass
class World:
    """Two branches in two cities, and users in every role at branch A plus some at branch B."""

    branch_a: Branch
    branch_b: Branch
    users: dict[str, User] = field(default_factory=dict)


def make_world() -> World:
    branch_a = make_branch("sh-pudong", "上海浦东支行", "上海")
    branch_b = make_branch("bj-haidian", "北京海淀支行", "北京")
    world = World(branch_a, branch_b)
    for role in Role.objects.values_list("code", flat=True):
        world.users[role] = make_user(f"{role}_a", roles=[role], branch=branch_a)
    world.users["admin_hq"] = make_user("admin_hq", roles=["administrator"], institution_wide=True)
    world.users["compliance_hq"] = make_user(
        "compliance_hq", roles=["compliance_officer"], institution_wide=True
    )
    world.users["auditor_hq"] = make_user("auditor_hq", roles=["auditor"], institution_wide=True)
    world.users["branch_manager_b"] = make_user("branch_manager_b", roles=["branch_manager"], branch=branch_b)
    world.users["engineer_b"] = make_user("engineer_b", roles=["onsite_engineer"], branch=branch_b)
    return world

"""Demo staff in every role of R1.2, with Chinese names, enrolled in TOTP."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import pyotp
from django.db import transaction
from django.utils import timezone

from bastion.audit.actions import record_event
from bastion.identity.actions import do_request_role_grant
from bastion.identity.models import Branch, Role, User, UserRole


@dataclass(frozen=True)
class StaffSeed:
    username: str
    full_name: str
    roles: tuple[str, ...]
    branch: str
    institution_wide: bool = False
    extra_branches: tuple[str, ...] = ()
    enrol_mfa: bool = True


STAFF = [
    StaffSeed("admin", "王建国", ("administrator",), "bj-hq", institution_wide=True),
    StaffSeed("compliance", "刘敏", ("compliance_officer",), "bj-hq", institution_wide=True),
    StaffSeed("auditor", "罗红", ("auditor",), "bj-hq", institution_wide=True),
    StaffSeed(
        "supervisor", "张伟", ("support_supervisor",), "sh-pudong", extra_branches=("sh-jingan", "hz-xihu")
    ),
    # Front-line engineers cover the branches of their region (the regional team dispatches them there).
    StaffSeed(
        "engineer_sh", "李强", ("onsite_engineer",), "sh-pudong", extra_branches=("sh-jingan", "hz-xihu")
    ),
    StaffSeed("engineer_bj", "赵磊", ("onsite_engineer",), "bj-haidian", extra_branches=("bj-hq",)),
    StaffSeed("engineer_gz", "黄志明", ("onsite_engineer",), "gz-tianhe", extra_branches=("sz-nanshan",)),
    StaffSeed("remote", "周杰", ("remote_engineer",), "bj-hq", institution_wide=True),
    StaffSeed("sc_operator", "孙丽", ("smart_counter_operator",), "sh-pudong"),
    StaffSeed("sc_manager", "吴芳", ("smart_counter_manager",), "sh-pudong"),
    StaffSeed("risk", "郑浩", ("risk_analyst",), "bj-hq", institution_wide=True),
    StaffSeed("risk2", "冯静", ("risk_analyst",), "bj-hq", institution_wide=True),
    StaffSeed("aml", "何雪", ("aml_officer",), "bj-hq", institution_wide=True),
    StaffSeed("aml2", "唐俊", ("aml_officer",), "bj-hq", institution_wide=True),
    StaffSeed("cs_agent", "林晓", ("customer_service_agent",), "bj-hq", institution_wide=True),
    StaffSeed("emergency", "高明", ("emergency_leader",), "bj-hq", institution_wide=True),
    StaffSeed("manager_sh", "徐丹", ("branch_manager",), "sh-pudong"),
    StaffSeed("manager_cd", "马超", ("branch_manager",), "cd-gaoxin"),
    StaffSeed("newhire", "陈思远", ("support_supervisor",), "gz-tianhe", enrol_mfa=False),
]


def build_staff(*, password: str) -> dict[str, str]:
    """Create the demo staff (idempotently); returns username -> TOTP secret of enrolled users."""
    branches = {b.code: b for b in Branch.objects.all()}
    roles = {r.code: r for r in Role.objects.all()}
    secrets_by_user: dict[str, str] = {}
    for seed in STAFF:
        user = User.objects.filter(username=seed.username).first()
        if user is None:
            user = _create(seed, branches=branches, roles=roles, password=password)
        if user.totp_secret and user.mfa_enrolled:
            secrets_by_user[user.username] = user.totp_secret
    _pending_grant_for_inbox()
    return secrets_by_user


def _create(seed: StaffSeed, *, branches: dict[str, Branch], roles: dict[str, Role], password: str) -> User:
    with transaction.atomic():
        user = User(
            username=seed.username,
            full_name=seed.full_name,
            email=f"{seed.username}@demo-bank.example",
            phone=f"13{secrets.randbelow(10**9):09d}",
            employee_no=f"E{secrets.randbelow(10**6):06d}",
            home_branch=branches[seed.branch],
            institution_wide=seed.institution_wide,
        )
        user.set_password(password)
        if seed.enrol_mfa:
            user.totp_secret = pyotp.random_base32()
            user.totp_confirmed_at = timezone.now()
        user.save()
        user.extra_branches.set([branches[code] for code in seed.extra_branches])
        for code in seed.roles:
            UserRole.objects.create(user=user, role=roles[code])
        record_event(
            action="demo.user_seeded",
            actor=None,
            obj=user,
            after={"username": user.username, "roles": list(seed.roles), "branch": seed.branch},
        )
    return user


def _pending_grant_for_inbox() -> None:
    """One role grant waiting for a checker, so the approvals inbox has something to show."""
    admin = User.objects.get(username="admin")
    engineer = User.objects.get(username="engineer_gz")
    if engineer.user_roles.filter(role__code="remote_engineer").exists():
        return
    from bastion.identity.choices import ApprovalStatus
    from bastion.identity.models import ApprovalRequest

    if ApprovalRequest.objects.filter(kind="identity.role_grant", status=ApprovalStatus.PENDING).exists():
        return
    do_request_role_grant(
        user_id=engineer.pk,
        role_code="remote_engineer",
        reason="华南区远程支持人手不足，申请临时增加远程工程师角色",
        actor=admin,
    )

"""Choosing an engineer for an order (R3.3): a read-only scoring of every candidate.

Candidates are the members of the support teams that serve the order's branch: front-line teams of
the branch or its region first, the back-end technical support centre when the front line has nobody
able and free, or when the order is escalated. Each candidate is either excluded, with the reason
(not on duty, at capacity, lacks the device skill, no skills profile, cannot see the order's
branch), or scored:

* device-class skill +40 (required at the front line when the order names a device);
* each certification the work calls for (CCNA for network equipment, RHCE for servers, ITIL for
  service requests) +15, a missing one -10;
* home branch is the order's branch +25, same region +10;
* -8 per open order already carried (current load).

Reasons are written in the language of the request that caused the assignment (they are a record).
The highest score wins; ties go to the lower load, then the lower id, so the choice is reproducible.
The full list is stored with the assignment, so every assignment can say why.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from bastion.identity.choices import TeamKind
from bastion.identity.models import Team, User
from bastion.servicedesk.choices import SupportLevel, WorkOrderKind, WorkOrderStatus
from bastion.servicedesk.models import EngineerProfile, RosterShift, WorkOrder

SKILL_POINTS = 40
CERTIFICATE_POINTS = 15
MISSING_CERTIFICATE_POINTS = -10
SAME_BRANCH_POINTS = 25
SAME_REGION_POINTS = 10
LOAD_POINTS = -8

CERTIFICATES_FOR_CLASS = {"network": ("CCNA",), "server": ("RHCE",)}
CERTIFICATES_FOR_KIND = {WorkOrderKind.SERVICE_REQUEST: ("ITIL",)}

TEAM_KIND = {
    SupportLevel.FRONTLINE: TeamKind.FRONTLINE_SUPPORT,
    SupportLevel.BACKEND: TeamKind.BACKEND_SUPPORT,
}


@dataclass
class Candidate:
    """One engineer considered for an order, with the score or the reason for exclusion."""

    user_id: int
    username: str
    team_id: int
    team: str
    level: str
    load: int = 0
    score: int = 0
    excluded: str = ""
    reasons: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def required_certificates(order: WorkOrder) -> tuple[str, ...]:
    device_class = order.device.device_class if order.device_id and order.device else ""
    return CERTIFICATES_FOR_CLASS.get(device_class, ()) + CERTIFICATES_FOR_KIND.get(
        WorkOrderKind(order.kind), ()
    )


def teams_serving(order: WorkOrder, level: str) -> list[Team]:
    """Support teams of a level serving the order's branch: front-line teams of the branch, of its
    region or of no particular place; every back-end centre of the institution."""
    branch = order.branch
    teams = Team.objects.filter(institution_id=branch.institution_id, kind=TEAM_KIND[SupportLevel(level)])
    if level == SupportLevel.BACKEND:
        return list(teams.order_by("code"))  # the centre serves every branch, wherever it sits
    serving = Q(branch_id=branch.pk) | Q(branch__isnull=True, region__isnull=True)
    if branch.region_id:
        serving |= Q(branch__isnull=True, region_id=branch.region_id)
    return list(teams.filter(serving).order_by("code"))


def current_loads(user_ids: list[int]) -> dict[int, int]:
    rows = (
        WorkOrder.objects.filter(assignee_id__in=user_ids, status__in=WorkOrderStatus.open_values())
        .values("assignee_id")
        .annotate(n=Count("id"))
    )
    return {row["assignee_id"]: row["n"] for row in rows}


def on_duty(user_ids: list[int], at: dt.datetime) -> set[int]:
    return set(
        RosterShift.objects.filter(user_id__in=user_ids, starts_at__lte=at, ends_at__gt=at).values_list(
            "user_id", flat=True
        )
    )


def score_candidates(order: WorkOrder, *, level: str, at: dt.datetime) -> list[Candidate]:
    """Every member of the serving teams of ``level``, scored or excluded, best first."""
    members: dict[int, tuple[User, Team]] = {}
    for team in teams_serving(order, level):
        for user in team.members.filter(is_active=True).select_related("home_branch"):
            members.setdefault(user.pk, (user, team))
    ids = sorted(members)
    profiles = {
        p.user_id: p for p in EngineerProfile.objects.filter(user_id__in=ids).prefetch_related("regions")
    }
    loads, duty = current_loads(ids), on_duty(ids, at)
    device_class = order.device.device_class if order.device_id and order.device else ""
    wanted = required_certificates(order)
    result = []
    for user_id in ids:
        user, team = members[user_id]
        candidate = Candidate(user_id, user.username, team.pk, team.name, level, load=loads.get(user_id, 0))
        profile = profiles.get(user_id)
        candidate.excluded = _exclusion(profile, user_id in duty, candidate.load, device_class, level)
        if not candidate.excluded and not _sees_branch(user, order.branch_id):
            # A regional team may hold engineers of other branches: one who cannot open the order
            # cannot work it.
            candidate.excluded = _("the branch is outside their scope")
        if not candidate.excluded and profile is not None:
            _score(candidate, profile, user, order, device_class, wanted)
        result.append(candidate)
    result.sort(key=lambda c: (bool(c.excluded), -c.score, c.load, c.user_id))
    return result


def _sees_branch(user: User, branch_id: int) -> bool:
    scope = user.branch_scope()
    return scope.all_branches or branch_id in scope.branch_ids


def _exclusion(profile: EngineerProfile | None, duty: bool, load: int, device_class: str, level: str) -> str:
    if profile is None or not profile.is_active:
        return _("no active skills profile")
    if not duty:
        return _("not on duty")
    if load >= profile.max_open_orders:
        return _("at capacity (%(load)s/%(max)s)") % {"load": load, "max": profile.max_open_orders}
    if level == SupportLevel.FRONTLINE and device_class and device_class not in profile.device_classes:
        return _("no %(device_class)s skill") % {"device_class": device_class}
    return ""


def _score(
    candidate: Candidate,
    profile: EngineerProfile,
    user: User,
    order: WorkOrder,
    device_class: str,
    wanted: tuple[str, ...],
) -> None:
    def add(points: int, why: str) -> None:
        candidate.score += points
        candidate.reasons.append(f"{points:+d} {why}")

    if device_class and device_class in profile.device_classes:
        add(SKILL_POINTS, _("%(device_class)s skill") % {"device_class": device_class})
    held = {c.upper() for c in profile.certifications}
    for certificate in wanted:
        if certificate in held:
            add(CERTIFICATE_POINTS, _("%(certificate)s certified") % {"certificate": certificate})
        else:
            add(MISSING_CERTIFICATE_POINTS, _("no %(certificate)s") % {"certificate": certificate})
    branch = order.branch
    served_regions = {r.pk for r in profile.regions.all()}
    if user.home_branch_id == branch.pk:
        add(SAME_BRANCH_POINTS, _("home branch"))
    elif branch.region_id and (
        branch.region_id in served_regions
        or (user.home_branch and user.home_branch.region_id == branch.region_id)
    ):
        add(SAME_REGION_POINTS, _("same region"))
    if candidate.load:
        add(LOAD_POINTS * candidate.load, _("carries %(count)s open orders") % {"count": candidate.load})


def choose(
    order: WorkOrder, *, at: dt.datetime, start_level: str = SupportLevel.FRONTLINE
) -> tuple[Candidate | None, list[Candidate]]:
    """The best eligible candidate, front line first then the back-end centre; and all considered."""
    considered: list[Candidate] = []
    levels = [SupportLevel.FRONTLINE, SupportLevel.BACKEND]
    for level in levels[levels.index(SupportLevel(start_level)) :]:
        scored = score_candidates(order, level=level, at=at)
        considered += scored
        eligible = [c for c in scored if not c.excluded]
        if eligible:
            return eligible[0], considered
    return None, considered

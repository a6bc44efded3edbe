"""Demo service desk: SLA policies, engineers' skills and roster, history and live work orders.

* Policies, skills, team membership and the roster go through the real actions (audited).
* Months of history (about 3,000 finished orders with timelines, assignments, post-mortems and
  customer ratings) are written as an import from the previous ticketing system: rows with their
  original timestamps, so the dashboard's KPIs mean something. They carry no audit events of their
  own; one event records the import.
* A dozen live orders are opened through :func:`do_open_work_order` now: dispatched, with running
  SLA clocks and tasks scheduled, some already responded or waiting on a third party.

Idempotent: when any work order exists, nothing more is loaded.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from bastion.audit.actions import record_event
from bastion.devices.models import Device
from bastion.identity.models import Branch, Team, User
from bastion.platform.services import clock_for_branch
from bastion.servicedesk import sla
from bastion.servicedesk.actions import (
    do_add_roster_shift,
    do_open_work_order,
    do_save_engineer_profile,
    do_save_sla_policy,
    do_transition_work_order,
)
from bastion.servicedesk.actions.orders import index_terms
from bastion.servicedesk.models import Assignment, Feedback, TimelineEntry, WorkOrder

# Six months, a few thousand orders: enough for the monthly KPIs and per-engineer satisfaction to mean
# something, small enough that `make demo` stays quick.
HISTORY_ORDERS = 3000
HISTORY_DAYS = 180

POLICIES = [
    # name, priority, device class, response, resolution, warn share
    ("P1 紧急故障", "p1", "", 15, 120, "0.75"),
    ("P2 重大故障", "p2", "", 30, 240, "0.75"),
    ("P3 一般故障", "p3", "", 30, 240, "0.75"),
    ("P4 低优先级与计划作业", "p4", "", 60, 960, "0.80"),
    ("P2 智能柜台", "p2", "smart_counter", 20, 180, "0.70"),
]
SKILLS = {
    "engineer_sh": (["atm", "cash_recycler", "smart_counter", "kiosk", "pos"], ["ITIL"], "frontline-east"),
    "engineer_bj": (["atm", "cash_recycler", "pos", "network"], ["CCNA"], "frontline-north"),
    "engineer_gz": (["atm", "kiosk", "smart_counter", "pos"], ["ITIL"], "frontline-south"),
    "remote": (
        ["atm", "cash_recycler", "smart_counter", "kiosk", "pos", "server", "network"],
        ["ITIL", "CCNA", "RHCE"],
        "backend-support",
    ),
}
FAULTS = [
    ("ATM 吞卡", "客户银行卡被吞，屏幕提示“暂停服务”", "CARD_READER_FAULT", "atm"),
    ("钞箱卡钞", "取款时出钞口卡钞，交易中断", "CASH_JAM", "atm"),
    ("现金不足", "监控显示 2 号钞箱低于阈值", "CASH_LOW", "atm"),
    ("存取款一体机存款卡币", "存款时硬币/纸币卡在通道", "CASH_JAM", "cash_recycler"),
    ("智能柜台身份证读卡失败", "柜台无法读取二代身份证，开户业务中断", "CARD_READER_FAULT", "smart_counter"),
    ("智能柜台黑屏", "柜台屏幕无显示，重启无效", "", "smart_counter"),
    ("POS 无法联机", "刷卡后提示通讯失败", "LINK_DOWN", "pos"),
    ("自助终端死机", "查询机界面卡死，触摸无响应", "HEARTBEAT_MISSING", "kiosk"),
    ("网点交换机端口故障", "二楼自助区设备全部离线", "LINK_DOWN", "network"),
    ("服务器磁盘告警", "网点前置机磁盘使用率 95%", "", "server"),
]
REQUESTS = ["更换凭条打印纸", "新增叫号机业务类型", "调整 ATM 广告屏内容", "开通新员工柜台权限"]
ROOT_CAUSES = [
    ("读卡器磁头积尘老化", "纳入季度清洁计划，读卡器三年强制更换"),
    ("钞箱压板弹簧疲劳", "巡检时检测压板力度，备件前置到网点"),
    ("运营商专线抖动", "申请双线路冗余，监控增加链路质量告警"),
    ("系统补丁后驱动不兼容", "补丁先在测试柜台验证 48 小时再推广"),
]
COMMENTS = ["工程师很快到场，处理专业", "响应及时", "解决了问题，谢谢", "等待时间有点长", "服务态度好", ""]


def load(*, institution: Any, branches: list[Any], stdout: Any) -> str:
    """Load the service desk's demo data; returns a one-line summary."""
    if WorkOrder.objects.exists():
        return "Service desk: demo data already present."
    rng = random.Random(2026)
    _policies()
    engineers = _skills_and_roster()
    devices = list(Device.objects.filter(branch__in=branches).exclude(lifecycle_state="scrapped"))
    history = _history(branches, devices, engineers, rng)
    live = _live(branches, devices, rng)
    record_event(
        action="servicedesk.history_imported",
        actor=None,
        object_type="servicedesk.workorder",
        extra={"orders": history, "source": "previous ticketing system (demo)"},
    )
    return f"Service desk: {len(POLICIES)} SLA policies, {len(engineers)} engineers on the roster, {history} past and {live} live work orders."


def _policies() -> None:
    """Institution-wide policies; the demo loader acts as the system (recorded so in the trail)."""
    for name, priority, device_class, response, resolution, share in POLICIES:
        do_save_sla_policy(
            name=name,
            priority=priority,
            device_class=device_class,
            response_minutes=response,
            resolution_minutes=resolution,
            warn_share=Decimal(share),
            reminder_minutes=30 if priority == "p1" else 60,
            actor=None,
        )


def _skills_and_roster() -> dict[str, User]:
    engineers = {}
    for username, (classes, certs, team_code) in SKILLS.items():
        user = User.objects.filter(username=username).first()
        team = Team.objects.filter(code=team_code).first()
        if user is None or team is None:
            continue
        team.members.add(user)
        # The back-end centre's desk carries more at once than an engineer on the road.
        capacity = 15 if team_code == "backend-support" else 6
        do_save_engineer_profile(
            user_id=user.pk,
            device_classes=classes,
            certifications=certs,
            max_open_orders=capacity,
            actor=None,
        )
        engineers[username] = user
    now = timezone.localtime()
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    for day in range(-1, 30):
        start = today + dt.timedelta(days=day)
        for username, user in engineers.items():
            if username == "remote":  # the back-end centre watches around the clock
                do_add_roster_shift(
                    user_id=user.pk, starts_at=start, ends_at=start + dt.timedelta(hours=24), actor=None
                )
            elif start.weekday() < 6:
                do_add_roster_shift(
                    user_id=user.pk,
                    starts_at=start + dt.timedelta(hours=8),
                    ends_at=start + dt.timedelta(hours=20),
                    note="白班",
                    actor=None,
                )
    return engineers


def _history(
    branches: list[Any], devices: list[Device], engineers: dict[str, User], rng: random.Random
) -> int:
    """About 3,000 finished orders over the last 180 days, written with their original times."""
    now = timezone.now()
    by_branch: dict[int, list[Device]] = {}
    for each in devices:
        by_branch.setdefault(each.branch_id, []).append(each)
    region_engineer = {
        "east": engineers.get("engineer_sh"),
        "north": engineers.get("engineer_bj"),
        "south": engineers.get("engineer_gz"),
    }
    backend = engineers.get("remote")
    teams = {t.pk: t for t in Team.objects.filter(kind__in=["frontline_support", "backend_support"])}
    team_of = {
        u.pk: next((t for t in teams.values() if t.members.filter(pk=u.pk).exists()), None)
        for u in engineers.values()
    }
    count = 0
    for _ in range(HISTORY_ORDERS):
        branch = rng.choice(branches)
        opened = now - dt.timedelta(days=rng.uniform(1, HISTORY_DAYS))
        fault = rng.random() < 0.85
        title, symptoms, code, device_class = (
            rng.choice(FAULTS) if fault else (rng.choice(REQUESTS), "", "", "")
        )
        candidates = [
            d for d in by_branch.get(branch.pk, []) if not device_class or d.device_class == device_class
        ]
        device = rng.choice(candidates) if candidates else None
        priority = rng.choices(["p1", "p2", "p3", "p4"], weights=[5, 20, 55, 20])[0] if fault else "p4"
        engineer = region_engineer.get(branch.region.code if branch.region else "") or backend
        escalated = rng.random() < 0.08 and backend is not None
        if escalated:
            engineer = backend
        if engineer is None:
            continue
        order = _past_order(
            branch, device, title, symptoms or title, code, priority, fault, opened, engineer, rng
        )
        _past_timeline(order, engineer, team_of.get(engineer.pk), escalated, rng)
        count += 1
    return count


def _past_order(
    branch: Branch,
    device: Device | None,
    title: str,
    symptoms: str,
    code: str,
    priority: str,
    fault: bool,
    opened: dt.datetime,
    engineer: User,
    rng: random.Random,
) -> WorkOrder:
    response, resolution = {"p1": (15, 120), "p2": (30, 240), "p3": (30, 240), "p4": (60, 960)}[priority]
    self_service = bool(device and device.is_self_service)
    clock = sla.ALWAYS_OPEN if self_service else sla.CalendarClock(clock_for_branch(branch=branch))
    due = sla.compute_due_times(
        clock, opened_at=opened, targets=sla.Targets.of_minutes(response, resolution, "0.75"), pauses=[]
    )
    # Most orders meet their targets (R3.4); a few do not, so the dashboard has something to show.
    responded = clock.add(
        opened, dt.timedelta(minutes=rng.uniform(4, response * (1.4 if rng.random() < 0.06 else 0.9)))
    )
    resolved = clock.add(
        opened,
        dt.timedelta(minutes=rng.uniform(response, resolution * (1.3 if rng.random() < 0.08 else 0.95))),
    )
    resolved = max(resolved, responded + dt.timedelta(minutes=5))
    order = WorkOrder.objects.create(
        branch=branch,
        device=device,
        kind="fault" if fault else "service_request",
        channel=rng.choice(
            ["phone", "phone", "web", "wechat", "email", "alarm"] if fault else ["phone", "web", "email"]
        ),
        priority=priority,
        status="closed",
        title=title,
        symptoms=symptoms,
        fault_code=code,
        reporter_name=rng.choice(["王女士", "李先生", "网点柜员", "大堂经理", "监控中心"]),
        assignee=engineer,
        response_minutes=response,
        resolution_minutes=resolution,
        clock_24x7=self_service,
        opened_at=opened,
        first_response_at=responded,
        resolved_at=resolved,
        closed_at=resolved + dt.timedelta(hours=rng.uniform(1, 30)),
        response_due_at=due.response_due,
        resolution_due_at=due.resolution_due,
        response_breached=bool(due.response_due and responded > due.response_due),
        resolution_breached=bool(due.resolution_due and resolved > due.resolution_due),
        resolution_summary=rng.choice(
            ["更换故障模块并测试正常", "清理通道后恢复", "远程重启服务恢复", "重新配置网络后恢复"]
        ),
    )
    if order.needs_postmortem:
        order.root_cause, order.prevention = rng.choice(ROOT_CAUSES)
        order.save(update_fields=["root_cause", "prevention"])
    index_terms(order)
    return order


def _past_timeline(
    order: WorkOrder, engineer: User, team: Team | None, escalated: bool, rng: random.Random
) -> None:
    assert order.first_response_at and order.resolved_at and order.closed_at
    level = "backend" if escalated else "frontline"
    Assignment.objects.create(
        work_order=order,
        engineer=engineer,
        team=team,
        level=level,
        mode="escalation" if escalated else "automatic",
        reason="历史工单导入",
        assigned_at=order.opened_at,
    )
    order.team, order.support_level = team, level
    order.save(update_fields=["team", "support_level"])
    onsite = "remote" if escalated or rng.random() < 0.3 else "onsite"
    steps = [
        (order.opened_at, "opened", "", "", order.symptoms),
        (order.first_response_at, "status", "new", "acknowledged", ""),
        (
            order.first_response_at + (order.resolved_at - order.first_response_at) / 3,
            "status",
            "acknowledged",
            onsite,
            "",
        ),
        (order.resolved_at, "status", onsite, "resolved", order.resolution_summary),
        (order.closed_at, "status", "resolved", "closed", ""),
    ]
    TimelineEntry.objects.bulk_create(
        [
            TimelineEntry(
                work_order=order,
                kind=kind,
                at=at,
                actor=None if kind == "opened" else engineer,
                actor_label="历史导入" if kind == "opened" else engineer.display_name,
                source="agent" if kind == "opened" else "engineer",
                from_status=old,
                to_status=new,
                text=text,
            )
            for at, kind, old, new, text in steps
        ]
    )
    if rng.random() < 0.7:
        rating = rng.choices([5, 4, 3, 2, 1], weights=[78, 19, 2, 0.7, 0.3])[0]
        Feedback.objects.create(
            work_order=order,
            rating=rating,
            comment=rng.choice(COMMENTS),
            engineer=engineer,
            team=team,
            branch_id=order.branch_id,
            submitted_at=order.resolved_at + dt.timedelta(hours=rng.uniform(1, 48)),
        )


def _live(branches: list[Any], devices: list[Device], rng: random.Random) -> int:
    """Open orders through the real action: dispatched, clocks running, tasks scheduled."""
    agent = User.objects.get(username="cs_agent")
    by_branch: dict[int, list[Device]] = {}
    for each in devices:
        by_branch.setdefault(each.branch_id, []).append(each)
    opened = []
    for n in range(12):
        branch = branches[n % len(branches)]
        title, symptoms, code, device_class = FAULTS[n % len(FAULTS)]
        candidates = [d for d in by_branch.get(branch.pk, []) if d.device_class == device_class]
        with transaction.atomic():
            opened.append(
                do_open_work_order(
                    branch_id=branch.pk,
                    kind="fault",
                    channel=rng.choice(["phone", "web", "wechat"]),
                    title=title,
                    symptoms=symptoms,
                    reporter_name=rng.choice(["网点柜员", "大堂经理", "张先生"]),
                    reporter_contact=f"1380000{n:04d}",
                    device_id=candidates[0].pk if candidates else None,
                    fault_code=code,
                    actor=agent,
                )
            )
    for order in opened[:4]:
        if order.assignee_id:
            do_transition_work_order(work_order_id=order.pk, status="acknowledged", actor=order.assignee)
    if opened and opened[0].assignee_id:
        do_transition_work_order(
            work_order_id=opened[0].pk,
            status="waiting_third_party",
            note="等待厂商寄送备件",
            actor=opened[0].assignee,
        )
    return len(opened)

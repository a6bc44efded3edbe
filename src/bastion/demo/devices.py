"""Demo devices: a few hundred branch devices with their network, history, telemetry and alarms.

* The registry, lifecycle history, months of telemetry samples and a year of fault history are
  written as an import from the bank's previous asset-management and monitoring systems: rows with
  their original timestamps (so the charts, MTBF, MTTR and availability mean something), recorded
  by one audit event, as the service desk's demo does for its ticket history.
* Today's state goes through the real telemetry evaluator: every device reports once, a few report
  faults (card reader, cash low, a jammed deposit module, a hot cabinet...), one branch's
  self-service switch is down (one parent LINK_DOWN alarm, its dependants suppressed under it) and
  one device fails inside a planned maintenance window (muted). The service desk's work-order
  opener is paused meanwhile: the alarms stay ``handover_pending`` and the periodic sweep hands them
  over once the demo serves, after the service desk has loaded its own demo data.

While ``bastion demo --serve`` runs, :mod:`bastion.demo.telemetry` keeps telemetry flowing.
Idempotent: when any device exists, nothing more is loaded.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone

from bastion.audit.actions import record_event
from bastion.devices import handover
from bastion.devices.actions.alarms import TelemetryEvaluator
from bastion.devices.actions.operations import do_plan_maintenance_window
from bastion.devices.choices import AlarmState, DeviceClass, LifecycleState, OperationalStatus
from bastion.devices.models import (
    Alarm,
    Device,
    FaultCode,
    InspectionRecord,
    LifecycleEvent,
    MaintenancePlan,
    SoftwareUpdate,
    TelemetrySample,
)
from bastion.identity.models import Branch, Site, User

C = DeviceClass


@dataclass(frozen=True)
class Kind:
    """A kind of device the branches have: how many, which vendors and models, how it fails."""

    device_class: str
    prefix: str
    name: str
    count: tuple[int, int]
    models: tuple[tuple[str, str, str], ...]  # vendor, model, software version
    site: str
    faults_per_year: float  # when new; older devices fail more
    codes: tuple[str, ...]


KINDS = (
    Kind(
        C.ATM,
        "ATM",
        "自助取款机",
        (8, 12),
        (
            ("广电运通", "GRG H68N", "ATMC 5.3.2"),
            ("御银", "YY-9300", "YYATM 3.8"),
            ("恒银", "CB-M50", "CASHWAY 2.6"),
            ("日立", "HT-2845-V", "HATM 7.1"),
            ("NCR", "SelfServ 22e", "APTRA 6.4"),
        ),
        "selfservice",
        5.0,
        (
            "CARD_READER_FAULT",
            "E_DISPENSER_JAM",
            "PRINTER_FAULT",
            "CASH_LOW",
            "E_SHUTTER_FAULT",
            "E_PINPAD_FAULT",
        ),
    ),
    Kind(
        C.CASH_RECYCLER,
        "CRS",
        "存取款一体机",
        (3, 5),
        (
            ("广电运通", "GRG H68V", "ATMC 5.3.2"),
            ("日立", "HT-2845-SR", "HCRS 4.2"),
            ("怡化", "YH-CRS-6000", "YHCRS 2.1"),
        ),
        "selfservice",
        6.0,
        ("E_DEPOSIT_JAM", "CARD_READER_FAULT", "CASH_LOW", "E_DISPENSER_JAM", "PRINTER_FAULT"),
    ),
    Kind(
        C.SMART_COUNTER,
        "STM",
        "智能柜台",
        (3, 5),
        (
            ("怡化", "YH-STM-3000", "STM 3.2.0"),
            ("恒银", "CB-STM-08", "STM 2.9.4"),
            ("广电运通", "GRG-STM-T6", "STM 4.0.1"),
        ),
        "hall",
        4.0,
        (
            "E_ID_READER_FAULT",
            "E_UKEY_DISPENSER_FAULT",
            "E_TOUCHSCREEN_FAULT",
            "PRINTER_FAULT",
            "E_CAMERA_FAULT",
        ),
    ),
    Kind(
        C.KIOSK,
        "KSK",
        "自助查询机",
        (2, 4),
        (("新大陆", "NL-K900", "KIOSK 1.8"), ("怡化", "YH-K500", "KIOSK 2.0")),
        "selfservice",
        2.5,
        ("E_TOUCHSCREEN_FAULT", "PRINTER_FAULT", "NETWORK_DOWN"),
    ),
    Kind(
        C.POS,
        "POS",
        "柜面 POS",
        (12, 16),
        (("新大陆", "ME31", "POS 6.2"), ("联迪", "A8", "LANDI 3.5"), ("新大陆", "N910", "POS 7.0")),
        "hall",
        1.5,
        ("E_POS_COMM_FAULT", "E_PINPAD_FAULT", "PRINTER_FAULT"),
    ),
    Kind(
        C.SERVER,
        "SRV",
        "网点前置服务器",
        (1, 1),
        (("华为", "TaiShan 200", "EulerOS 2.0 SP10"), ("浪潮", "NF5280M6", "CentOS 7.9")),
        "server-room",
        1.0,
        ("E_DISK_FULL", "E_UPS_ON_BATTERY", "TEMPERATURE_HIGH"),
    ),
)
SWITCHES = (("华为", "S5735-L48T4X", "V200R021"), ("H3C", "S5560X-30C-EI", "Comware 7.1.070"))
CABINET_CLASSES = frozenset({C.ATM, C.CASH_RECYCLER, C.SMART_COUNTER, C.KIOSK, C.SERVER})
HISTORY_DAYS = 120
RECENT_DAYS = 7  # hourly samples for the charts; every 12 hours before that
ALARM_BRANCH = "sh-pudong"  # where the demo's standing alarms are, so the shown users see them
LINK_DOWN_BRANCH = "gz-tianhe"
WINDOW_BRANCH = "cd-gaoxin"


def load(*, institution: Any, branches: list[Branch], stdout: Any) -> str:
    """Load the device demo data; returns a one-line summary."""
    if Device.objects.exists():
        return "Devices: demo data already present."
    rng = random.Random(2026)
    now = timezone.now()
    devices = _registry(branches, rng, now)
    events = _lifecycle_history(devices, rng)
    samples = _samples(devices, rng, now)
    faults = _fault_history(devices, rng, now)
    record_event(
        action="devices.history_imported",
        actor=None,
        object_type="devices.device",
        extra={
            "devices": len(devices),
            "lifecycle_events": events,
            "telemetry_samples": samples,
            "past_faults": faults,
            "source": "previous asset-management and monitoring systems (demo)",
        },
    )
    standing = _today(devices, branches, rng, now)
    upkeep = _upkeep(devices, branches, now)
    return (
        f"Devices: {len(devices)} devices in {len(branches)} branches, {samples} telemetry samples, "
        f"{faults} past faults, {standing} standing alarms, {upkeep}."
    )


# --- registry ---------------------------------------------------------------------------------------
def _registry(branches: list[Branch], rng: random.Random, now: dt.datetime) -> list[Device]:
    today = now.date()
    sites = {(s.branch_id, s.code): s for s in Site.objects.filter(branch__in=branches)}
    devices: list[Device] = []
    for branch in branches:
        tag = branch.code.replace("-", "").upper()
        core = _switch(branch, tag, "01", "核心交换机", None, sites, rng, today)
        floor = _switch(branch, tag, "02", "自助区交换机", core, sites, rng, today)
        devices += [core, floor]
        batch = []
        for kind in KINDS:
            for n in range(1, rng.randint(*kind.count) + 1):
                vendor, model, software = rng.choice(kind.models)
                installed = today - dt.timedelta(days=rng.randint(150, 11 * 365))
                batch.append(
                    Device(
                        branch=branch,
                        site=sites.get((branch.pk, kind.site)),
                        asset_tag=f"{kind.prefix}-{tag}-{n:03d}",
                        name=f"{kind.name} {n:02d}",
                        device_class=kind.device_class,
                        vendor=vendor,
                        model=model,
                        serial_number=f"{vendor[:1]}{rng.randint(10**9, 10**10 - 1)}",
                        location=f"{sites[(branch.pk, kind.site)].name} {n} 号位",
                        install_date=installed,
                        warranty_until=installed + dt.timedelta(days=3 * 365),
                        end_of_support=installed + dt.timedelta(days=8 * 365),
                        software_version=software,
                        lifecycle_state=_state(rng),
                        operational_status=OperationalStatus.AVAILABLE,
                        upstream=floor if kind.site == "selfservice" else core,
                    )
                )
        devices += Device.objects.bulk_create(batch)
    return list(Device.objects.filter(branch__in=branches).select_related("branch"))


def _switch(
    branch: Branch,
    tag: str,
    n: str,
    name: str,
    upstream: Device | None,
    sites: dict[tuple[int, str], Site],
    rng: random.Random,
    today: dt.date,
) -> Device:
    vendor, model, software = rng.choice(SWITCHES)
    installed = today - dt.timedelta(days=rng.randint(400, 6 * 365))
    return Device.objects.create(
        branch=branch,
        site=sites.get((branch.pk, "server-room")),
        asset_tag=f"NET-{tag}-{n}",
        name=name,
        device_class=C.NETWORK,
        vendor=vendor,
        model=model,
        serial_number=f"{vendor[:1]}{rng.randint(10**9, 10**10 - 1)}",
        location="机房 1 号机柜" if upstream is None else "自助区弱电箱",
        install_date=installed,
        warranty_until=installed + dt.timedelta(days=5 * 365),
        end_of_support=installed + dt.timedelta(days=9 * 365),
        software_version=software,
        lifecycle_state=LifecycleState.IN_SERVICE,
        operational_status=OperationalStatus.AVAILABLE,
        upstream=upstream,
    )


def _state(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.03:
        return LifecycleState.MAINTENANCE
    if roll < 0.04:
        return LifecycleState.COMMISSIONING
    return LifecycleState.IN_SERVICE


def _lifecycle_history(devices: list[Device], rng: random.Random) -> int:
    """Procurement, approval, arrival, commissioning, in service: who and when, for every device."""
    people = {
        u.username: u
        for u in User.objects.filter(username__in=["supervisor", "manager_sh", "engineer_sh", "admin"])
    }
    maker, checker = people.get("supervisor"), people.get("manager_sh")
    fitter = people.get("engineer_sh") or maker
    steps = [
        ("", LifecycleState.REQUESTED, -75, maker, "网点设备更新采购申请"),
        (LifecycleState.REQUESTED, LifecycleState.APPROVED, -70, checker, "双人复核通过"),
        (LifecycleState.APPROVED, LifecycleState.ARRIVED, -20, fitter, "到货验收，外观与配件齐全"),
        (LifecycleState.ARRIVED, LifecycleState.COMMISSIONING, -7, fitter, "安装调试"),
        (LifecycleState.COMMISSIONING, LifecycleState.IN_SERVICE, 0, fitter, "投产"),
    ]
    rows = []
    for device in devices:
        assert device.install_date is not None
        base = dt.datetime.combine(device.install_date, dt.time(10), tzinfo=dt.UTC)
        for before, after, offset, actor, note in steps:
            if device.lifecycle_state == LifecycleState.COMMISSIONING and after == LifecycleState.IN_SERVICE:
                break
            rows.append(
                LifecycleEvent(
                    device=device,
                    from_state=before,
                    to_state=after,
                    actor=actor,
                    occurred_at=base + dt.timedelta(days=offset, minutes=rng.randint(0, 300)),
                    note=note,
                    test_record="开机自检、联机交易、打印测试均通过"
                    if after == LifecycleState.IN_SERVICE
                    else "",
                )
            )
        if device.lifecycle_state == LifecycleState.MAINTENANCE:
            rows.append(
                LifecycleEvent(
                    device=device,
                    from_state=LifecycleState.IN_SERVICE,
                    to_state=LifecycleState.MAINTENANCE,
                    actor=fitter,
                    occurred_at=timezone.now() - dt.timedelta(hours=rng.randint(2, 30)),
                    note="送修：主板更换",
                )
            )
    LifecycleEvent.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


# --- telemetry and fault history ---------------------------------------------------------------------
def _reading(
    device: Device, at: dt.datetime, phase: float, refill_hours: int, rng: random.Random
) -> TelemetrySample:
    """A plausible reading: cabinet warmest mid-afternoon; cash falls between refills."""
    hour = at.timestamp() / 3600
    cash = None
    if device.device_class in (C.ATM, C.CASH_RECYCLER):
        cash = max(12, round(100 - ((hour + phase) % refill_hours) / refill_hours * 80 + rng.uniform(-2, 2)))
    temperature = None
    if device.device_class in CABINET_CLASSES:
        local_hour = (hour + 8) % 24
        value = 31 + 3 * math.sin((local_hour - 9) / 24 * 2 * math.pi) + rng.uniform(-0.6, 0.6)
        temperature = Decimal(f"{value:.1f}")
    return TelemetrySample(
        device=device,
        received_at=at,
        cash_level=cash,
        temperature=temperature,
        card_reader_ok=True if device.device_class in (C.ATM, C.CASH_RECYCLER, C.SMART_COUNTER) else None,
        printer_ok=True if device.device_class != C.NETWORK else None,
        network_ok=True,
        error_codes=[],
    )


def _samples(devices: list[Device], rng: random.Random, now: dt.datetime) -> int:
    """Hourly readings for the last week (the device page's charts), every 12 hours for months before."""
    start = now.replace(minute=0, second=0, microsecond=0)
    times = [start - dt.timedelta(hours=h) for h in range(1, RECENT_DAYS * 24)]
    times += [start - dt.timedelta(hours=h) for h in range(RECENT_DAYS * 24, HISTORY_DAYS * 24, 12)]
    total = 0
    batch: list[TelemetrySample] = []
    for device in devices:
        if device.device_class not in CABINET_CLASSES or device.lifecycle_state != LifecycleState.IN_SERVICE:
            continue
        phase, refill = rng.uniform(0, 72), rng.choice((48, 60, 72))
        batch += [_reading(device, at, phase, refill, rng) for at in times]
        if len(batch) >= 10_000:
            total += len(TelemetrySample.objects.bulk_create(batch, batch_size=2000))
            batch = []
    total += len(TelemetrySample.objects.bulk_create(batch, batch_size=2000))
    return total


def _fault_history(devices: list[Device], rng: random.Random, now: dt.datetime) -> int:
    """A year of cleared faults; older devices fail more often, repairs take half an hour to a day."""
    catalogue = {f.code: f for f in FaultCode.objects.all()}
    kinds = {k.device_class: k for k in KINDS}
    rows = []
    for device in devices:
        kind = kinds.get(device.device_class)
        rate, codes = (kind.faults_per_year, kind.codes) if kind else (0.6, ("LINK_DOWN",))
        assert device.install_date is not None
        age = (now.date() - device.install_date).days / 365.25
        installed = dt.datetime.combine(device.install_date, dt.time(0), tzinfo=dt.UTC)
        start = max(now - dt.timedelta(days=365), installed)
        span = (now - start).total_seconds() - 2 * 86400
        expected = rate * (1 + age / 4) * max(span, 0) / (365.25 * 86400)
        for _ in range(_poisson(expected, rng)):
            code = rng.choice(codes)
            fault = catalogue.get(code)
            raised = start + dt.timedelta(seconds=rng.uniform(0, span))
            repair = dt.timedelta(minutes=min(24 * 60, rng.lognormvariate(math.log(150), 0.8)))
            rows.append(
                Alarm(
                    device=device,
                    fault_code=code,
                    severity=fault.severity if fault else "major",
                    state=AlarmState.CLEARED,
                    title=fault.description_zh if fault else code,
                    raised_at=raised,
                    last_seen_at=raised + repair * 0.9,
                    cleared_at=raised + repair,
                    clear_reason="设备已恢复" if rng.random() < 0.6 else "工程师现场处理完毕",
                    occurrences=rng.randint(1, 6),
                )
            )
    Alarm.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def _poisson(expected: float, rng: random.Random) -> int:
    threshold, count, product = math.exp(-expected), 0, rng.random()
    while product > threshold:
        count += 1
        product *= rng.random()
    return count


# --- today: the evaluator sees every device report once ------------------------------------------------
def healthy_payload(device: Device, rng: random.Random) -> dict[str, Any]:
    """What a healthy device of its class reports (also used by the demo telemetry simulator)."""
    payload: dict[str, Any] = {"device_id": device.pk, "network": "ok"}
    if device.device_class in (C.ATM, C.CASH_RECYCLER):
        payload.update(cash_level=rng.randint(35, 95), card_reader="ok", printer="ok")
    if device.device_class in (C.SMART_COUNTER, C.KIOSK):
        payload.update(printer="ok")
    if device.device_class == C.SMART_COUNTER:
        payload.update(card_reader="ok")
    if device.device_class in CABINET_CLASSES:
        payload["temperature"] = round(rng.uniform(29, 34), 1)
    return payload


def _today(devices: list[Device], branches: list[Branch], rng: random.Random, now: dt.datetime) -> int:
    running = [d for d in devices if d.lifecycle_state == LifecycleState.IN_SERVICE]
    codes = {b.code: b for b in branches}
    messages = {d.pk: healthy_payload(d, rng) for d in running}

    def pick(branch_code: str, device_class: str, n: int) -> list[Device]:
        found = [d for d in running if d.branch.code == branch_code and d.device_class == device_class]
        return found[:n]

    home = ALARM_BRANCH if ALARM_BRANCH in codes else branches[0].code
    atms = pick(home, C.ATM, 5)
    faults: list[tuple[Device, dict[str, Any]]] = [
        (atms[0], {"card_reader": "fault"}),
        (atms[1], {"cash_level": 6}),
        (atms[2], {"printer": "paper_low"}),
        (atms[3], {"temperature": 47.5}),
        *[(d, {"error_codes": ["E_DEPOSIT_JAM"]}) for d in pick(home, C.CASH_RECYCLER, 1)],
        *[(d, {"error_codes": ["E_ID_READER_FAULT"]}) for d in pick(home, C.SMART_COUNTER, 1)],
        *[(d, {"card_reader": "fault"}) for d in pick("bj-haidian", C.ATM, 1)],
        *[(d, {"cash_level": 4}) for d in pick("bj-hq", C.ATM, 1)],
    ]
    for device, change in faults:
        messages[device.pk].update(change)
    window_branch = codes.get(WINDOW_BRANCH)
    if window_branch is not None:
        # Planned work on one ATM: the fault it reports meanwhile is muted, no ticket.
        muted = pick(window_branch.code, C.ATM, 1)
        if muted:
            do_plan_maintenance_window(
                branch_id=window_branch.pk,
                device_id=muted[0].pk,
                starts_at=now - dt.timedelta(hours=1),
                ends_at=now + dt.timedelta(hours=3),
                reason="季度预防性维护：更换出钞模块皮带",
                actor=None,
            )
            messages[muted[0].pk].update(error_codes=["E_DISPENSER_JAM"])
    # A branch's self-service switch goes down: the switch is evaluated first, so what hangs off
    # it is suppressed under its one LINK_DOWN alarm.
    down = [
        d
        for d in running
        if d.branch.code == LINK_DOWN_BRANCH and d.device_class == C.NETWORK and d.upstream_id is not None
    ]
    behind = [d for d in running if down and d.upstream_id == down[0].pk]
    for device in down + behind:
        messages[device.pk] = {"device_id": device.pk, "network": "down"}
    with handover.openers_paused():
        TelemetryEvaluator().process([(pk, body) for pk, body in messages.items()])
    return Alarm.objects.exclude(state=AlarmState.CLEARED).count()


# --- upkeep: plans, inspections, updates, remote sessions, pending requests ------------------------
def _upkeep(devices: list[Device], branches: list[Branch], now: dt.datetime) -> str:
    """Plans, a week of inspections, updates and remote sessions at the home branch, through the actions.

    Past inspections and updates are written as rows (the actions stamp "now"); what is created
    today (plans, the sessions, one procurement and one retirement request) goes through the actions,
    so the audit trail and the approvals inbox show them.
    """
    from bastion.devices.actions import diagnostics, lifecycle, maintenance
    from bastion.devices.checklists import checklist

    people = {
        u.username: u for u in User.objects.filter(username__in=["supervisor", "engineer_sh", "remote"])
    }
    supervisor, engineer, remote = (people.get(n) for n in ("supervisor", "engineer_sh", "remote"))
    home = next((b for b in branches if b.code == ALARM_BRANCH), None)
    if home is None or supervisor is None or engineer is None or remote is None:
        return "no upkeep (demo staff missing)"
    for kind, title, cycle, device_class, first in (
        ("preventive_maintenance", "取款机季度预防性维护", 90, C.ATM, 3),
        ("inspection", "自助终端月度巡检", 30, C.KIOSK, 1),
        ("preventive_maintenance", "智能柜台季度保养", 90, C.SMART_COUNTER, 20),
    ):
        maintenance.do_create_maintenance_plan(
            kind=kind,
            title=title,
            cycle_days=cycle,
            first_due_at=now + dt.timedelta(days=first),
            branch_id=home.pk,
            device_class=device_class,
            actor=supervisor,
        )
    field = [d for d in devices if d.branch_id == home.pk and d.lifecycle_state == LifecycleState.IN_SERVICE]
    inspected = [d for d in field if d.device_class in (C.ATM, C.KIOSK, C.SMART_COUNTER)][:8]
    records = []
    for day in range(1, 8):
        for device in inspected:
            results = {item.code: {"result": "ok", "note": ""} for item in checklist(device.device_class)}
            overall = "ok"
            if (day + device.pk) % 9 == 0:
                results["cleanliness"] = {"result": "problem", "note": "出钞口及键盘积灰，已现场清洁"}
                overall = "attention"
            records.append(
                InspectionRecord(
                    device=device,
                    inspector=engineer,
                    inspected_at=now - dt.timedelta(days=day, hours=-1),
                    results=results,
                    overall=overall,
                    note="早班巡检",
                )
            )
    InspectionRecord.objects.bulk_create(records)
    updates = [
        SoftwareUpdate(
            device=device,
            from_version="V3.0.8",
            to_version=device.software_version or "V3.1.2",
            applied_at=now - dt.timedelta(days=12, hours=n),
            actor=engineer,
            note="厂商安全补丁批量升级",
        )
        for n, device in enumerate(d for d in field if d.device_class == C.ATM)
        if n < 6
    ]
    SoftwareUpdate.objects.bulk_create(updates)
    sessions = 0
    for alarm in Alarm.objects.filter(
        device__branch=home, state=AlarmState.OPEN, fault_code="CARD_READER_FAULT"
    )[:1]:
        session = diagnostics.do_start_remote_session(
            device_id=alarm.device_id,
            channel="remote_desktop",
            alarm_id=alarm.pk,
            summary="读卡器吞卡排查",
            actor=remote,
        )
        diagnostics.do_record_remote_action(
            session_id=session.pk, action="拉取读卡器模块日志", result="发现卡口传感器报错", actor=remote
        )
        sessions += 1
    retiring = next((d for d in field if d.install_date and d.install_date.year < 2019), None)
    if retiring is not None:
        lifecycle.do_request_retirement(
            device_id=retiring.pk, reason="超过使用年限，故障频发，申请鉴定报废", actor=engineer
        )
    lifecycle.do_request_procurement(
        reason="新增社区自助银行网点，需配置取款机一台",
        branch_id=home.pk,
        asset_tag="ATM-SH-PD-NEW1",
        name="社区自助银行取款机",
        device_class=C.ATM,
        vendor="广电运通",
        model="DT-7000",
        serial_number="GRG2026NEW0001",
        actor=supervisor,
    )
    plans = MaintenancePlan.objects.count()
    return f"{plans} maintenance plans, {len(records)} inspections, {len(updates)} updates, {sessions} remote session"

"""Fixtures of the service-desk tests: support teams, engineers with skills and shifts, devices."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from django.utils import timezone

from bastion.devices.models import Device
from bastion.identity.models import Team, User
from bastion.servicedesk.models import EngineerProfile, RosterShift
from tests.factories import World, make_user


@dataclass
class Desk:
    """The world plus what dispatch needs: teams, profiles, shifts and a few devices."""

    world: World
    frontline: Team
    backend: Team
    devices: dict[str, Device] = field(default_factory=dict)
    engineers: dict[str, User] = field(default_factory=dict)

    def user(self, name: str) -> User:
        return self.engineers.get(name) or self.world.users[name]


def make_device(branch, tag: str, device_class: str, **extra) -> Device:
    return Device.objects.create(
        branch=branch,
        asset_tag=tag,
        name=f"{device_class} {tag}",
        device_class=device_class,
        vendor="GRG",
        model="H68N",
        serial_number=f"SN-{tag}",
        lifecycle_state="in_service",
        operational_status="available",
        **extra,
    )


def engineer(name: str, branch, *, role: str = "onsite_engineer", classes=(), certs=(), max_open=6) -> User:
    user = make_user(name, roles=[role], branch=branch)
    EngineerProfile.objects.create(
        user=user, device_classes=list(classes), certifications=list(certs), max_open_orders=max_open
    )
    return user


def on_duty(user: User, *, start: dt.datetime | None = None, hours: int = 12) -> RosterShift:
    start = start or timezone.now() - dt.timedelta(hours=1)
    return RosterShift.objects.create(user=user, starts_at=start, ends_at=start + dt.timedelta(hours=hours))


def build_desk(world: World) -> Desk:
    """Support teams, engineers with skills on duty now, and devices at branch A (and one at B)."""
    a = world.branch_a
    frontline = Team.objects.create(
        institution=a.institution, branch=a, code="fl-pudong", name="浦东一线支持组", kind="frontline_support"
    )
    backend = Team.objects.create(
        institution=a.institution, code="backend-hq", name="后台技术支持中心", kind="backend_support"
    )
    desk = Desk(world=world, frontline=frontline, backend=backend)
    desk.devices = {
        "atm": make_device(a, "ATM-A-001", "atm"),
        "counter": make_device(a, "SC-A-001", "smart_counter"),
        "counter2": make_device(a, "SC-A-002", "smart_counter"),
        "switch": make_device(a, "NET-A-001", "network"),
        "pos": make_device(a, "POS-A-001", "pos"),
        "atm_b": make_device(world.branch_b, "ATM-B-001", "atm"),
    }
    onsite = world.users["onsite_engineer"]
    EngineerProfile.objects.create(
        user=onsite, device_classes=["atm", "smart_counter", "pos"], certifications=["ITIL"]
    )
    frontline.members.add(onsite)
    desk.engineers["onsite_engineer"] = onsite
    back = engineer(
        "backend_expert",
        None,
        role="remote_engineer",
        classes=["atm", "network", "server"],
        certs=["CCNA", "ITIL"],
    )
    back.institution_wide = True
    back.save(update_fields=["institution_wide"])
    backend.members.add(back)
    desk.engineers["backend_expert"] = back
    on_duty(onsite)
    on_duty(back)
    return desk


@pytest.fixture
def desk(world: World, clock) -> Desk:
    """Built under the frozen clock (a Monday, 10:00 in Shanghai); both engineers on duty."""
    return build_desk(world)


class SlaQueue:
    """The task queue under the frozen clock: tasks run when the test's time reaches their eta.

    Huey runs in immediate mode in tests but keeps tasks with a future eta in its in-memory
    schedule; here "now" for Huey is the frozen clock, and :meth:`advance_to` moves the clock and runs
    whatever fell due, so tests see stages fire at their exact instants.
    """

    def __init__(self, clock, capture) -> None:
        from huey.contrib.djhuey import HUEY

        self.huey = HUEY
        self.clock = clock
        self.capture = capture

    def timestamp(self) -> dt.datetime:
        return self.clock.current.astimezone(dt.UTC).replace(tzinfo=None)

    def run(self, fn, /, **kwargs):
        """Call an action as one committed unit of work: its after-commit scheduling happens."""
        with self.capture(execute=True):
            return fn(**kwargs)

    def etas(self, order_id: int | None = None) -> list[tuple[dt.datetime, str, str, int]]:
        """Scheduled SLA tasks as (aware eta, clock, stage, sequence), soonest first."""
        found = []
        for task in self.huey.scheduled():
            if order_id is None or task.args[0] == order_id:
                found.append((task.eta.replace(tzinfo=dt.UTC), *task.args[1:]))
        return sorted(found)

    def advance_to(self, instant: dt.datetime) -> list[object]:
        """Move time to ``instant`` and run every task now due (and any they schedule that is due)."""
        self.clock.current = instant
        results = []
        while True:
            due = self.huey.read_schedule(self.timestamp())
            if not due:
                return results
            with self.capture(execute=True):
                for task in due:
                    results.append(self.huey.execute(task, self.timestamp()))


@pytest.fixture
def sla_queue(clock, monkeypatch, django_capture_on_commit_callbacks) -> Iterator[SlaQueue]:
    queue = SlaQueue(clock, django_capture_on_commit_callbacks)
    monkeypatch.setattr(queue.huey, "_get_timestamp", queue.timestamp)
    queue.huey.storage.flush_all()
    yield queue
    queue.huey.storage.flush_all()

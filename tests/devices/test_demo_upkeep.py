"""The device demo's upkeep: plans, inspections, updates, a remote session and pending requests."""

from __future__ import annotations

from io import StringIO

from bastion.demo import devices as demo_devices
from bastion.demo.organisation import build_organisation
from bastion.demo.staff import build_staff
from bastion.devices.models import InspectionRecord, MaintenancePlan, RemoteSession, SoftwareUpdate
from bastion.identity.models import ApprovalRequest


def test_demo_upkeep_is_loaded_through_the_actions(db):
    institution, branches = build_organisation()
    build_staff(password="demo-password-1234")
    summary = demo_devices.load(institution=institution, branches=branches, stdout=StringIO())
    assert "maintenance plans" in summary, summary
    parents = MaintenancePlan.objects.filter(parent__isnull=True)
    assert parents.count() == 3 and MaintenancePlan.objects.filter(parent__isnull=False).count() >= 10
    assert InspectionRecord.objects.filter(overall="attention").exists()
    assert SoftwareUpdate.objects.exists()
    session = RemoteSession.objects.get()
    assert session.alarm is not None and session.actions.count() == 1 and session.outcome == "in_progress"
    kinds = set(ApprovalRequest.objects.filter(status="pending").values_list("kind", flat=True))
    assert "devices.procurement" in kinds

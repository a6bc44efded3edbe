"""The AML demo: rated customers, large-value reports, alerts and cases on top of the demo payments."""

from __future__ import annotations

from io import StringIO

from bastion.aml.models import (
    Alert,
    Case,
    Customer,
    FraudModelVersion,
    LargeValueReport,
    ScreeningHit,
    SuspiciousReport,
)
from bastion.demo import aml as demo_aml
from bastion.demo import risk as demo_risk
from bastion.demo.organisation import build_organisation
from bastion.demo.staff import build_staff
from bastion.risk import transport


def test_aml_demo_builds_on_the_payments(db):
    institution, branches = build_organisation()
    build_staff(password="Demo-Password-2026")
    try:
        demo_risk.load(institution=institution, branches=branches, stdout=StringIO())
        summary = demo_aml.load(institution=institution, branches=branches, stdout=StringIO())
    finally:
        transport.reset_inline()
    assert summary.startswith("aml:"), summary
    assert Customer.objects.count() >= 250
    assert set(Customer.objects.values_list("risk_rating", flat=True)) >= {"low", "medium"}
    assert Customer.objects.filter(kind="institution").exists()
    assert LargeValueReport.objects.exists()
    assert Alert.objects.filter(source="rule").exists()
    assert set(Case.objects.values_list("status", flat=True)) == {"open", "proposed", "reported"}
    assert SuspiciousReport.objects.filter(status="draft").count() == 1
    # Screening shows tolerant matches with reasons, and one escalated terrorist-list hit.
    assert ScreeningHit.objects.filter(entry__watch_list__code="internal").count() >= 3
    assert ScreeningHit.objects.filter(escalated=True, alert__score=100).count() == 1
    assert Alert.objects.filter(source="typology").exists()
    assert FraudModelVersion.objects.get().status == "trained"
    assert (
        demo_aml.load(institution=institution, branches=branches, stdout=StringIO()) == "aml: already loaded"
    )

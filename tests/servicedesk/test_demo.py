"""The service-desk demo: policies, roster, months of history with ratings, live dispatched orders."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import override_settings

from bastion.audit.services import verify_chain
from bastion.servicedesk import services
from bastion.servicedesk.models import Feedback, RosterShift, SlaPolicy, WorkOrder


@pytest.mark.django_db
@override_settings(BASTION_FIELD_KEYS="k1:" + "A" * 43 + "=")
def test_demo_loads_the_service_desk_once(tmp_path, django_capture_on_commit_callbacks):
    with override_settings(BASTION_HOME=tmp_path):
        out = StringIO()
        call_command("demo", stdout=out)
        call_command("demo", stdout=StringIO())
    assert "Service desk:" in out.getvalue()
    assert SlaPolicy.objects.filter(is_active=True).count() == 5
    assert RosterShift.objects.exists()
    assert WorkOrder.objects.filter(status="closed").count() >= 2500  # thousands, over months
    first = WorkOrder.objects.order_by("opened_at").first()
    assert (WorkOrder.objects.order_by("-opened_at").first().opened_at - first.opened_at).days >= 150
    live = WorkOrder.objects.exclude(status__in=["closed", "resolved", "cancelled"])
    assert live.count() == 12
    # Dispatched through the real action: by day the front line, by night the back-end centre (24x7).
    assert live.filter(assignee__isnull=False).count() == 12
    assert live.filter(status="waiting_third_party").count() == 1
    assert Feedback.objects.count() > 500
    closed = WorkOrder.objects.filter(status="closed", priority__in=["p1", "p2"], kind="fault")
    assert not closed.filter(root_cause="").exists()  # every closed high-priority fault has a post-mortem
    from bastion.identity.models import User

    head = User.objects.get(username="auditor")
    summary = services.sla_summary(
        principal=head, since=WorkOrder.objects.order_by("opened_at").first().opened_at
    )
    assert 0.9 < summary["satisfied_share"] <= 1.0
    assert verify_chain().ok

"""The audit viewer: scoped, filtered, paginated events; the event diff; chain verification."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from bastion.audit.models import AuditEvent
from bastion.identity import actions
from tests.audit.helpers import tampering
from tests.web.conftest import sign_in

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]


@pytest.fixture
def history(world):
    """A few audited changes in branch A and branch B."""
    admin = world.users["admin_hq"]
    actions.do_update_user(
        user_id=world.users["onsite_engineer"].pk, changes={"full_name": "李工"}, actor=admin
    )
    actions.do_update_user(user_id=world.users["engineer_b"].pk, changes={"full_name": "王工"}, actor=admin)
    actions.do_unlock_user(user_id=world.users["engineer_b"].pk, actor=admin)
    return world


def test_filters_by_action_actor_and_branch(console, history):
    client = console("auditor_hq")
    everything = client.get("/audit/").content.decode()
    assert "identity.user_updated" in everything and "identity.user_unlocked" in everything
    unlocked = client.get("/audit/?action=identity.user_unlocked").content.decode()
    assert "identity.user_unlocked" in unlocked and "identity.user_updated" not in unlocked
    prefix = client.get("/audit/?action=identity.").content.decode()
    assert "identity.user_unlocked" in prefix
    by_actor = client.get("/audit/?actor=nobody-like-this").content.decode()
    assert "No events match." in by_actor
    branch_b = client.get(f"/audit/?branch={history.branch_b.pk}").content.decode()
    assert "王工" in branch_b and "李工" not in branch_b


def test_date_range_is_inclusive_of_the_last_day(console, history):
    client = console("auditor_hq")
    today = timezone.localdate()
    assert "identity.user_updated" in client.get(f"/audit/?since={today}&until={today}").content.decode()
    tomorrow = today + dt.timedelta(days=1)
    assert "No events match." in client.get(f"/audit/?since={tomorrow}").content.decode()
    bad = client.get(f"/audit/?since={tomorrow}&until={today}")
    assert bad.status_code == 422
    assert "The end of the period is before its start." in bad.content.decode()
    malformed = client.get("/audit/?since=yesterday")
    assert malformed.status_code == 422
    assert "Enter a valid date." in malformed.content.decode()


def test_branch_scoped_reader_sees_only_their_branch(console, history):
    reader = history.users["compliance_officer"]  # branch A only, holds audit.view_trail
    client = sign_in(Client(), reader)
    html = client.get("/audit/").content.decode()
    assert "李工" in html and "王工" not in html
    event_b = AuditEvent.objects.filter(branch_id=history.branch_b.pk).first()
    assert client.get(f"/audit/{event_b.seq}/").status_code == 404
    assert console("auditor_hq").get(f"/audit/{event_b.seq}/").status_code == 200


def test_event_detail_shows_the_before_after_diff(console, history):
    event = AuditEvent.objects.filter(action="identity.user_updated").first()
    html = console("auditor_hq").get(f"/audit/{event.seq}/").content.decode()
    assert '<tr class="changed">' in html
    assert "full_name" in html and "李工" in html and "onsite_engineer_a" in html
    assert event.row_hash in html and event.prev_hash in html
    assert console("auditor_hq").get("/audit/999999/").status_code == 404


def test_htmx_filter_returns_only_rows(console, history):
    response = console("auditor_hq").get(
        "/audit/?action=identity.user_unlocked", headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert "<html" not in html and "identity.user_unlocked" in html


def test_pagination_keeps_the_filters(console, history):
    admin = history.users["admin_hq"]
    for index in range(30):
        actions.do_update_user(
            user_id=history.users["engineer_b"].pk, changes={"employee_no": f"E{index}"}, actor=admin
        )
    html = console("auditor_hq").get("/audit/?action=identity.user_updated").content.decode()
    assert "Page 1 of 2" in html
    assert "?action=identity.user_updated&amp;page=2" in html


def test_chain_status_intact_then_broken(console, history):
    client = console("auditor_hq")
    never = client.get("/audit/chain/", headers={"HX-Request": "true"}).content.decode()
    assert 'id="chain-result"' in never and "has not been verified yet" in never
    # The test queue runs tasks at once; in production a worker picks the verification up.
    intact = client.post("/audit/chain/", headers={"HX-Request": "true"}).content.decode()
    assert "Verification queued" in intact and "Chain intact" in intact and "by auditor_hq" in intact
    victim = AuditEvent.objects.order_by("seq")[2]
    with tampering() as cursor:
        cursor.execute("UPDATE audit_auditevent SET actor_label = 'mallory' WHERE seq = %s", [victim.seq])
    assert "Chain intact" in client.get("/audit/chain/").content.decode()  # the last recorded result
    client.post("/audit/chain/")
    broken = client.get("/audit/chain/").content.decode()
    assert "Chain broken" in broken
    assert f"The first inconsistent event is #{victim.seq}." in broken
    assert AuditEvent.objects.filter(action="audit.chain_verified", after__ok=False).exists()


def test_nightly_verification_is_recorded_by_the_system(console, history):
    from bastion.audit.tasks import verify_audit_chain_nightly

    assert verify_audit_chain_nightly.call_local() is True
    page = console("auditor_hq").get("/audit/chain/").content.decode()
    assert "Chain intact" in page and "by system" in page


def test_export_downloads_the_filtered_events_and_is_logged(console, history):
    client = console("auditor_hq")
    page = client.get("/audit/?action=identity.user_unlocked").content.decode()
    assert "/audit/export/?action=identity.user_unlocked&amp;fmt=csv" in page
    response = client.get("/audit/export/?action=identity.user_unlocked&fmt=csv")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="audit-')
    lines = response.content.decode("utf-8-sig").strip().splitlines()
    assert len(lines) == 2 and "identity.user_unlocked" in lines[1]
    assert AuditEvent.objects.filter(action="read.audit_export").exists()
    bad = client.get("/audit/export/?fmt=xml", follow=True)
    assert "Choose one of: csv, json." in bad.content.decode()


def test_export_needs_its_own_permission(console, history):
    # Compliance officers read the trail but may not export it.
    client = console("compliance_hq")
    assert "export-csv" not in client.get("/audit/").content.decode()
    assert client.get("/audit/export/?fmt=csv").status_code == 403

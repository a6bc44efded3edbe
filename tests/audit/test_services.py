"""Reading the trail: branch-scoped search, single events, sensitive reads and logged exports."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from bastion.audit import actions, services
from bastion.audit.models import AuditEvent
from bastion.platform.errors import FieldError, NotFound, PermissionDenied
from tests.factories import make_branch, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def trail(db):
    """Events at branch A, branch B and the institution level, by two named actors."""
    branch_a = make_branch("sh-pudong", "上海浦东支行", "上海")
    branch_b = make_branch("bj-haidian", "北京海淀支行", "北京")
    people = {
        "auditor_hq": make_user("auditor_hq", roles=["auditor"], institution_wide=True),
        "auditor_a": make_user("auditor_a", roles=["auditor"], branch=branch_a),
        "compliance_a": make_user("compliance_a", roles=["compliance_officer"], branch=branch_a),
        "engineer_a": make_user("engineer_a", roles=["onsite_engineer"], branch=branch_a),
        "engineer_b": make_user("engineer_b", roles=["onsite_engineer"], branch=branch_b),
    }
    with transaction.atomic():
        actions.record_event(action="device.updated", actor=people["engineer_a"], obj=branch_a)
        actions.record_event(action="device.updated", actor=people["engineer_b"], obj=branch_b)
        actions.record_event(action="identity.policy_changed", actor=None, object_type="platform.policy")
        actions.record_event(
            action="device.renamed",
            actor=people["engineer_a"],
            obj=branch_a,
            object_repr='=HYPERLINK("http://evil")',
        )
    return {"a": branch_a, "b": branch_b, **people}


def _actions(events) -> list[str]:
    return [e.action for e in events]


def test_institution_wide_auditor_sees_every_event_newest_first(trail):
    events = list(services.search_events(principal=trail["auditor_hq"]))
    assert [e.seq for e in events] == sorted((e.seq for e in events), reverse=True)
    assert {"device.updated", "identity.policy_changed", "device.renamed"} <= set(_actions(events))
    assert {e.branch_id for e in events} >= {trail["a"].pk, trail["b"].pk, None}


def test_branch_scoped_auditor_sees_only_own_branch(trail):
    events = list(services.search_events(principal=trail["auditor_a"]))
    assert events and {e.branch_id for e in events} == {trail["a"].pk}
    assert not list(services.search_events(principal=trail["auditor_a"], branch_id=trail["b"].pk))


def test_get_event_outside_scope_is_not_found(trail):
    other = AuditEvent.objects.get(action="device.updated", branch_id=trail["b"].pk)
    institution = AuditEvent.objects.get(action="identity.policy_changed")
    assert services.get_event(principal=trail["auditor_hq"], seq=other.seq) == other
    for hidden in (other, institution):
        with pytest.raises(NotFound):
            services.get_event(principal=trail["auditor_a"], seq=hidden.seq)
    with pytest.raises(NotFound):
        services.get_event(principal=trail["auditor_hq"], seq=10**9)


def test_principals_without_the_permission_are_refused(trail):
    with pytest.raises(PermissionDenied):
        services.search_events(principal=trail["engineer_a"])
    with pytest.raises(PermissionDenied):
        services.get_event(principal=trail["engineer_a"], seq=1)


def test_filters(trail):
    hq = trail["auditor_hq"]
    assert set(_actions(services.search_events(principal=hq, actor_label="ENGINEER_B"))) == {"device.updated"}
    assert set(_actions(services.search_events(principal=hq, action="device."))) == {
        "device.updated",
        "device.renamed",
    }
    assert _actions(services.search_events(principal=hq, action="device")) == []
    assert _actions(services.search_events(principal=hq, object_type="platform.policy")) == [
        "identity.policy_changed"
    ]
    by_object = services.search_events(
        principal=hq, object_id=str(trail["b"].pk), object_type="identity.branch"
    )
    assert {e.branch_id for e in by_object} == {trail["b"].pk}
    now = timezone.now()
    assert services.search_events(principal=hq, since=now + timedelta(minutes=1)).count() == 0
    assert services.search_events(principal=hq, until=now - timedelta(days=1)).count() == 0
    everything = services.search_events(principal=hq).count()
    assert (
        services.search_events(
            principal=hq, since=now - timedelta(days=1), until=now + timedelta(minutes=1)
        ).count()
        == everything
    )


def test_bad_filters_name_the_field(trail):
    hq = trail["auditor_hq"]
    with pytest.raises(FieldError) as naive:
        services.search_events(principal=hq, since=datetime(2026, 1, 1))
    assert "since" in naive.value.fields
    now = timezone.now()
    with pytest.raises(FieldError) as backwards:
        services.search_events(principal=hq, since=now, until=now - timedelta(hours=1))
    assert "until" in backwards.value.fields


def test_record_sensitive_read_logs_who_saw_what(trail):
    event = actions.record_sensitive_read(
        actor=trail["compliance_a"], what="customer.id_number", obj=trail["engineer_a"], extra={"field": "id"}
    )
    assert event.action == "read.customer.id_number"
    assert event.actor_label == "compliance_a" and event.actor_type == "user"
    assert event.object_type == "identity.user" and event.object_id == str(trail["engineer_a"].pk)
    assert event.branch_id == trail["a"].pk  # followed User.branch_scope_path = home_branch
    assert event.extra == {"field": "id"}
    assert services.verify_chain().ok
    with pytest.raises(ValueError):
        actions.record_sensitive_read(actor=trail["compliance_a"], what="Bad Name")


def test_export_as_csv_is_scoped_escaped_and_logged(trail):
    before = AuditEvent.objects.count()
    content = actions.do_export_events(principal=trail["auditor_a"], fmt="csv")
    assert content.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows and {r["branch_id"] for r in rows} == {str(trail["a"].pk)}
    assert [int(r["seq"]) for r in rows] == sorted(int(r["seq"]) for r in rows)
    renamed = next(r for r in rows if r["action"] == "device.renamed")
    assert renamed["object_repr"].startswith("'=")  # would otherwise run as a spreadsheet formula
    logged = AuditEvent.objects.order_by("-seq").first()
    assert AuditEvent.objects.count() == before + 1
    assert logged.action == "read.audit_export" and logged.actor_label == "auditor_a"
    assert logged.extra == {
        "filters": {},
        "format": "csv",
        "rows": len(rows),
        "sha256": hashlib.sha256(content).hexdigest(),
    }


def test_export_as_json_records_filters(trail):
    since = timezone.now() - timedelta(days=1)
    content = actions.do_export_events(
        principal=trail["auditor_hq"], action="device.", since=since, fmt="json"
    )
    items = json.loads(content)
    assert {i["action"] for i in items} == {"device.updated", "device.renamed"}
    assert all(len(i["row_hash"]) == 64 for i in items)
    logged = AuditEvent.objects.order_by("-seq").first()
    assert logged.extra["filters"]["action"] == "device."
    assert logged.extra["filters"]["since"].endswith("Z")


def test_export_refusals_write_nothing(trail):
    count = AuditEvent.objects.count()
    with pytest.raises(PermissionDenied):
        actions.do_export_events(principal=trail["compliance_a"])  # may view, may not export
    with pytest.raises(FieldError) as bad_format:
        actions.do_export_events(principal=trail["auditor_hq"], fmt="xml")
    assert "fmt" in bad_format.value.fields
    assert AuditEvent.objects.count() == count


def test_branch_of_follows_each_kind_of_scope_path(trail):
    with transaction.atomic():
        on_user = actions.record_event(action="t.user", actor=None, obj=trail["engineer_b"])
        on_branch = actions.record_event(action="t.branch", actor=None, obj=trail["a"])
        on_event = actions.record_event(action="t.event", actor=None, obj=on_user)
        homeless = actions.record_event(action="t.hq", actor=None, obj=trail["auditor_hq"])
        unscoped = actions.record_event(action="t.calendar", actor=None, obj=trail["a"].calendar)
    assert on_user.branch_id == trail["b"].pk
    assert on_branch.branch_id == trail["a"].pk
    assert on_event.branch_id == trail["b"].pk
    assert homeless.branch_id is None
    assert unscoped.branch_id is None


def test_payload_numbers_survive_every_backend_and_nan_is_refused(trail):
    with transaction.atomic():
        actions.record_event(
            action="t.numbers", actor=None, extra={"big": 1e20, "neg0": -0.0, "small": 1e-7, "x": 2.5}
        )
    assert services.verify_chain().ok
    with pytest.raises(ValueError), transaction.atomic():
        actions.record_event(action="t.nan", actor=None, extra={"x": float("nan")})


def test_checkpoint_command_prints_seq_and_hash(trail):
    out = io.StringIO()
    call_command("audit", "checkpoint", stdout=out)
    head = AuditEvent.objects.order_by("-seq").first()
    assert out.getvalue().strip() == f"{head.seq}:{head.row_hash}"
    out = io.StringIO()
    call_command("audit", "checkpoint", "--no-verify", stdout=out)
    head = AuditEvent.objects.order_by("-seq").first()
    assert out.getvalue().strip() == f"{head.seq}:{head.row_hash}"

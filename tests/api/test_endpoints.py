"""Endpoint behaviour: me, users with masked phones, dual control through the API, audit, docs."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from django.test import Client

from bastion.audit.models import AuditEvent
from bastion.identity.models import ApprovalRequest, User, UserRole
from tests.api.conftest import assert_error_shape, call, count_rows

pytestmark = pytest.mark.django_db


def test_me_describes_the_session_user(api_world: Any) -> None:
    body = api_world.session("branch_manager_a").get("/api/v1/me").json()
    assert body["principal"]["type"] == "user"
    assert body["principal"]["name"] == "branch_manager_a"
    assert body["principal"]["roles"] == ["branch_manager"]
    assert body["principal"]["home_branch"]["id"] == api_world.branch_a.pk
    assert "identity.request_role_grant" in body["permissions"]
    assert "identity.manage_users" not in body["permissions"]
    assert body["scope"] == {"all_branches": False, "branch_ids": [api_world.branch_a.pk]}


def test_branch_detail_lists_its_sites(api_world: Any) -> None:
    client = api_world.session("onsite_engineer_a")
    body = client.get(f"/api/v1/branches/{api_world.branch_a.pk}").json()
    assert body["name"] == "上海浦东支行"
    assert [s["code"] for s in body["sites"]] == ["hall"]


# --- personal data --------------------------------------------------------------------------------
def test_phone_is_masked_unless_the_role_may_see_it_and_clear_reads_are_audited(api_world: Any) -> None:
    target = User.objects.get(pk=api_world.targets["user"]["A"])
    target.phone = "13812345678"
    target.save(update_fields=["phone"])
    url = f"/api/v1/users/{target.pk}"

    before = AuditEvent.objects.filter(action__startswith="read.").count()
    masked = api_world.session("branch_manager_a").get(url).json()
    assert masked["phone"] == "138****5678"
    listed = api_world.session("branch_manager_a").get("/api/v1/users?page_size=200")
    assert "13812345678" not in listed.content.decode()
    assert AuditEvent.objects.filter(action__startswith="read.").count() == before

    clear = api_world.session("compliance_officer_a").get(url).json()
    assert clear["phone"] == "13812345678"
    read = AuditEvent.objects.filter(action__startswith="read.").latest("seq")
    assert (read.actor_label, read.object_id) == ("compliance_officer_a", str(target.pk))


# --- users ----------------------------------------------------------------------------------------
def test_create_update_and_filter_users(api_world: Any) -> None:
    client = api_world.session("administrator_a")
    created = call(
        client,
        "POST",
        "/api/v1/users",
        {
            "username": "zhang_wei",
            "full_name": "张伟",
            "password": "Another-Strong-Passw0rd!",
            "email": "zhang.wei@example.cn",
            "home_branch_id": api_world.branch_a.pk,
        },
    )
    assert created.status_code == 201, created.content
    user = created.json()
    assert user["roles"] == [] and user["home_branch"]["id"] == api_world.branch_a.pk
    assert AuditEvent.objects.filter(action="identity.user_created", object_id=str(user["id"])).exists()

    patched = call(
        client, "PATCH", f"/api/v1/users/{user['id']}", {"full_name": "张伟明", "is_active": False}
    )
    assert patched.status_code == 200
    assert (patched.json()["full_name"], patched.json()["is_active"]) == ("张伟明", False)
    # Fields not sent are untouched.
    assert patched.json()["email"] == "zhang.wei@example.cn"

    found = client.get("/api/v1/users?q=张伟&is_active=false").json()["items"]
    assert [u["username"] for u in found] == ["zhang_wei"]
    engineers = client.get("/api/v1/users?role=onsite_engineer").json()["items"]
    assert [u["username"] for u in engineers] == ["onsite_engineer_a"]

    duplicate = call(
        client, "POST", "/api/v1/users", {"username": "ZHANG_WEI", "password": "Another-Strong-Passw0rd!"}
    )
    assert_error_shape(duplicate, 409, "username_taken")


def test_revoke_role_takes_effect_at_once(api_world: Any) -> None:
    target = api_world.targets["user"]["A"]
    client = api_world.session("admin_hq")
    response = client.delete(f"/api/v1/users/{target}/roles/onsite_engineer?reason=left+the+team")
    assert response.status_code == 204 and response.content == b""
    assert not UserRole.objects.filter(user_id=target, role__code="onsite_engineer").exists()
    again = client.delete(f"/api/v1/users/{target}/roles/onsite_engineer?reason=again")
    assert_error_shape(again, 404, "not_found")


# --- dual control ---------------------------------------------------------------------------------
def test_role_grant_through_the_api_needs_a_second_person(api_world: Any) -> None:
    target = api_world.targets["user"]["A"]
    maker = api_world.session("branch_manager_a")
    submitted = call(
        maker,
        "POST",
        f"/api/v1/users/{target}/role-grants",
        {"role": "remote_engineer", "reason": "remote desk"},
    )
    assert submitted.status_code == 202, submitted.content
    request = submitted.json()
    assert (request["status"], request["kind"], request["can_decide"]) == (
        "pending",
        "identity.role_grant",
        False,
    )
    assert not UserRole.objects.filter(user_id=target, role__code="remote_engineer").exists()

    duplicate = call(
        maker, "POST", f"/api/v1/users/{target}/role-grants", {"role": "remote_engineer", "reason": "again"}
    )
    assert_error_shape(duplicate, 409, "already_pending")

    mine = maker.get("/api/v1/approvals?box=mine").json()["items"]
    assert [r["id"] for r in mine] == [request["id"]]

    checker = api_world.session("compliance_officer_a")
    inbox = checker.get("/api/v1/approvals?box=to_decide&status=pending").json()["items"]
    assert request["id"] in {r["id"] for r in inbox}
    assert all(r["can_decide"] for r in inbox)

    approved = call(checker, "POST", f"/api/v1/approvals/{request['id']}/approve", {"note": "agreed"})
    assert approved.status_code == 200
    assert (approved.json()["status"], approved.json()["checker"]["username"]) == (
        "approved",
        "compliance_officer_a",
    )
    assert UserRole.objects.filter(user_id=target, role__code="remote_engineer").exists()

    again = call(checker, "POST", f"/api/v1/approvals/{request['id']}/approve", {"note": "twice"})
    assert_error_shape(again, 409, "conflict")


def test_self_approval_is_refused_through_the_api(api_world: Any) -> None:
    # administrator_a both made request A and holds the permission to approve role grants.
    request_id = api_world.targets["approval"]["A"]
    client = api_world.session("administrator_a")
    assert client.get(f"/api/v1/approvals/{request_id}").json()["can_decide"] is False
    before = count_rows()
    for verb, body in [("approve", {"note": "mine"}), ("reject", {"note": "mine"})]:
        response = call(client, "POST", f"/api/v1/approvals/{request_id}/{verb}", body)
        assert_error_shape(response, 403, "self_approval")
    assert count_rows() == before
    assert ApprovalRequest.objects.get(pk=request_id).status == "pending"


def test_maker_cancels_and_checker_rejects_with_a_reason(api_world: Any) -> None:
    maker = api_world.session("administrator_a")
    request_a = api_world.targets["approval"]["A"]
    cancelled = call(maker, "POST", f"/api/v1/approvals/{request_a}/cancel", {})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"

    request_b = api_world.targets["approval"]["B"]
    checker = api_world.session("compliance_hq")
    rejected = call(checker, "POST", f"/api/v1/approvals/{request_b}/reject", {"note": "not needed"})
    assert rejected.status_code == 200
    assert (rejected.json()["status"], rejected.json()["decision_note"]) == ("rejected", "not needed")
    filtered = checker.get("/api/v1/approvals?status=rejected").json()["items"]
    assert [r["id"] for r in filtered] == [request_b]


# --- audit ----------------------------------------------------------------------------------------
def test_audit_search_detail_verify_and_export(api_world: Any) -> None:
    client = api_world.session("auditor_hq")
    events = client.get("/api/v1/audit/events?action=approval.submitted").json()
    assert events["total"] == 2 and {e["action"] for e in events["items"]} == {"approval.submitted"}
    seq = events["items"][0]["seq"]
    detail = client.get(f"/api/v1/audit/events/{seq}").json()
    assert detail["seq"] == seq and len(detail["row_hash"]) == 64
    by_branch = client.get(f"/api/v1/audit/events?branch_id={api_world.branch_b.pk}").json()["items"]
    assert by_branch and {e["branch_id"] for e in by_branch} == {api_world.branch_b.pk}
    bad_time = client.get("/api/v1/audit/events?since=2025-01-01T00:00:00")
    assert "since" in assert_error_shape(bad_time, 422)["fields"]

    verified = client.get("/api/v1/audit/verify").json()
    assert verified["ok"] is True and verified["first_bad_seq"] is None

    exported = client.get("/api/v1/audit/export?action=approval.submitted")
    assert exported.status_code == 200
    assert exported["Content-Type"].startswith("text/csv")
    assert "attachment" in exported["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert [row["action"] for row in rows] == ["approval.submitted", "approval.submitted"]
    logged = AuditEvent.objects.latest("seq")
    assert (logged.action, logged.actor_label) == ("read.audit_export", "auditor_hq")
    assert logged.extra["rows"] == 2


def test_branch_auditor_sees_only_their_branch_events(api_world: Any) -> None:
    client = api_world.session("auditor_a")
    items = client.get("/api/v1/audit/events?page_size=200").json()["items"]
    assert items and {e["branch_id"] for e in items} == {api_world.branch_a.pk}
    other = api_world.targets["event"]["B"]
    assert_error_shape(client.get(f"/api/v1/audit/events/{other}"), 404, "not_found")


# --- docs -----------------------------------------------------------------------------------------
def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    assert len(keys) == len(set(keys)), f"duplicate keys in the OpenAPI document: {keys}"
    return dict(pairs)


def test_openapi_schema_documents_auth_and_the_error_shape(api_world: Any) -> None:
    # Swagger UI refuses a document with a repeated key, which json.loads would silently accept.
    raw = Client().get("/api/v1/openapi.json").content.decode()
    schema = json.loads(raw, object_pairs_hook=_no_duplicate_keys)
    assert schema["info"]["title"] == "Bastion API"
    schemes = schema["components"]["securitySchemes"]
    assert {s["type"] for s in schemes.values()} == {"http", "apiKey"}
    users = schema["paths"]["/api/v1/users"]["get"]
    assert {"200", "401", "403", "422"} <= set(users["responses"])
    assert "ErrorOut" in schema["components"]["schemas"]


def test_docs_page_loads_swagger_from_local_static_files(api_world: Any) -> None:
    page = Client().get("/api/v1/docs")
    assert page.status_code == 200
    html = page.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html and "/static/ninja/swagger-ui.css" in html
    assert "cdn" not in html.lower() and "https://" not in html
    assert "<script>" not in html  # no inline script for the CSP to block
    csp = page["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    for asset in ("ninja/swagger-ui-bundle.js", "ninja/swagger-ui-init.js", "ninja/swagger-ui.css"):
        response = Client().get(f"/static/{asset}")
        assert response.status_code == 200, asset
        content = b"".join(response.streaming_content) if response.streaming else response.content
        assert len(content) > 1000, asset

"""Tokens (expiry, revocation, permission and branch scope), sessions with CSRF, rate limits."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from bastion.audit.models import AuditEvent
from bastion.identity.models import ApiToken
from tests.api.conftest import (
    assert_error_shape,
    bearer_client,
    call,
    count_rows,
    make_token,
    session_client,
)

pytestmark = pytest.mark.django_db


def _new_token_body(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "monitoring",
        "permissions": ["identity.view_organisation"],
        "all_branches": True,
        "expires_at": (timezone.now() + timedelta(days=30)).isoformat(),
    } | overrides


# --- tokens ---------------------------------------------------------------------------------------
def test_token_is_issued_once_used_and_revoked_through_the_api(api_world: Any) -> None:
    admin = api_world.session("admin_hq")
    response = call(admin, "POST", "/api/v1/tokens", _new_token_body())
    assert response.status_code == 201, response.content
    issued = response.json()
    secret = issued["secret"]
    assert secret.startswith(f"bst_{issued['prefix']}_") and issued["status"] == "active"
    stored = ApiToken.objects.get(pk=issued["id"])
    assert secret not in (stored.digest, stored.prefix) and len(stored.digest) == 64
    # The secret is never shown again.
    listed = admin.get("/api/v1/tokens?page_size=200").json()["items"]
    assert all("secret" not in item for item in listed)
    assert issued["id"] in {item["id"] for item in listed}
    assert secret not in admin.get("/api/v1/tokens?page_size=200").content.decode()

    machine = bearer_client(secret)
    me = machine.get("/api/v1/me").json()
    assert me["principal"]["type"] == "token"
    assert me["principal"]["owner"]["username"] == "admin_hq"
    assert me["permissions"] == ["identity.view_organisation"]
    assert machine.get("/api/v1/branches").status_code == 200

    revoked = call(admin, "POST", f"/api/v1/tokens/{issued['id']}/revoke", {"reason": "rotated"})
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    assert_error_shape(machine.get("/api/v1/branches"), 401, "invalid_token")
    assert AuditEvent.objects.filter(action="identity.token_revoked", object_id=str(issued["id"])).exists()


def test_expired_token_is_401(api_world: Any) -> None:
    token, secret = make_token(
        api_world.principals["admin_hq"], permissions=["identity.view_organisation"], all_branches=True
    )
    client = bearer_client(secret)
    assert client.get("/api/v1/me").status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.get("/api/v1/me")
    assert_error_shape(response, 401, "invalid_token")
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header",
    ["Bearer bst_nope_nope", "Bearer ", "Bearer not-even-the-format", "bearer bst_a_b_c"],
)
def test_unknown_or_malformed_token_is_401(api_world: Any, header: str) -> None:
    response = Client(headers={"Authorization": header}).get("/api/v1/me")
    assert_error_shape(response, 401)


def test_a_bad_token_is_not_rescued_by_a_session(api_world: Any) -> None:
    client = api_world.session("admin_hq")
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer bst_nope_nope"})
    assert_error_shape(response, 401, "invalid_token")


def test_token_of_a_deactivated_owner_is_refused(api_world: Any) -> None:
    owner = api_world.principals["administrator_a"]
    _, secret = make_token(owner, permissions=["identity.view_organisation"], branches=[api_world.branch_a])
    type(owner).objects.filter(pk=owner.pk).update(is_active=False)
    assert_error_shape(bearer_client(secret).get("/api/v1/me"), 401, "invalid_token")


def test_token_is_limited_to_its_permissions(api_world: Any) -> None:
    admin = api_world.principals["admin_hq"]
    _, secret = make_token(admin, permissions=["identity.view_organisation"], all_branches=True)
    client = bearer_client(secret)
    assert client.get("/api/v1/branches").status_code == 200
    error = assert_error_shape(client.get("/api/v1/users"), 403, "permission_denied")
    assert "identity.view_users" in error["message"]
    before = count_rows()
    body = {"username": "via_token", "password": "Another-Strong-Passw0rd!"}
    assert_error_shape(call(client, "POST", "/api/v1/users", body), 403)
    assert count_rows() == before


def test_token_is_limited_to_its_branches(api_world: Any) -> None:
    admin = api_world.principals["admin_hq"]
    _, secret = make_token(
        admin,
        permissions=["identity.view_organisation", "identity.view_users"],
        branches=[api_world.branch_a],
    )
    client = bearer_client(secret)
    assert client.get("/api/v1/me").json()["scope"] == {
        "all_branches": False,
        "branch_ids": [api_world.branch_a.pk],
    }
    branches = {b["id"] for b in client.get("/api/v1/branches?page_size=200").json()["items"]}
    assert branches == {api_world.branch_a.pk}
    assert client.get(f"/api/v1/branches/{api_world.branch_a.pk}").status_code == 200
    assert_error_shape(client.get(f"/api/v1/branches/{api_world.branch_b.pk}"), 404, "not_found")
    users = client.get("/api/v1/users?page_size=200").json()["items"]
    assert users and {u["home_branch"]["id"] for u in users} == {api_world.branch_a.pk}
    assert_error_shape(client.get(f"/api/v1/users/{api_world.targets['user']['B']}"), 404)


def test_token_cannot_exceed_a_narrowed_owner(api_world: Any) -> None:
    """The owner's current permissions cap the token's: losing the role disables the permission."""
    owner = api_world.principals["administrator_a"]
    _, secret = make_token(owner, permissions=["identity.view_users"], branches=[api_world.branch_a])
    client = bearer_client(secret)
    assert client.get("/api/v1/users").status_code == 200
    owner.user_roles.all().delete()
    assert_error_shape(client.get("/api/v1/users"), 403, "permission_denied")


def test_tokens_cannot_take_person_only_actions(api_world: Any) -> None:
    secret = api_world.token_secrets["admin_hq"]
    before = count_rows()
    response = call(bearer_client(secret), "POST", "/api/v1/tokens", _new_token_body())
    assert_error_shape(response, 403, "person_required")
    approval = api_world.targets["approval"]["A"]
    response = call(bearer_client(secret), "POST", f"/api/v1/approvals/{approval}/approve", {"note": "ok"})
    assert_error_shape(response, 403, "person_required")
    assert count_rows() == before


def test_token_writes_are_audited_as_the_token(api_world: Any) -> None:
    secret = api_world.token_secrets["admin_hq"]
    target = api_world.targets["user"]["A"]
    response = call(bearer_client(secret), "POST", f"/api/v1/users/{target}/unlock", {})
    assert response.status_code == 200
    event = AuditEvent.objects.filter(action="identity.user_unlocked").latest("seq")
    assert (event.actor_type, event.actor_label, event.channel) == ("token", "token:matrix-admin_hq", "api")


# --- sessions and CSRF ----------------------------------------------------------------------------
def test_session_post_without_csrf_token_is_refused(api_world: Any) -> None:
    client = session_client(api_world.principals["admin_hq"], enforce_csrf=True)
    assert client.get("/api/v1/me").status_code == 200  # safe methods need no token
    before = count_rows()
    target = api_world.targets["user"]["A"]
    response = call(client, "POST", f"/api/v1/users/{target}/unlock", {})
    assert_error_shape(response, 403, "csrf_failed")
    response = call(client, "PATCH", f"/api/v1/users/{target}", {"full_name": "改名"})
    assert_error_shape(response, 403, "csrf_failed")
    assert count_rows() == before


def test_session_post_with_csrf_token_is_accepted(api_world: Any) -> None:
    client = session_client(api_world.principals["admin_hq"], enforce_csrf=True)
    client.get("/api/v1/docs")  # any page rendering a form token sets the CSRF cookie
    csrf = client.cookies["bastion_csrftoken"].value
    target = api_world.targets["user"]["A"]
    response = client.post(
        f"/api/v1/users/{target}/unlock",
        data="{}",
        content_type="application/json",
        headers={"X-CSRFToken": csrf},
    )
    assert response.status_code == 200, response.content
    wrong = client.post(
        f"/api/v1/users/{target}/unlock",
        data="{}",
        content_type="application/json",
        headers={"X-CSRFToken": "x" * 32},
    )
    assert_error_shape(wrong, 403, "csrf_failed")


def test_bearer_requests_need_no_csrf_token(api_world: Any) -> None:
    client = Client(
        enforce_csrf_checks=True, headers={"Authorization": f"Bearer {api_world.token_secrets['admin_hq']}"}
    )
    target = api_world.targets["user"]["A"]
    assert call(client, "POST", f"/api/v1/users/{target}/unlock", {}).status_code == 200


def test_anonymous_post_is_401_not_csrf(api_world: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    response = call(client, "POST", "/api/v1/tokens", _new_token_body())
    assert_error_shape(response, 401, "unauthenticated")


def test_session_without_mfa_is_not_accepted(api_world: Any) -> None:
    client = Client()
    client.force_login(api_world.principals["admin_hq"])  # password only, MFA never passed
    assert_error_shape(client.get("/api/v1/me"), 401, "unauthenticated")


# --- rate limits ----------------------------------------------------------------------------------
@override_settings(BASTION_RATE_LIMIT_TOKEN_FAILURES="3/d")
def test_repeated_bad_tokens_are_rate_limited(api_world: Any) -> None:
    for _ in range(3):
        assert_error_shape(Client(headers={"Authorization": "Bearer bst_x_guess"}).get("/api/v1/me"), 401)
    limited = Client(headers={"Authorization": "Bearer bst_x_guess"}).get("/api/v1/me")
    assert_error_shape(limited, 429, "rate_limited")
    # Even a right guess is refused from that address until the window passes.
    right = bearer_client(api_world.token_secrets["admin_hq"]).get("/api/v1/me")
    assert_error_shape(right, 429, "rate_limited")
    # Another address is unaffected.
    other = bearer_client(api_world.token_secrets["admin_hq"]).get("/api/v1/me", REMOTE_ADDR="10.9.8.7")
    assert other.status_code == 200


@override_settings(BASTION_RATE_LIMIT_TOKEN="2/d")
def test_token_issue_and_revoke_are_rate_limited(api_world: Any) -> None:
    client = api_world.session("admin_hq")
    first = call(client, "POST", "/api/v1/tokens", _new_token_body(name="one"))
    assert first.status_code == 201
    assert (
        call(client, "POST", f"/api/v1/tokens/{first.json()['id']}/revoke", {"reason": "x"}).status_code
        == 200
    )
    before = count_rows()
    limited = call(client, "POST", "/api/v1/tokens", _new_token_body(name="three"))
    assert_error_shape(limited, 429, "rate_limited")
    assert count_rows() == before

"""The authorisation matrix: every API endpoint, every role, own-branch and other-branch targets.

The expected statuses below are written out by hand from R1.2 (which role may do what) and the
scoping rule (a row outside the caller's branches is 404, not 403), not computed from the permission
registry, so a registry change that widens or narrows access makes this test fail. The endpoint list
is read from the OpenAPI schema: an endpoint without a row here fails
:func:`test_every_endpoint_is_in_the_matrix`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from bastion.api import api
from bastion.identity.permissions import ROLES
from tests.api.conftest import INSTITUTION_WIDE, anonymous_client, call
from tests.api.matrix import (
    AUDIT_EXPORT,
    AUDIT_VIEW,
    EVERYONE,
    MANAGE_TOKENS,
    MANAGE_USERS,
    REQUEST_GRANT,
    VIEW_USERS,
    Case,
    extensions,
    in_scope,
    permission_then_scope,
    person_only,
    role_of,
)

pytestmark = pytest.mark.django_db

PRINCIPALS = [f"{role}_a" for role in ROLES] + ["branch_manager_b", *INSTITUTION_WIDE]

# --- the approval fixtures: request A made by administrator_a, request B by branch_manager_b -------
MAKERS = {"A": "administrator_a", "B": "branch_manager_b"}
CHECKER_ROLES = frozenset({"administrator", "compliance_officer"})


def sees_approval(principal: str, target: str, *, as_token: bool = False) -> bool:
    """The maker sees their request; checkers of the kind see those in their scope."""
    if MAKERS[target] == principal and not as_token:
        return True
    return role_of(principal) in CHECKER_ROLES and in_scope(principal, target)


def _decide(principal: str, target: str | None, as_token: bool) -> int:
    assert target is not None
    if not sees_approval(principal, target, as_token=as_token):
        return 404 if not as_token else 403
    if as_token:
        return 403
    return 403 if MAKERS[target] == principal else 200


def _cancel(principal: str, target: str | None, as_token: bool) -> int:
    assert target is not None
    if as_token:
        return 403
    if not sees_approval(principal, target):
        return 404
    return 200 if MAKERS[target] == principal else 403


def _see_approval(principal: str, target: str | None, as_token: bool) -> int:
    assert target is not None
    return 200 if sees_approval(principal, target, as_token=as_token) else 404


def _new_user(target: dict[str, int]) -> dict[str, Any]:
    return {
        "username": "new_staff_member",
        "full_name": "新员工",
        "password": "Another-Strong-Passw0rd!",
        "phone": "13812345678",
        "home_branch_id": target["branch"],
    }


def _new_token(target: dict[str, int]) -> dict[str, Any]:
    return {
        "name": "monitoring",
        "permissions": ["identity.view_organisation"],
        "branch_ids": [target["branch"]],
        "expires_at": (timezone.now() + timedelta(days=30)).isoformat(),
    }


MATRIX: dict[tuple[str, str], Case] = {
    ("GET", "/me"): Case(None, lambda p, t, tok: 200),
    ("GET", "/branches"): Case(None, permission_then_scope(EVERYONE, 200)),
    ("GET", "/branches/{branch_id}"): Case("branch", permission_then_scope(EVERYONE, 200)),
    ("GET", "/teams"): Case(None, permission_then_scope(EVERYONE, 200)),
    ("GET", "/users"): Case(None, permission_then_scope(VIEW_USERS, 200)),
    # The new user's home branch is in the body: outside the caller's scope it is a bad field (422).
    ("POST", "/users"): Case("branch", permission_then_scope(MANAGE_USERS, 201, out_of_scope=422), _new_user),
    ("GET", "/users/{user_id}"): Case("user", permission_then_scope(VIEW_USERS, 200)),
    ("PATCH", "/users/{user_id}"): Case(
        "user", permission_then_scope(MANAGE_USERS, 200), lambda t: {"full_name": "新名字"}
    ),
    ("POST", "/users/{user_id}/unlock"): Case("user", permission_then_scope(MANAGE_USERS, 200)),
    ("POST", "/users/{user_id}/mfa-reset"): Case(
        "user", person_only(permission_then_scope(MANAGE_USERS, 200)), lambda t: {"reason": "lost phone"}
    ),
    ("GET", "/roles"): Case(None, permission_then_scope(VIEW_USERS, 200)),
    ("POST", "/users/{user_id}/role-grants"): Case(
        "user",
        person_only(permission_then_scope(REQUEST_GRANT, 202)),
        lambda t: {"role": "remote_engineer", "reason": "covers the remote desk"},
    ),
    ("DELETE", "/users/{user_id}/roles/{role_code}"): Case(
        "user", permission_then_scope(MANAGE_USERS, 204), query="?reason=moved+to+another+team"
    ),
    ("GET", "/approvals"): Case(None, permission_then_scope(EVERYONE, 200)),
    ("GET", "/approvals/{request_id}"): Case("approval", _see_approval),
    ("POST", "/approvals/{request_id}/approve"): Case("approval", _decide, lambda t: {"note": "ok"}),
    ("POST", "/approvals/{request_id}/reject"): Case("approval", _decide, lambda t: {"note": "not needed"}),
    ("POST", "/approvals/{request_id}/cancel"): Case("approval", _cancel),
    ("GET", "/tokens"): Case(None, permission_then_scope(MANAGE_TOKENS, 200)),
    # Branches named in the body outside the caller's scope are a bad field (422).
    ("POST", "/tokens"): Case(
        "branch", person_only(permission_then_scope(MANAGE_TOKENS, 201, out_of_scope=422)), _new_token
    ),
    ("POST", "/tokens/{token_id}/revoke"): Case(
        "token", person_only(permission_then_scope(MANAGE_TOKENS, 200)), lambda t: {"reason": "rotated"}
    ),
    ("GET", "/audit/events"): Case(None, permission_then_scope(AUDIT_VIEW, 200)),
    ("GET", "/audit/events/{seq}"): Case("event", permission_then_scope(AUDIT_VIEW, 200)),
    ("GET", "/audit/verify"): Case(None, permission_then_scope(AUDIT_VIEW, 200)),
    ("GET", "/audit/export"): Case(None, permission_then_scope(AUDIT_EXPORT, 200)),
}

PATH_PARAMS = {
    "branch": "branch_id",
    "user": "user_id",
    "approval": "request_id",
    "token": "token_id",
    "event": "seq",
}
for _extension in extensions():
    MATRIX.update(_extension.MATRIX)
    PATH_PARAMS.update(_extension.PATH_PARAMS)


def api_endpoints() -> set[tuple[str, str]]:
    """(METHOD, path under /api/v1) of every operation in the OpenAPI schema."""
    schema = api.get_openapi_schema()
    found = set()
    for path, operations in schema["paths"].items():
        for method in operations:
            found.add((method.upper(), path.removeprefix("/api/v1")))
    return found


def test_every_endpoint_is_in_the_matrix() -> None:
    endpoints = api_endpoints()
    assert endpoints, "the OpenAPI schema lists no endpoints"
    assert endpoints == set(MATRIX), {
        "missing from the matrix": sorted(endpoints - set(MATRIX)),
        "in the matrix but not in the API": sorted(set(MATRIX) - endpoints),
    }


def _cases(principals: list[str]) -> list[Any]:
    cases = []
    for (method, path), case in MATRIX.items():
        targets = ["A", "B"] if case.target else [None]
        for principal in principals:
            for target in targets:
                ident = f"{method} {path} {principal}" + (f" {target}" if target else "")
                cases.append(pytest.param(method, path, principal, target, id=ident))
    return cases


def _request(api_world: Any, method: str, path: str, target: str | None) -> tuple[str, Any]:
    case = MATRIX[(method, path)]
    ids = {kind: by_branch[target] for kind, by_branch in api_world.targets.items()} if target else {}
    url = path
    if case.target and PATH_PARAMS.get(case.target) and "{" in path:
        url = url.replace("{" + PATH_PARAMS[case.target] + "}", str(ids[case.target]))
    for kind, param in PATH_PARAMS.items():  # further objects named by the path, at the same branch
        if kind in ids:
            url = url.replace("{" + param + "}", str(ids[kind]))
    url = url.replace("{role_code}", "onsite_engineer")
    body = case.body(ids) if callable(case.body) else case.body
    if method != "GET" and body is None:
        body = {}
    return "/api/v1" + url + case.query, body


@pytest.mark.parametrize(("method", "path", "principal", "target"), _cases(PRINCIPALS))
def test_session_matrix(api_world: Any, method: str, path: str, principal: str, target: str | None) -> None:
    url, body = _request(api_world, method, path, target)
    client = api_world.session(principal)
    response = call(client, method, url, None if method == "GET" else body)
    expected = MATRIX[(method, path)].expect(principal, target, False)
    assert response.status_code == expected, (url, response.content[:300])
    if expected >= 400:
        assert set(response.json()) == {"error"}


# Tokens carrying all of their owner's permissions and scope: the same answers, except that
# decisions binding a named person refuse machines (403 person_required).
TOKEN_PRINCIPALS = [
    "administrator_a",
    "compliance_officer_a",
    "onsite_engineer_a",
    "branch_manager_b",
    "admin_hq",
    "auditor_hq",
]


@pytest.mark.parametrize(("method", "path", "principal", "target"), _cases(TOKEN_PRINCIPALS))
def test_token_matrix(api_world: Any, method: str, path: str, principal: str, target: str | None) -> None:
    url, body = _request(api_world, method, path, target)
    client = api_world.bearer(principal)
    response = call(client, method, url, None if method == "GET" else body)
    expected = MATRIX[(method, path)].expect(principal, target, True)
    assert response.status_code == expected, (url, response.content[:300])
    if expected >= 400:
        assert set(response.json()) == {"error"}


@pytest.mark.parametrize(("method", "path"), sorted(MATRIX))
def test_anonymous_is_401_everywhere(api_world: Any, method: str, path: str) -> None:
    url, body = _request(api_world, method, path, "A" if MATRIX[(method, path)].target else None)
    response = call(anonymous_client(), method, url, None if method == "GET" else body)
    assert response.status_code == 401, response.content
    assert response.json()["error"]["code"] == "unauthenticated"
    assert response["WWW-Authenticate"].startswith("Bearer")

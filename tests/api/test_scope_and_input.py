"""Branch users read no row of another branch; bad input names the field and writes nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.apps import apps
from django.utils import timezone

from bastion.identity.models import ApiToken, ApprovalRequest, Team, User, UserRole
from tests.api.conftest import INSTITUTION_WIDE, assert_error_shape, call, count_rows
from tests.api.matrix import extensions
from tests.api.test_authorisation_matrix import MATRIX, api_endpoints

pytestmark = pytest.mark.django_db


# --- branch scope in every list --------------------------------------------------------------------
def _user_branch(item: dict[str, Any]) -> int | None:
    return item["home_branch"]["id"] if item["home_branch"] else None


def _token_branch(item: dict[str, Any]) -> int | None:
    return ApiToken.objects.select_related("owner").get(pk=item["id"]).owner.home_branch_id


# How to tell which branch a listed row belongs to (None: institution level). Lists with no
# branch data (roles) say so explicitly.
LIST_BRANCH_OF: dict[str, Any] = {
    "/branches": lambda item: item["id"],
    "/teams": lambda item: item["branch_id"],
    "/users": _user_branch,
    "/approvals": lambda item: item["branch_id"],
    "/tokens": _token_branch,
    "/audit/events": lambda item: item["branch_id"],
    "/roles": None,  # roles are institution-wide definitions, not branch data
}
# GETs without a path parameter that are not paginated lists.
NOT_LISTS: set[str] = {"/me", "/audit/verify", "/audit/export"}
# Who reads a list in the per-row query check (default: admin_hq).
LIST_READERS: dict[str, str] = {"/audit/events": "auditor_hq"}
for _extension in extensions():
    LIST_BRANCH_OF.update(getattr(_extension, "LIST_BRANCH_OF", {}))
    NOT_LISTS.update(getattr(_extension, "NOT_LISTS", ()))
    LIST_READERS.update(getattr(_extension, "LIST_READERS", {}))


def _list_endpoints() -> set[str]:
    return {
        path
        for method, path in api_endpoints()
        if method == "GET" and "{" not in path and path not in NOT_LISTS
    }


def test_every_list_endpoint_is_checked_for_scope() -> None:
    assert _list_endpoints() == set(LIST_BRANCH_OF)


def _all_items(client: Any, path: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    page = 1
    while True:
        body = client.get(f"/api/v1{path}?page={page}&page_size=200").json()
        items += body["items"]
        if page * body["page_size"] >= body["total"]:
            return items
        page += 1


BRANCH_PRINCIPALS = [
    name
    for name in [
        f"{r}_a"
        for r in (
            "administrator",
            "branch_manager",
            "support_supervisor",
            "compliance_officer",
            "auditor",
            "onsite_engineer",
            "aml_officer",
        )
    ]
] + ["branch_manager_b"]


@pytest.mark.parametrize("principal", BRANCH_PRINCIPALS)
def test_branch_user_reads_no_row_of_another_branch(api_world: Any, principal: str) -> None:
    user = api_world.principals[principal]
    client = api_world.session(principal)
    own = user.home_branch_id
    checked = 0
    for path, branch_of in LIST_BRANCH_OF.items():
        response = client.get(f"/api/v1{path}")
        if response.status_code == 403:
            continue
        assert response.status_code == 200, (path, response.content)
        if branch_of is None:
            continue
        items = _all_items(client, path)
        foreign = [item for item in items if branch_of(item) != own]
        assert not foreign, (path, foreign[:3])
        checked += 1
    assert checked >= 2  # at least branches and approvals are readable by everyone


def test_institution_wide_users_see_both_branches(api_world: Any) -> None:
    client = api_world.session("admin_hq")
    branches = {item["id"] for item in _all_items(client, "/branches")}
    assert {api_world.branch_a.pk, api_world.branch_b.pk} <= branches
    teams = {item["branch_id"] for item in _all_items(client, "/teams")}
    assert {api_world.branch_a.pk, api_world.branch_b.pk, None} <= teams
    homes = {_user_branch(item) for item in _all_items(client, "/users")}
    assert {api_world.branch_a.pk, api_world.branch_b.pk, None} <= homes


def test_pagination_shape_and_bounds(api_world: Any) -> None:
    client = api_world.session("admin_hq")
    body = client.get("/api/v1/users?page=2&page_size=5").json()
    assert set(body) == {"items", "page", "page_size", "total"}
    assert (body["page"], body["page_size"], len(body["items"])) == (2, 5, 5)
    assert body["total"] == User.objects.count()
    first = {u["id"] for u in client.get("/api/v1/users?page=1&page_size=5").json()["items"]}
    assert first.isdisjoint(u["id"] for u in body["items"])
    beyond = client.get("/api/v1/users?page=999&page_size=5").json()
    assert beyond["items"] == [] and beyond["total"] == body["total"]
    for query, field in [("page=0", "page"), ("page_size=201", "page_size"), ("page=x", "page")]:
        error = assert_error_shape(client.get(f"/api/v1/users?{query}"), 422, "validation_error")
        assert set(error["fields"]) == {field}


# --- bad input to every write endpoint -------------------------------------------------------------
def _future(days: int = 30) -> str:
    return (timezone.now() + timedelta(days=days)).isoformat()


BAD_INPUT: dict[tuple[str, str], list[tuple[Any, ...]]] = {
    # (path with {target kind} placeholders filled with the kind's branch-A object, body, the field
    # that must be named[, the principal who sends it: default compliance_hq for approvals,
    # admin_hq otherwise])
    ("POST", "/users"): [
        ("/users", {"username": "", "password": "Another-Strong-Passw0rd!"}, "username"),
        ("/users", {"username": "x" * 151, "password": "Another-Strong-Passw0rd!"}, "username"),
        ("/users", {"username": "has space", "password": "Another-Strong-Passw0rd!"}, "username"),
        ("/users", {"username": "ok_name"}, "password"),
        ("/users", {"username": "ok_name", "password": "short"}, "password"),
        ("/users", {"username": "ok_name", "password": "Another-Strong-Passw0rd!", "email": "nope"}, "email"),
        (
            "/users",
            {"username": "ok_name", "password": "Another-Strong-Passw0rd!", "phone": "call me"},
            "phone",
        ),
        (
            "/users",
            {"username": "ok_name", "password": "Another-Strong-Passw0rd!", "home_branch_id": 999999},
            "home_branch_id",
        ),
        (
            "/users",
            {"username": "ok_name", "password": "Another-Strong-Passw0rd!", "full_name": "名" * 101},
            "full_name",
        ),
    ],
    ("PATCH", "/users/{user_id}"): [
        ("/users/{user}", {"email": "not-an-address"}, "email"),
        ("/users/{user}", {"full_name": None}, "full_name"),
        ("/users/{user}", {"is_active": "perhaps"}, "is_active"),
        ("/users/{user}", {"home_branch_id": 999999}, "home_branch_id"),
        ("/users/{user}", {"employee_no": "9" * 41}, "employee_no"),
        ("/users/{user}", {}, "body"),
        ("/users/abc", {"full_name": "x"}, "user_id"),
    ],
    ("POST", "/users/{user_id}/unlock"): [("/users/abc/unlock", {}, "user_id")],
    ("POST", "/users/{user_id}/mfa-reset"): [
        ("/users/{user}/mfa-reset", {}, "reason"),
        ("/users/{user}/mfa-reset", {"reason": ""}, "reason"),
        ("/users/{user}/mfa-reset", {"reason": "   "}, "reason"),
    ],
    ("POST", "/users/{user_id}/role-grants"): [
        ("/users/{user}/role-grants", {"role": "no_such_role", "reason": "x"}, "role"),
        ("/users/{user}/role-grants", {"role": "remote_engineer"}, "reason"),
        ("/users/{user}/role-grants", {"role": "remote_engineer", "reason": "   "}, "reason"),
        ("/users/{user}/role-grants", {"role": "", "reason": "x"}, "role"),
    ],
    ("DELETE", "/users/{user_id}/roles/{role_code}"): [
        ("/users/{user}/roles/onsite_engineer", None, "reason"),
        ("/users/{user}/roles/onsite_engineer?reason=+++", None, "reason"),
        ("/users/abc/roles/onsite_engineer?reason=x", None, "user_id"),
    ],
    ("POST", "/approvals/{request_id}/approve"): [
        ("/approvals/{approval}/approve", {"note": 5}, "note"),
        ("/approvals/{approval}/approve", {"note": "n" * 2001}, "note"),
        ("/approvals/abc/approve", {}, "request_id"),
    ],
    ("POST", "/approvals/{request_id}/reject"): [
        ("/approvals/{approval}/reject", {}, "note"),
        ("/approvals/{approval}/reject", {"note": "  "}, "note"),
    ],
    ("POST", "/approvals/{request_id}/cancel"): [("/approvals/abc/cancel", {}, "request_id")],
    ("POST", "/tokens"): [
        (
            "/tokens",
            {
                "name": "m",
                "permissions": ["identity.view_organisation"],
                "all_branches": True,
                "expires_at": "tomorrow",
            },
            "expires_at",
        ),
        (
            "/tokens",
            {
                "name": "m",
                "permissions": ["identity.view_organisation"],
                "all_branches": True,
                "expires_at": "2030-01-01T00:00:00",
            },
            "expires_at",
        ),
        (
            "/tokens",
            {
                "name": "m",
                "permissions": ["identity.view_organisation"],
                "all_branches": True,
                "expires_at": "2020-01-01T00:00:00+08:00",
            },
            "expires_at",
        ),
        (
            "/tokens",
            {
                "name": "m",
                "permissions": ["identity.view_organisation"],
                "all_branches": True,
                "expires_at": _future(400),
            },
            "expires_at",
        ),
        (
            "/tokens",
            {"name": "m", "permissions": [], "all_branches": True, "expires_at": _future()},
            "permissions",
        ),
        (
            "/tokens",
            {"name": "m", "permissions": ["no.such"], "all_branches": True, "expires_at": _future()},
            "permissions",
        ),
        (
            "/tokens",
            {"name": "m", "permissions": ["audit.view_trail"], "all_branches": True, "expires_at": _future()},
            "permissions",
        ),
        (
            "/tokens",
            {
                "name": "",
                "permissions": ["identity.view_organisation"],
                "all_branches": True,
                "expires_at": _future(),
            },
            "name",
        ),
        (
            "/tokens",
            {
                "name": "   ",
                "permissions": ["identity.view_organisation"],
                "all_branches": True,
                "expires_at": _future(),
            },
            "name",
        ),
        (
            "/tokens",
            {
                "name": "m",
                "permissions": ["identity.view_organisation"],
                "branch_ids": [999999],
                "expires_at": _future(),
            },
            "branch_ids",
        ),
        (
            "/tokens",
            {
                "name": "m",
                "permissions": ["identity.view_organisation"],
                "branch_ids": ["x"],
                "expires_at": _future(),
            },
            "branch_ids.0",
        ),
        (
            "/tokens",
            {"name": "m", "permissions": ["identity.view_organisation"], "expires_at": _future()},
            "branch_ids",
        ),
    ],
    ("POST", "/tokens/{token_id}/revoke"): [
        ("/tokens/{token}/revoke", {"reason": 7}, "reason"),
        ("/tokens/abc/revoke", {}, "token_id"),
    ],
}


for _extension in extensions():
    BAD_INPUT.update(getattr(_extension, "BAD_INPUT", {}))


def test_every_write_endpoint_has_bad_input_cases() -> None:
    writes = {(m, p) for m, p in api_endpoints() if m in {"POST", "PATCH", "PUT", "DELETE"}}
    assert writes == set(BAD_INPUT)
    assert writes <= set(MATRIX)


def _snapshot(api_world: Any) -> dict[str, Any]:
    target = User.objects.get(pk=api_world.targets["user"]["A"])
    return {
        **count_rows(),
        # Every row of every Bastion model: a refused write adds, removes or half-writes nothing.
        **{
            model._meta.label: model.objects.count()
            for model in apps.get_models()
            if model.__module__.startswith("bastion.")
        },
        "grants": UserRole.objects.count(),
        "target": (
            target.full_name,
            target.email,
            target.is_active,
            target.home_branch_id,
            target.totp_secret,
        ),
        "pending": ApprovalRequest.objects.filter(status="pending").count(),
        "revoked": ApiToken.objects.filter(revoked_at__isnull=False).count(),
    }


def _default_actor(path: str) -> str:
    # compliance_hq may decide approvals; admin_hq may do everything else of the foundation.
    return "compliance_hq" if "/approvals/" in path else "admin_hq"


BAD_CASES = [
    pytest.param(
        method,
        case[0],
        case[1],
        case[2],
        case[3] if len(case) > 3 else _default_actor(case[0]),
        id=f"{method} {case[0]} -> {case[2]}",
    )
    for (method, _), cases in BAD_INPUT.items()
    for case in cases
]


@pytest.mark.parametrize(("method", "path", "body", "field", "actor"), BAD_CASES)
def test_bad_input_names_the_field_and_writes_nothing(
    api_world: Any, method: str, path: str, body: Any, field: str, actor: str
) -> None:
    at_a = {kind: ids["A"] for kind, ids in api_world.targets.items()}
    url = "/api/v1" + path.format(**at_a)
    if callable(body):
        body = body(at_a)
    before = _snapshot(api_world)
    response = call(api_world.session(actor), method, url, body)
    assert 400 <= response.status_code < 500, response.content
    error = assert_error_shape(response, response.status_code)
    assert field in error["fields"], error
    assert _snapshot(api_world) == before


def test_unknown_route_and_wrong_method_use_the_error_shape(api_world: Any) -> None:
    client = api_world.session("admin_hq")
    assert_error_shape(client.get("/api/v1/no/such/thing"), 404, "not_found")
    response = client.delete("/api/v1/me")
    assert_error_shape(response, 405, "method_not_allowed")
    assert response["Allow"] == "GET"
    assert_error_shape(client.get("/api/v1/users/999999"), 404, "not_found")
    assert_error_shape(client.get("/api/v1/"), 404, "not_found")


@pytest.mark.parametrize(
    ("raw", "content_type", "status", "code"),
    [
        ("{not json", "application/json", 400, "invalid_body"),
        ("name=x", "application/x-www-form-urlencoded", 400, "invalid_body"),
        ("", "application/json", 422, "validation_error"),
    ],
)
def test_unparseable_or_missing_body_names_the_body(
    api_world: Any, raw: str, content_type: str, status: int, code: str
) -> None:
    before = count_rows()
    response = api_world.session("admin_hq").post("/api/v1/tokens", data=raw, content_type=content_type)
    assert set(assert_error_shape(response, status, code)["fields"]) == {"body"}
    assert count_rows() == before


def test_institution_level_team_hidden_from_branch_users(api_world: Any) -> None:
    hq_team = Team.objects.get(code="hq-risk")
    client = api_world.session("branch_manager_a")
    assert hq_team.pk not in {t["id"] for t in _all_items(client, "/teams")}
    hq_client = api_world.session(next(iter(INSTITUTION_WIDE)))
    assert hq_team.pk in {t["id"] for t in _all_items(hq_client, "/teams")}


@pytest.mark.parametrize("path", sorted(p for p, branch_of in LIST_BRANCH_OF.items()))
def test_lists_do_not_query_per_row(api_world: Any, path: str) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api_world.session(LIST_READERS.get(path, "admin_hq"))

    def queries(page_size: int) -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(f"/api/v1{path}?page_size={page_size}")
        assert response.status_code == 200
        assert len(response.json()["items"]) >= min(page_size, 2)
        return len(captured)

    assert queries(1) == queries(12)

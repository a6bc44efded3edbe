"""API test fixtures: one world per module (inside a transaction rolled back at the end), clients.

Building the world hashes ~20 passwords with Argon2, so the matrix builds it once per module; each
test still runs in its own savepoint (the ``db`` fixture), so writes never leak between cases.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIRequest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.test import Client
from django.test.client import ClientHandler
from django.utils import timezone

from bastion.audit.models import AuditEvent
from bastion.identity import actions
from bastion.identity.middleware import SESSION_MFA, SESSION_STARTED
from bastion.identity.models import ApiToken, ApprovalRequest, Site, Team, User
from bastion.identity.services import TOKEN_PREFIX, token_digest
from tests.factories import World, make_world

INSTITUTION_WIDE = {
    "admin_hq": "administrator",
    "compliance_hq": "compliance_officer",
    "auditor_hq": "auditor",
}


@dataclass
class ApiWorld:
    """The factories' world plus one object of each kind at branch A and at branch B."""

    world: World
    principals: dict[str, User] = field(default_factory=dict)  # "<role>_a", "branch_manager_b", "*_hq"
    targets: dict[str, dict[str, int]] = field(default_factory=dict)  # kind -> {"A": id, "B": id}
    token_secrets: dict[str, str] = field(default_factory=dict)  # principal name -> bearer secret
    session_keys: dict[str, str] = field(default_factory=dict)  # principal name -> signed-in session

    def session(self, name: str) -> Client:
        """A client on the principal's session made with the world (cheaper than signing in anew)."""
        client = _client()
        client.cookies[settings.SESSION_COOKIE_NAME] = self.session_keys[name]
        return client

    def bearer(self, name: str) -> Client:
        return bearer_client(self.token_secrets[name])

    @property
    def branch_a(self) -> Any:
        return self.world.branch_a

    @property
    def branch_b(self) -> Any:
        return self.world.branch_b


def make_token(
    owner: User,
    *,
    permissions: list[str],
    branches: list[Any] | None = None,
    all_branches: bool = False,
    expires_in: timedelta = timedelta(days=30),
    name: str = "fixture",
) -> tuple[ApiToken, str]:
    """A token written directly (test data), bypassing the issuing rules on purpose."""
    prefix = secrets.token_hex(6)
    secret = f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        name=name,
        prefix=prefix,
        digest=token_digest(secret),
        permissions=sorted(permissions),
        all_branches=all_branches,
        owner=owner,
        expires_at=timezone.now() + expires_in,
    )
    token.branches.set(branches or [])
    return token, secret


def _build(world: World) -> ApiWorld:
    api_world = ApiWorld(world)
    for key, user in world.users.items():
        if key in INSTITUTION_WIDE or key == "branch_manager_b":
            api_world.principals[key] = user
        elif key != "engineer_b":
            api_world.principals[f"{key}_a"] = user
    a, b = world.branch_a, world.branch_b
    users = world.users
    # Sites and teams at each branch, and one institution-level team no branch user may see.
    Site.objects.create(branch=a, code="hall", name="营业大厅")
    Site.objects.create(branch=b, code="hall", name="营业大厅")
    team_a = Team.objects.create(
        institution=a.institution, branch=a, code="fl-a", name="浦东一线", kind="frontline_support"
    )
    team_b = Team.objects.create(
        institution=b.institution, branch=b, code="fl-b", name="海淀一线", kind="frontline_support"
    )
    team_a.members.add(users["onsite_engineer"])
    team_b.members.add(users["engineer_b"])
    Team.objects.create(institution=a.institution, code="hq-risk", name="总行风控", kind="risk")
    # Pending role grants, one per branch, each by a maker of that branch.
    grant_a = actions.do_request_role_grant(
        user_id=users["onsite_engineer"].pk,
        role_code="customer_service_agent",
        reason="covers the hotline",
        actor=users["administrator"],
    )
    grant_b = actions.do_request_role_grant(
        user_id=users["engineer_b"].pk,
        role_code="customer_service_agent",
        reason="covers the hotline",
        actor=users["branch_manager_b"],
    )
    token_a, _ = make_token(users["administrator"], permissions=["identity.view_organisation"], branches=[a])
    token_b, _ = make_token(users["engineer_b"], permissions=["identity.view_organisation"], branches=[b])
    api_world.targets = {
        "branch": {"A": a.pk, "B": b.pk},
        "user": {"A": users["onsite_engineer"].pk, "B": users["engineer_b"].pk},
        "approval": {"A": grant_a.pk, "B": grant_b.pk},
        "token": {"A": token_a.pk, "B": token_b.pk},
        "event": {
            "A": AuditEvent.objects.filter(branch_id=a.pk).order_by("seq").values_list("seq", flat=True)[0],
            "B": AuditEvent.objects.filter(branch_id=b.pk).order_by("seq").values_list("seq", flat=True)[0],
        },
    }
    from tests.api.matrix import extensions

    for extension in extensions():  # each app's objects at branch A and B
        api_world.targets.update(extension.build_targets(api_world))
    # A bearer token per principal carrying all of its owner's permissions and scope.
    for name, user in api_world.principals.items():
        _, secret = make_token(
            user,
            permissions=sorted(user.permission_codes()),
            branches=[] if user.institution_wide else [user.home_branch],
            all_branches=user.institution_wide,
            name=f"matrix-{name}",
        )
        api_world.token_secrets[name] = secret
        api_world.session_keys[name] = session_client(user).cookies[settings.SESSION_COOKIE_NAME].value
    return api_world


@pytest.fixture(scope="module")
def api_world(django_db_setup: None, django_db_blocker: Any) -> Any:
    """Built once per module inside a transaction that is rolled back when the module ends."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield _build(make_world())
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    # Rate-limit counters live in the cache, which no database rollback resets.
    cache.clear()


# Building a handler loads the middleware, and WhiteNoise then indexes every static file: share one
# handler per CSRF mode instead of paying that on every request of a thousand-case matrix.
_HANDLERS = {flag: ClientHandler(enforce_csrf_checks=flag) for flag in (False, True)}


def _client(*, enforce_csrf: bool = False, headers: dict[str, str] | None = None) -> Client:
    client = Client(enforce_csrf_checks=enforce_csrf, headers=headers)
    client.handler = _HANDLERS[enforce_csrf]
    return client


def session_client(user: User, *, enforce_csrf: bool = False) -> Client:
    """A console session that passed MFA, as the login view leaves it."""
    client = _client(enforce_csrf=enforce_csrf)
    client.force_login(user)
    session = client.session
    session[SESSION_MFA] = True
    session[SESSION_STARTED] = time.time()
    session.save()
    return client


def bearer_client(secret: str) -> Client:
    return _client(headers={"Authorization": f"Bearer {secret}"})


class GatewayClientHandler(ClientHandler):
    """Django's test handler behind the decision gateway, as gunicorn calls ``bastion.wsgi.application``.

    Like Django's own test handler, it keeps the test's database connection open across the request
    signals (the test runs inside a transaction).
    """

    def __init__(self) -> None:
        from bastion.risk.gateway import DecisionGateway

        super().__init__(enforce_csrf_checks=False)
        self.gateway = DecisionGateway(django_app=lambda environ, start_response: [])

    def __call__(self, environ: dict[str, Any]) -> Any:
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            response = self.gateway.answer(environ)
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)
        if response is None:
            return super().__call__(environ)
        response.wsgi_request = WSGIRequest(environ)
        return response


_GATEWAY_HANDLER: list[GatewayClientHandler] = []


def gateway_client(secret: str) -> Client:
    """A bearer client whose decision calls take the gateway's lane (``bastion.risk.gateway``)."""
    if not _GATEWAY_HANDLER:
        _GATEWAY_HANDLER.append(GatewayClientHandler())
    client = Client(headers={"Authorization": f"Bearer {secret}"})
    client.handler = _GATEWAY_HANDLER[0]
    return client


def anonymous_client(*, enforce_csrf: bool = False) -> Client:
    return _client(enforce_csrf=enforce_csrf)


def call(client: Client, method: str, path: str, body: Any = None) -> Any:
    """Send ``body`` as JSON (for write methods) and return the response."""
    kwargs: dict[str, Any] = {}
    if body is not None:
        kwargs = {"data": json.dumps(body), "content_type": "application/json"}
    return getattr(client, method.lower())(path, **kwargs)


def assert_error_shape(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "fields"}, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    if code is not None:
        assert body["error"]["code"] == code, body
    return body["error"]


def count_rows() -> dict[str, int]:
    """Row counts that a refused write must leave untouched."""
    return {
        "users": User.objects.count(),
        "approvals": ApprovalRequest.objects.count(),
        "tokens": ApiToken.objects.count(),
        "audit": AuditEvent.objects.count(),
        "teams": Team.objects.count(),
    }

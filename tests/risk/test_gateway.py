"""The decision gateway: which requests it answers, and that it answers them as the API does.

``tests/risk/test_api.py`` runs every Decision API test through both lanes; these tests cover what
only the gateway does: the WSGI entry point, the choice of lane, headers, metrics, languages and
the bearer failure budget.
"""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.test import override_settings

from bastion.platform.metrics import REQUESTS
from bastion.risk.gateway import BATCH, SINGLE, DecisionGateway
from bastion.risk.models import Decision
from tests.api.conftest import assert_error_shape, call, gateway_client, make_token
from tests.factories import World
from tests.risk.helpers import payment


def environ(
    path: str = SINGLE, *, method: str = "POST", body: Any = None, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    raw = json.dumps(body).encode() if body is not None else b""
    env = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(raw)),
        "wsgi.input": io.BytesIO(raw),
        "wsgi.url_scheme": "http",
    }
    for name, value in (headers or {}).items():
        env["HTTP_" + name.upper().replace("-", "_")] = value
    return env


def secret_for(world: World) -> str:
    _, secret = make_token(
        world.users["admin_hq"], permissions=["risk.submit_payment"], all_branches=True, name="payments"
    )
    return secret


@pytest.mark.django_db(transaction=True)
def test_the_wsgi_entry_point_answers_a_payment_system_in_the_gateway(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bastion.wsgi import application

    def not_django(environ: Any, start_response: Any) -> Any:
        raise AssertionError("a bearer decision call reached Django's stack")

    monkeypatch.setattr(application, "django_app", not_django)
    seen: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        seen["status"], seen["headers"] = status, dict(headers)

    headers = {"Authorization": f"Bearer {secret_for(world)}", "X-Request-ID": "pay-gw-12345678"}
    body = b"".join(application(environ(body=payment(1), headers=headers), start_response))
    assert seen["status"] == "200 OK"
    assert seen["headers"]["X-Request-ID"] == "pay-gw-12345678"
    assert seen["headers"]["X-Content-Type-Options"] == "nosniff"
    assert seen["headers"]["Content-Type"].startswith("application/json")
    decision = json.loads(body)
    assert decision["payment_id"] == "PAY-00000001" and decision["level_zh"] == "正常"
    assert Decision.objects.get(payment__payment_id="PAY-00000001").action == decision["action"]


@pytest.mark.parametrize(
    ("path", "method", "headers"),
    [
        (SINGLE, "GET", {"Authorization": "Bearer bst_a_b"}),  # the decision list: Django
        (SINGLE, "POST", {}),  # a console session (or nobody): Django, with CSRF
        (SINGLE, "POST", {"Authorization": "Basic dXNlcjpwYXNz"}),
        (SINGLE + "/", "POST", {"Authorization": "Bearer bst_a_b"}),
        ("/api/v1/risk/lists", "POST", {"Authorization": "Bearer bst_a_b"}),
        (BATCH + "x", "POST", {"Authorization": "Bearer bst_a_b"}),
    ],
)
def test_every_other_request_goes_to_django(path: str, method: str, headers: dict[str, str]) -> None:
    gateway = DecisionGateway(django_app=lambda environ, start_response: [b"django"])
    assert gateway.answer(environ(path, method=method, headers=headers)) is None
    assert b"".join(gateway(environ(path, method=method, headers=headers), lambda *a: None)) == b"django"


@pytest.mark.django_db
def test_gateway_requests_count_under_the_api_route(world: World) -> None:
    route = DecisionGateway(django_app=lambda e, s: []).routes[SINGLE]
    assert route == "api/v1/risk/decisions"  # the label Django's resolver gives the ninja operation
    before = REQUESTS.labels("POST", route, "200")._value.get()
    assert call(gateway_client(secret_for(world)), "POST", SINGLE, payment(1)).status_code == 200
    assert REQUESTS.labels("POST", route, "200")._value.get() == before + 1


@pytest.mark.django_db
def test_errors_speak_the_callers_language(world: World) -> None:
    client = gateway_client(secret_for(world))
    bad = {key: value for key, value in payment(1).items() if key != "channel"}
    english = client.post(SINGLE, json.dumps(bad), content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
    chinese = client.post(SINGLE, json.dumps(bad), content_type="application/json")
    assert_error_shape(english, 422, "validation_error")
    assert english.json()["error"]["message"].startswith("Invalid input")
    assert chinese.json()["error"]["message"].startswith("输入无效")
    assert english.json()["error"]["fields"].keys() == {"channel"}
    assert not Decision.objects.exists()


@pytest.mark.django_db
@override_settings(BASTION_RATE_LIMIT_TOKEN_FAILURES="3/d")
def test_bad_tokens_spend_the_same_failure_budget(world: World) -> None:
    from django.core.cache import cache

    cache.clear()
    secret = secret_for(world)
    for _ in range(3):
        refused = call(gateway_client("bst_x_guess"), "POST", SINGLE, payment(1))
        assert_error_shape(refused, 401, "invalid_token")
        assert refused["WWW-Authenticate"] == 'Bearer realm="bastion"'
    assert_error_shape(call(gateway_client("bst_x_guess"), "POST", SINGLE, payment(1)), 429, "rate_limited")
    # Even the right token is refused from that address until the window passes, as on every API call.
    assert_error_shape(call(gateway_client(secret), "POST", SINGLE, payment(1)), 429, "rate_limited")
    assert not Decision.objects.exists()
    cache.clear()


@pytest.mark.django_db
def test_a_revoked_token_is_refused_at_once(world: World) -> None:
    token, secret = make_token(
        world.users["admin_hq"], permissions=["risk.submit_payment"], all_branches=True, name="payments"
    )
    client = gateway_client(secret)
    assert call(client, "POST", SINGLE, payment(1)).status_code == 200
    from django.utils import timezone

    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    assert_error_shape(call(client, "POST", SINGLE, payment(2)), 401, "invalid_token")
    assert Decision.objects.count() == 1


@pytest.mark.django_db
def test_both_lanes_give_equal_bodies(world: World) -> None:
    from tests.api.conftest import bearer_client

    secret = secret_for(world)
    fresh = call(gateway_client(secret), "POST", SINGLE, payment(1, channel="cash", amount="60000.00"))
    replayed = call(bearer_client(secret), "POST", SINGLE, payment(1, channel="cash", amount="60000.00"))
    assert fresh.status_code == replayed.status_code == 200
    assert replayed["Idempotent-Replayed"] == "true"
    assert fresh.json() == replayed.json()  # the ninja lane validates its body against DecisionOut
    batch = [payment(2), payment(1, channel="cash", amount="60000.00"), payment(1, amount="1.00")]
    through_gateway = call(gateway_client(secret), "POST", BATCH, {"payments": batch}).json()["results"]
    through_django = call(bearer_client(secret), "POST", BATCH, {"payments": batch}).json()["results"]
    assert [r["status"] for r in through_gateway] == ["decided", "replayed", "conflict"]
    assert [r["status"] for r in through_django] == ["replayed", "replayed", "conflict"]
    for fresh_item, replayed_item in zip(through_gateway, through_django, strict=True):
        assert fresh_item["decision"] == replayed_item["decision"]
        assert fresh_item["error"] == replayed_item["error"]


@pytest.mark.django_db(transaction=True)  # the request signals close connections, as in production
def test_an_unknown_host_is_refused_before_anything_is_read() -> None:
    gateway = DecisionGateway(django_app=lambda environ, start_response: [])
    request = environ(body=payment(1), headers={"Authorization": "Bearer bst_a_b", "Host": "evil.example"})
    response = gateway.answer(request)
    assert response is not None and response.status_code == 400
    assert json.loads(response.content)["error"]["code"] == "bad_request"


@pytest.mark.django_db(transaction=True)  # the request signals close connections, as in production
def test_plain_http_is_redirected_when_the_site_requires_https() -> None:
    with override_settings(SECURE_SSL_REDIRECT=True):
        gateway = DecisionGateway(django_app=lambda environ, start_response: [])
        response = gateway.answer(environ(body=payment(1), headers={"Authorization": "Bearer bst_a_b"}))
    assert response is not None and response.status_code == 301
    assert response["Location"].startswith("https://testserver/api/v1/risk/decisions")

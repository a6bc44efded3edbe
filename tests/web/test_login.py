"""Console sign-in: password, then TOTP or a recovery code, first enrolment, lockout, rate limits."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from django.test import Client, override_settings

from bastion.audit.models import AuditEvent
from bastion.identity import actions
from bastion.identity.models import User
from bastion.web.views.auth import PENDING_AT, PENDING_USER
from tests.factories import PASSWORD, make_user, totp_now

pytestmark = pytest.mark.django_db


def english_client() -> Client:
    client = Client()
    client.cookies["bastion_language"] = "en"
    return client


def password_step(client: Client, username: str, password: str = PASSWORD, **extra: str):
    return client.post("/login/", {"username": username, "password": password, **extra})


def signed_in_user_id(client: Client) -> str | None:
    return client.session.get("_auth_user_id")


def test_password_then_totp_signs_in(world):
    user = world.users["admin_hq"]
    client = english_client()
    response = password_step(client, "admin_hq")
    assert response.status_code == 302
    assert response["Location"] == "/login/verify/"
    # Half-authenticated: no Django login yet, and the console refuses to open.
    assert signed_in_user_id(client) is None
    assert client.get("/").status_code == 302

    response = client.post("/login/verify/", {"code": totp_now(user)})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert signed_in_user_id(client) == str(user.pk)
    assert client.session["mfa_verified"] is True
    assert abs(client.session["bastion_session_started"] - time.time()) < 60
    assert PENDING_USER not in client.session
    home = client.get("/")
    assert home.status_code == 200
    assert "Welcome, admin_hq" in home.content.decode()
    event = AuditEvent.objects.filter(action="identity.login_succeeded").last()
    assert event is not None and event.extra == {"method": "totp"}


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(world):
    client = english_client()
    response = password_step(client, "admin_hq", "not-the-password")
    assert response.status_code == 200
    assert "The user name or password is wrong." in response.content.decode()
    assert User.objects.get(username="admin_hq").failed_login_count == 1
    unknown = password_step(client, "nobody", "whatever")
    assert "The user name or password is wrong." in unknown.content.decode()


@override_settings(BASTION_LOCKOUT_THRESHOLD=3)
def test_lockout_after_threshold_with_a_clear_message(world):
    client = english_client()
    for _attempt in range(2):
        assert "password is wrong" in password_step(client, "admin_hq", "bad").content.decode()
    locked = password_step(client, "admin_hq", "bad").content.decode()
    assert "This account is locked after too many failed sign-ins" in locked
    # Even the right password is refused while the lock lasts.
    again = password_step(client, "admin_hq").content.decode()
    assert "This account is locked" in again
    assert signed_in_user_id(client) is None
    assert AuditEvent.objects.filter(action="identity.user_locked").count() == 1


@override_settings(BASTION_LOCKOUT_THRESHOLD=3)
def test_wrong_second_factor_counts_towards_lockout(world):
    client = english_client()
    password_step(client, "admin_hq")
    for _attempt in range(2):
        response = client.post("/login/verify/", {"code": "000000"})
        assert "That code is not valid" in response.content.decode()
    response = client.post("/login/verify/", {"code": "000000"}, follow=True)
    assert response.redirect_chain[-1][0] == "/login/"
    assert "This account is locked" in response.content.decode()
    assert User.objects.get(username="admin_hq").is_locked()


def test_recovery_code_signs_in_once(world):
    user = world.users["admin_hq"]
    codes = actions.do_regenerate_recovery_codes(user=user, code=totp_now(user))
    client = english_client()
    password_step(client, "admin_hq")
    response = client.post("/login/verify/", {"code": codes[0]}, follow=True)
    assert signed_in_user_id(client) == str(user.pk)
    assert "recovery code" in response.content.decode()

    second = english_client()
    password_step(second, "admin_hq")
    reused = second.post("/login/verify/", {"code": codes[0]})
    assert "That code is not valid" in reused.content.decode()
    assert signed_in_user_id(second) is None


def test_totp_code_cannot_be_replayed(world):
    user = world.users["admin_hq"]
    code = totp_now(user)
    first = english_client()
    password_step(first, "admin_hq")
    first.post("/login/verify/", {"code": code})
    assert signed_in_user_id(first) == str(user.pk)
    second = english_client()
    password_step(second, "admin_hq")
    second.post("/login/verify/", {"code": code})
    assert signed_in_user_id(second) is None


def test_privileged_user_without_mfa_enrols_and_sees_recovery_codes_once(world):
    user = make_user("new_admin", roles=["administrator"], institution_wide=True, mfa=False)
    client = english_client()
    response = password_step(client, "new_admin")
    assert response["Location"] == "/login/enrol/"
    page = client.get("/login/enrol/").content.decode()
    assert '<svg class="qr"' in page
    user.refresh_from_db()
    secret = user.totp_secret
    assert re.sub(r"\s", "", re.search(r"<code>([A-Z2-7 ]+)</code>", page).group(1)) == secret
    # Reloading the page keeps the same secret (the app may already hold it).
    client.get("/login/enrol/")
    user.refresh_from_db()
    assert user.totp_secret == secret

    wrong = client.post("/login/enrol/", {"code": "123456"})
    assert "That code is not valid" in wrong.content.decode()
    assert signed_in_user_id(client) is None

    done = client.post("/login/enrol/", {"code": pyotp.TOTP(secret).now()})
    body = done.content.decode()
    assert done.status_code == 200
    assert "Your recovery codes" in body
    assert len(re.findall(r"<li><code>[0-9a-f]{8}-[0-9a-f]{8}</code></li>", body)) == 10
    assert signed_in_user_id(client) == str(user.pk)
    assert client.session["mfa_verified"] is True
    user.refresh_from_db()
    assert user.mfa_enrolled


def test_unprivileged_user_without_mfa_signs_in_with_password(world):
    make_user("clerk", roles=["customer_service_agent"], branch=world.branch_a, mfa=False)
    client = english_client()
    response = password_step(client, "clerk")
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200
    assert client.session["mfa_verified"] is False


def test_half_authenticated_session_expires(world):
    client = english_client()
    password_step(client, "admin_hq")
    session = client.session
    session[PENDING_AT] = time.time() - 3600
    session.save()
    response = client.post("/login/verify/", {"code": totp_now(world.users["admin_hq"])}, follow=True)
    assert response.redirect_chain[-1][0] == "/login/"
    assert "Your sign-in has expired" in response.content.decode()
    assert signed_in_user_id(client) is None


def test_second_step_without_first_goes_back_to_login(world):
    client = english_client()
    assert client.get("/login/verify/")["Location"] == "/login/"
    assert client.get("/login/enrol/")["Location"] == "/login/"


@override_settings(BASTION_RATE_LIMIT_LOGIN="3/d")
def test_login_posts_are_rate_limited(world):
    client = english_client()
    for _attempt in range(3):
        assert password_step(client, "nobody", "x").status_code == 200
    limited = password_step(client, "admin_hq")
    assert limited.status_code == 429
    assert "Too many sign-in attempts" in limited.content.decode()
    assert "_auth_user_id" not in client.session


@override_settings(BASTION_RATE_LIMIT_LOGIN="2/d")
def test_mfa_posts_are_rate_limited(world):
    client = english_client()
    password_step(client, "admin_hq")
    for _attempt in range(2):
        client.post("/login/verify/", {"code": "000000"})
    limited = client.post("/login/verify/", {"code": totp_now(world.users["admin_hq"])})
    assert limited.status_code == 429
    assert signed_in_user_id(client) is None


def test_next_is_followed_only_within_the_site(world):
    user = world.users["auditor_hq"]
    client = english_client()
    password_step(client, "auditor_hq", next="/audit/")
    assert client.post("/login/verify/", {"code": totp_now(user)})["Location"] == "/audit/"
    other = english_client()
    password_step(other, "auditor_hq", next="https://evil.example/")
    assert other.post("/login/verify/", {"code": totp_now(user, offset_steps=1)})["Location"] == "/"


def test_logout_needs_post(world):
    user = world.users["admin_hq"]
    client = english_client()
    password_step(client, "admin_hq")
    client.post("/login/verify/", {"code": totp_now(user)})
    assert client.get("/logout/").status_code == 405
    response = client.post("/logout/", follow=True)
    assert response.redirect_chain[-1][0] == "/login/"
    assert signed_in_user_id(client) is None
    assert client.get("/")["Location"].startswith("/login/")
    from bastion.audit.models import AuditEvent

    assert AuditEvent.objects.filter(action="identity.logout", actor_id=user.pk).exists()


def test_preferred_language_is_applied_at_sign_in(world):
    user = world.users["admin_hq"]
    User.objects.filter(pk=user.pk).update(preferred_language="en")
    client = Client()
    password_step(client, "admin_hq")
    response = client.post("/login/verify/", {"code": totp_now(user)})
    assert response.cookies["bastion_language"].value == "en"

"""Layout, navigation, home page, language switch and the security headers of console pages."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from bastion.identity import actions
from tests.factories import make_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]


# The foundation's own sections; each app tests the sections it adds in its own tests.
FOUNDATION_SECTIONS = {"home", "approvals", "users", "roles", "tokens", "organisation", "audit"}


def nav_sections(html: str) -> set[str]:
    return set(re.findall(r'data-section="([a-z_]+)"', html)) & FOUNDATION_SECTIONS


@pytest.mark.parametrize(
    ("user", "expected"),
    [
        ("onsite_engineer", {"home", "approvals", "organisation"}),
        ("branch_manager", {"home", "approvals", "users", "roles", "organisation"}),
        ("admin_hq", {"home", "approvals", "users", "roles", "tokens", "organisation"}),
        ("auditor_hq", {"home", "approvals", "users", "roles", "audit", "organisation"}),
        ("compliance_hq", {"home", "approvals", "users", "roles", "audit", "organisation"}),
    ],
)
def test_navigation_shows_only_what_the_user_may_open(console, user, expected):
    html = console(user).get("/").content.decode()
    assert nav_sections(html) == expected


@pytest.mark.parametrize(
    ("user", "url", "status"),
    [
        ("onsite_engineer", "/users/", 403),
        ("onsite_engineer", "/roles/", 403),
        ("onsite_engineer", "/tokens/", 403),
        ("onsite_engineer", "/audit/", 403),
        ("admin_hq", "/audit/", 403),
        ("admin_hq", "/audit/chain/", 403),
        ("branch_manager", "/users/new/", 403),
        ("branch_manager", "/tokens/", 403),
        ("auditor_hq", "/users/new/", 403),
        ("auditor_hq", "/audit/", 200),
        ("branch_manager", "/users/", 200),
        ("onsite_engineer", "/approvals/", 200),
        ("onsite_engineer", "/account/", 200),
    ],
)
def test_pages_answer_by_permission(console, user, url, status):
    assert console(user).get(url).status_code == status


def test_anonymous_visitors_are_sent_to_sign_in(world):
    for url in ["/", "/approvals/", "/users/", "/audit/", "/tokens/", "/account/"]:
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/?next=")


def test_forbidden_page_explains_in_the_layout(console):
    response = console("onsite_engineer").get("/audit/")
    html = response.content.decode()
    assert "Your roles do not allow this page or action" in html
    assert 'data-section="home"' in html


def test_home_shows_pending_approvals_roles_scope_and_recent_events(console, world):
    target = world.users["onsite_engineer"]
    actions.do_request_role_grant(
        user_id=target.pk,
        role_code="remote_engineer",
        reason="covers remote desk",
        actor=world.users["admin_hq"],
    )
    html = console("compliance_hq").get("/").content.decode()
    assert re.search(r'id="tile-inbox">\s*<span class="tile-number">1</span>', html)
    assert "Compliance officer" in html
    assert "All branches of the institution" in html
    assert "Recent audit events" in html and "approval.submitted" in html

    engineer = console("onsite_engineer").get("/").content.decode()
    assert re.search(r'id="tile-inbox">\s*<span class="tile-number">0</span>', engineer)
    assert "上海浦东支行" in engineer
    assert "Recent audit events" not in engineer  # no audit permission, so no events


def test_home_counts_own_pending_requests(console, world):
    actions.do_request_role_grant(
        user_id=world.users["onsite_engineer"].pk,
        role_code="remote_engineer",
        reason="cover",
        actor=world.users["admin_hq"],
    )
    html = console("admin_hq").get("/").content.decode()
    assert re.search(r'id="tile-mine">\s*<span class="tile-number">1</span>', html)


def test_chinese_is_the_default_and_english_is_a_switch_away(world, console):
    client = console("admin_hq", language="zh-hans")
    client.cookies.pop("bastion_language")
    html = client.get("/users/").content.decode()
    assert '<html lang="zh-hans">' in html
    assert "用户" in html and "退出登录" in html
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/users/"})
    assert response.status_code == 302 and response["Location"] == "/users/"
    english = client.get("/users/").content.decode()
    assert '<html lang="en">' in english
    assert "Sign out" in english and "退出登录" not in english
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert "退出登录" in client.get("/").content.decode()


def test_login_page_is_chinese_by_default():
    html = Client().get("/login/").content.decode()
    assert "登录" in html
    assert 'name="language" value="en"' in html


def test_pages_carry_a_strict_csp_and_no_inline_script_or_style(console, world):
    client = console("admin_hq")
    for url in ["/", "/users/", f"/users/{world.users['onsite_engineer'].pk}/", "/tokens/", "/approvals/"]:
        response = client.get(url)
        csp = response["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "style-src 'self'" in csp
        html = response.content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), url
        assert "<style" not in html and " style=" not in html, url
        assert "/static/django_htmx/htmx-2.min.js" in html
        assert '"includeIndicatorStyles":false' in html


def test_breadcrumbs_and_pagination(console, world):
    for index in range(30):
        make_user(f"teller_{index:02d}", branch=world.branch_a, mfa=False)
    client = console("admin_hq")
    first = client.get("/users/").content.decode()
    assert 'class="breadcrumbs"' in first
    assert "Page 1 of 2" in first
    second = client.get("/users/?page=2").content.decode()
    assert "Page 2 of 2" in second
    assert client.get("/users/?page=abc").status_code == 200

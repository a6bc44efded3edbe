"""The in-app inbox through the console and the API: unread badge, mark read, preferences, delivery log."""

from __future__ import annotations

import pytest

from bastion.notify.actions import do_notify
from bastion.notify.models import ChannelPreference, Notification

pytestmark = pytest.mark.django_db


def _notify(user, subject="工单 WO-7 已派给您", **kwargs):
    kwargs.setdefault("channels", ["in_app"])
    return do_notify(
        recipients=[user], kind="servicedesk.assigned", subject=subject, body="请及时处理", **kwargs
    )


def test_header_shows_the_unread_count_and_the_inbox_lists_them(world, client_as):
    engineer = world.users["onsite_engineer"]
    _notify(engineer)
    _notify(engineer, subject="ATM 离线告警", link="/knowledge/")
    client = client_as("onsite_engineer", language="zh-hans")
    home = client.get("/").content.decode()
    assert 'id="inbox-link"' in home and '<span class="badge"' in home and ">2</span>" in home
    inbox = client.get("/notifications/").content.decode()
    assert "ATM 离线告警" in inbox and "全部标为已读" in inbox
    other = client_as("customer_service_agent").get("/").content.decode()
    assert 'class="badge"' not in other


def test_mark_one_read_with_htmx_and_open_its_link(world, client_as):
    engineer = world.users["onsite_engineer"]
    (first,) = _notify(engineer)
    (second,) = _notify(engineer, link="/knowledge/")
    client = client_as("onsite_engineer")
    fragment = client.post(f"/notifications/{first.pk}/read/", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "Mark read" not in fragment.content.decode()
    opened = client.post(f"/notifications/{second.pk}/read/", {"open": "1"})
    assert opened.status_code == 302 and opened["Location"] == "/knowledge/"
    assert not Notification.objects.filter(read_at__isnull=True).exists()
    badge = client.get("/notifications/badge/").content.decode()
    assert 'class="badge"' not in badge and ">Inbox</a>" in badge


def test_external_links_are_not_followed(world, client_as):
    (item,) = _notify(world.users["onsite_engineer"], link="https://evil.example/")
    response = client_as("onsite_engineer").post(f"/notifications/{item.pk}/read/", {"open": "1"})
    assert response["Location"] == "/notifications/"


def test_someone_elses_notification_is_404(world, client_as):
    (item,) = _notify(world.users["onsite_engineer"])
    assert client_as("remote_engineer").post(f"/notifications/{item.pk}/read/").status_code == 404
    assert client_as("remote_engineer").post(f"/api/v1/notifications/{item.pk}/read").status_code == 404


def test_preferences_page_saves_channels(world, client_as):
    client = client_as("onsite_engineer")
    response = client.post(
        "/notifications/preferences/", {"kind": "sla.breach", "channels": ["in_app", "sms"]}
    )
    assert response.status_code == 302
    pref = ChannelPreference.objects.get(user=world.users["onsite_engineer"], kind="sla.breach")
    assert pref.channels == ["in_app", "sms"]
    invalid = client.post("/notifications/preferences/", {"kind": "x"})
    assert invalid.status_code == 200 and "has-error" in invalid.content.decode()


def test_api_inbox_count_read_and_preferences(world, client_as):
    engineer = world.users["onsite_engineer"]
    _notify(engineer)
    (item,) = _notify(engineer, subject="second")
    client = client_as("onsite_engineer")
    assert client.get("/api/v1/notifications/unread-count").json() == {"unread": 2}
    listed = client.get("/api/v1/notifications", {"unread": "true"}).json()
    assert listed["total"] == 2 and listed["items"][0]["subject"] == "second"
    assert client.post(f"/api/v1/notifications/{item.pk}/read").json()["read_at"] is not None
    assert client.post("/api/v1/notifications/read-all").json() == {"marked": 1}
    put = client.put(
        "/api/v1/notifications/preferences",
        {"kind": "*", "channels": ["in_app"]},
        content_type="application/json",
    )
    assert put.json()["preferences"] == {"*": ["in_app"]}
    bad = client.put(
        "/api/v1/notifications/preferences",
        {"kind": "*", "channels": ["pigeon"]},
        content_type="application/json",
    )
    assert bad.status_code == 422 and "channels" in str(bad.json()["error"]["fields"])


def test_delivery_log_is_for_supervisors_and_scoped(world, client_as, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _notify(world.users["onsite_engineer"], channels=["dingtalk"])  # not configured: fails for good
        _notify(world.users["engineer_b"], subject="branch B only", channels=["dingtalk"])
    page = client_as("support_supervisor").get("/notifications/deliveries/").content.decode()
    assert "BASTION_NOTIFY_DINGTALK_WEBHOOK" in page and "branch B only" not in page
    assert "branch B only" in client_as("admin_hq").get("/notifications/deliveries/").content.decode()
    assert client_as("onsite_engineer").get("/notifications/deliveries/").status_code == 403
    api = client_as("support_supervisor").get("/api/v1/notifications/deliveries").json()
    assert api["total"] == 1 and api["items"][0]["status"] == "failed"

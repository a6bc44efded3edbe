"""Console pages of the devices app through the Django test client."""

from __future__ import annotations

import pytest

from bastion.devices.actions.alarms import TelemetryEvaluator
from bastion.devices.choices import DeviceClass
from bastion.devices.models import Alarm
from tests.devices.helpers import make_device
from tests.web.conftest import sign_in


@pytest.fixture
def console_client(world, client):
    def make(name: str, language: str = "en"):
        client.cookies["bastion_language"] = language
        return sign_in(client, world.users[name])

    return make


@pytest.fixture
def alarmed(world, clock):
    atm = make_device(world.branch_a, name="大堂取款机", asset_tag="ATM-PD-0001")
    make_device(world.branch_a, device_class=DeviceClass.POS, asset_tag="POS-PD-0001", name="柜面 POS")
    make_device(world.branch_b, asset_tag="ATM-HD-0001")
    ev = TelemetryEvaluator()
    ev.process([(atm.pk, {"device_id": atm.pk, "printer": "fault", "temperature": 30})])
    clock.advance(minutes=2)
    ev.process([(atm.pk, {"device_id": atm.pk, "printer": "ok", "temperature": 33})])
    clock.advance(minutes=2)
    ev.process([(atm.pk, {"device_id": atm.pk, "card_reader": "fault", "temperature": 34})])
    return atm


def test_device_list_health_filters_and_scope(console_client, alarmed):
    client = console_client("onsite_engineer")
    page = client.get("/devices/").content.decode()
    assert "ATM-PD-0001" in page and "POS-PD-0001" in page and "ATM-HD-0001" not in page
    assert "1 alarm" in page and "Healthy" in page
    only = client.get("/devices/", {"alarm": "yes"}, headers={"HX-Request": "true"}).content.decode()
    assert "ATM-PD-0001" in only and "POS-PD-0001" not in only and "<html" not in only


def test_device_page_shows_alarm_history_lifecycle_and_charts(console_client, alarmed, world):
    client = console_client("onsite_engineer")
    page = client.get(f"/devices/{alarmed.pk}/").content.decode()
    assert "CARD_READER_FAULT" in page and "PRINTER_FAULT" in page  # open alarm and history
    assert f"/devices/{alarmed.pk}/charts/temperature.svg" in page
    chart = client.get(f"/devices/{alarmed.pk}/charts/temperature.svg")
    assert chart["Content-Type"].startswith("image/svg+xml")
    svg = chart.content.decode()
    assert svg.lstrip().startswith("<?xml") and "<text" in svg  # text stays text (svg.fonttype none)
    assert "'unsafe-inline'" in chart["Content-Security-Policy"]
    assert "unsafe-inline" not in client.get(f"/devices/{alarmed.pk}/")["Content-Security-Policy"]
    zh = (
        console_client("onsite_engineer", "zh-hans")
        .get(f"/devices/{alarmed.pk}/charts/cash.svg")
        .content.decode()
    )
    assert "钞箱余量" in zh
    other = make_device(world.branch_b, asset_tag="ATM-HD-0002")
    assert client.get(f"/devices/{other.pk}/").status_code == 404
    assert client.get(f"/devices/{other.pk}/charts/temperature.svg").status_code == 404


def test_alarm_console_and_clear(console_client, alarmed):
    client = console_client("onsite_engineer")
    page = client.get("/devices/alarms/").content.decode()
    assert "CARD_READER_FAULT" in page and "PRINTER_FAULT" not in page  # standing only by default
    assert "PRINTER_FAULT" in client.get("/devices/alarms/", {"state": "all"}).content.decode()
    alarm = Alarm.objects.get(fault_code="CARD_READER_FAULT")
    response = client.post(f"/devices/alarms/{alarm.pk}/clear/", {"reason": "现场复位读卡器"})
    assert response.status_code == 302
    alarm.refresh_from_db()
    assert alarm.state == "cleared" and alarm.cleared_by.username.startswith("onsite_engineer")


def test_pages_need_permission(console_client, alarmed):
    client = console_client("aml_officer")
    assert client.get("/devices/").status_code == 403
    assert client.get("/devices/alarms/").status_code == 403
    auditor = console_client("auditor")
    assert auditor.get("/devices/replacement/").status_code == 200
    alarm = Alarm.objects.filter(state="open").first()
    assert auditor.post(f"/devices/alarms/{alarm.pk}/clear/", {"reason": "x"}).status_code == 403

"""Watch-list screening and typology tuning in the console, through the Django test client (zh and en)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils.html import escape

from bastion.aml.models import Alert, Customer, ScreeningHit, TypologySettings, WatchList, WatchListEntry
from bastion.aml.services.screening import lists_changed
from tests.factories import World
from tests.web.conftest import sign_in

pytestmark = pytest.mark.django_db

INTERNAL_CSV = (
    "id,type,name,aliases,date_of_birth,nationality,category\n"
    "I-1,person,张伟,Zhang Wei,1988-03-07,CHN,internal\n"
    "I-2,organisation,金龙贸易有限公司,Golden Dragon Trading,,CHN,internal\n"
)
BAD_CSV = "id,type,name\nI-1,person,张伟\nI-2,spaceship,李娜\n"


@pytest.fixture
def console(world: World) -> Any:
    def make(user: Any, *, language: str = "zh-hans") -> Client:
        client = Client(headers={"accept-language": language})
        client.cookies["bastion_language"] = language
        return sign_in(client, user)

    return make


def text(response: Any) -> str:
    assert response.status_code == 200, response.status_code
    return str(response.content.decode())


def upload(client: Client, code: str, content: str, *, fmt: str = "csv", replace: bool = False) -> str:
    data: dict[str, Any] = {"file": SimpleUploadedFile(f"{code}.{fmt}", content.encode()), "format": fmt}
    if replace:
        data["replace"] = "on"
    page = text(client.post(f"/aml/watch-lists/{code}/import/", data, follow=True))
    lists_changed()  # the test transaction never commits: rebuild the index at the next screening
    return page


def make_list(client: Client, code: str = "internal", kind: str = "internal") -> str:
    return text(
        client.post("/aml/watch-lists/", {"code": code, "name": "内部关注名单", "kind": kind}, follow=True)
    )


def onboard(client: Client, world: World, name: str = "张伟", number: str = "C610001") -> str:
    return text(client.post("/aml/customers/new/", {
        "customer_no": number, "kind": "natural_person", "branch": world.branch_a.pk, "name": name,
        "id_type": "resident_id", "id_number": "310101198803071234", "date_of_birth": "1988-03-07",
        "nationality": "CHN",
    }, follow=True))  # fmt: skip


def test_create_list_and_import_an_uploaded_csv(world: World, console: Any) -> None:
    officer = console(world.users["aml_officer"])
    created = make_list(officer)
    assert "内部关注名单" in created and 'class="message success"' in created
    page = upload(officer, "internal", INTERNAL_CSV)
    assert "新增 2" in page and 'id="active-count">2<' in page and "Golden Dragon Trading" in page
    assert WatchList.objects.get().revision == 1
    again = upload(officer, "internal", INTERNAL_CSV.splitlines()[0] + "\n" + INTERNAL_CSV.splitlines()[1] + "\n",
                   replace=True)  # fmt: skip
    assert "停用 1" in again and WatchListEntry.objects.filter(active=True).count() == 1
    search = text(officer.get("/aml/watch-lists/internal/?q=张"))
    assert "I-1" in search
    lists = text(console(world.users["aml_officer"], language="en").get("/aml/watch-lists/"))
    assert "Internal watch list" in lists and 'id="list-internal"' in lists
    duplicate = make_list(officer)
    assert "errorlist" in duplicate or 'class="error"' in duplicate


def test_a_bad_file_names_the_line_and_changes_nothing(world: World, console: Any) -> None:
    officer = console(world.users["aml_officer"])
    make_list(officer)
    page = upload(officer, "internal", BAD_CSV)
    assert 'class="message error"' in page and "line 3" in page
    assert not WatchListEntry.objects.exists() and WatchList.objects.get().revision == 0
    xml = upload(officer, "internal", "<watchlist><entry", fmt="xml")
    assert 'class="message error"' in xml


def test_onboarding_hit_listed_then_dismissed_with_reasons(world: World, console: Any) -> None:
    officer = console(world.users["aml_officer"])
    make_list(officer)
    upload(officer, "internal", INTERNAL_CSV)
    customer_page = onboard(officer, world)
    hit = ScreeningHit.objects.get()
    assert f'id="customer-hit-{hit.pk}"' in customer_page and 'id="screen-button"' in customer_page
    listed = text(officer.get("/aml/screening/"))
    assert f'id="hit-{hit.pk}"' in listed and escape(hit.explanation_zh) in listed and "名单筛查" in listed
    english = text(console(world.users["aml_officer"], language="en").get("/aml/screening/"))
    assert escape(hit.explanation_en) in english and escape(hit.explanation_zh) not in english
    detail = text(officer.get(f"/aml/screening/{hit.pk}/"))
    assert "Zhang Wei" in detail and "1988-03-07" in detail and 'id="decide-button"' in detail
    refused = text(officer.post(f"/aml/screening/{hit.pk}/decide/", {"status": "dismissed", "reason": ""},
                                follow=True))  # fmt: skip
    assert 'class="message error"' in refused and ScreeningHit.objects.get().status == "open"
    done = text(officer.post(f"/aml/screening/{hit.pk}/decide/",
                             {"status": "dismissed", "reason": "出生日期与证件不符，非同一人"}, follow=True))  # fmt: skip
    assert ScreeningHit.objects.get().status == "dismissed"
    assert 'id="hit-reason">出生日期与证件不符，非同一人<' in done and 'id="decide-button"' not in done
    assert f'id="hit-{hit.pk}"' not in text(officer.get("/aml/screening/"))  # open only, by default
    assert f'id="hit-{hit.pk}"' in text(officer.get("/aml/screening/?status=dismissed"))
    again = text(officer.post(f"/aml/customers/{Customer.objects.get().pk}/screen/", follow=True))
    assert 'class="message success"' in again and ScreeningHit.objects.count() == 1  # no duplicate hit


def test_confirming_raises_an_alert_and_compliance_only_reads(world: World, console: Any) -> None:
    officer = console(world.users["aml_officer"])
    make_list(officer)
    upload(officer, "internal", INTERNAL_CSV)
    onboard(officer, world)
    hit = ScreeningHit.objects.get()
    compliance = console(world.users["compliance_hq"])
    page = text(compliance.get(f"/aml/screening/{hit.pk}/"))
    assert "张伟" in page and 'id="decide-button"' not in page
    assert 'id="screen-name"' not in text(compliance.get("/aml/screening/"))
    forbidden = compliance.post(f"/aml/screening/{hit.pk}/decide/", {"status": "confirmed", "reason": "x"})
    assert forbidden.status_code == 403 and ScreeningHit.objects.get().status == "open"
    assert compliance.post("/aml/watch-lists/", {"code": "x", "name": "x", "kind": "pep"}).status_code == 403
    confirmed = text(officer.post(f"/aml/screening/{hit.pk}/decide/",
                                  {"status": "confirmed", "reason": "证件号码一致"}, follow=True))  # fmt: skip
    alert = Alert.objects.get()
    assert f"/aml/alerts/{alert.pk}/" in confirmed and ScreeningHit.objects.get().alert == alert


def test_terrorist_hit_shows_escalated(world: World, console: Any) -> None:
    officer = console(world.users["aml_officer"])
    make_list(officer, "terror", "terrorist")
    upload(officer, "terror", "id,type,name,aliases\nT-1,person,张伟,Zhang Wei\n")
    onboard(officer, world)
    hit = ScreeningHit.objects.get()
    assert hit.escalated and hit.alert is not None
    row = text(officer.get("/aml/screening/")).split(f'id="hit-{hit.pk}"')[1].split("</tr>")[0]
    assert "status-red" in row and "已上报" in row


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_screen_a_name_shows_hits_without_storing(world: World, console: Any, language: str) -> None:
    officer = console(world.users["aml_officer"], language=language)
    make_list(officer)
    upload(officer, "internal", INTERNAL_CSV)
    page = text(officer.get("/aml/screening/", {"name": "Zhang Wei", "entry_type": ""}))
    results = page.split('id="screen-results"')[1].split("</table>")[0]
    assert "I-1" in results and "Zhang Wei" in results and not ScreeningHit.objects.exists()
    nothing = text(officer.get("/aml/screening/", {"name": "Olga Petrova"}))
    assert "I-1" not in nothing.split('id="screen-results"')[1].split("</table>")[0]


def test_typology_settings_update_and_refusal_naming_the_parameter(world: World, console: Any) -> None:
    officer = console(world.users["aml_officer"])
    page = text(officer.get("/aml/typologies/"))
    assert 'name="structuring.band"' in page and "大额报告标准" in page  # bilingual meaning of each parameter
    bad = text(officer.post("/aml/typologies/", {"structuring.band": "1.5", "note": "收紧", "enabled_shown": "1",
                                                "enabled.structuring": "on"}))  # fmt: skip
    assert "structuring.band" in bad and 'class="message error"' in bad and 'value="1.5"' in bad
    assert not TypologySettings.objects.exists()
    words = text(officer.post("/aml/typologies/", {"fan_in.window": "soon", "note": "x"}))
    assert "fan_in.window" in words and not TypologySettings.objects.exists()
    saved = text(officer.post("/aml/typologies/", {"structuring.band": "0.05", "structuring.window": "5d",
                                                  "fan_in.min_counterparties": "10", "note": "按季度复核收紧"},
                              follow=True))  # fmt: skip
    settings = TypologySettings.objects.get()
    assert settings.params == {"structuring": {"band": 0.05, "window": "5d"}} and "按季度复核收紧" in saved
    english = text(console(world.users["compliance_hq"], language="en").get("/aml/typologies/"))
    assert "Version 1" in english and 'name="structuring.band"' not in english  # compliance reads only
    assert console(world.users["compliance_hq"]).post("/aml/typologies/", {"note": "x"}).status_code == 403


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_backtest_renders_table_and_chart(world: World, console: Any, language: str) -> None:
    officer = console(world.users["aml_officer"], language=language)
    page = text(officer.post("/aml/typologies/backtest/", {"start": "2026-11-01", "end": "2026-11-30",
                                                           "structuring.band": "0.2", "enabled_shown": "1",
                                                           "enabled.structuring": "on"}))  # fmt: skip
    assert 'id="backtest-table"' in page and 'src="data:image/svg+xml;base64,' in page
    assert 'value="0.2"' in page and not TypologySettings.objects.exists()
    too_long = text(officer.post("/aml/typologies/backtest/", {"start": "2026-01-01", "end": "2026-11-30"}))
    assert 'class="message error"' in too_long and 'id="backtest-table"' not in too_long


def test_every_new_page_renders_in_english(world: World, console: Any) -> None:
    officer = console(world.users["aml_officer"])
    make_list(officer)
    upload(officer, "internal", INTERNAL_CSV)
    onboard(officer, world)
    hit = ScreeningHit.objects.get()
    client = console(world.users["aml_officer"], language="en")
    for url in ["/aml/screening/", f"/aml/screening/{hit.pk}/", "/aml/watch-lists/", "/aml/watch-lists/internal/",
                "/aml/typologies/", f"/aml/customers/{hit.customer_id}/"]:  # fmt: skip
        page = text(client.get(url))
        assert "<h1>" in page, url

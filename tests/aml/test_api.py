"""The AML API end to end: KYC with masking and rating, large-value reports, alerts, cases and STRs."""

from __future__ import annotations

import datetime as dt
from typing import Any
from xml.etree import ElementTree as ET

import pytest

from bastion.aml.actions.cases import do_raise_alert
from bastion.aml.models import Alert, Case, Customer, SuspiciousReport
from bastion.audit.models import AuditEvent
from tests.aml.helpers import at, make_customer, store_payment
from tests.api.conftest import assert_error_shape, call, session_client
from tests.factories import World, make_user

pytestmark = pytest.mark.django_db
CUSTOMERS = "/api/v1/aml/customers"


@pytest.fixture
def officer(world: World) -> Any:
    return session_client(world.users["aml_officer"])


@pytest.fixture
def checker(world: World) -> Any:
    second = make_user("aml_checker", roles=["aml_officer"], branch=world.branch_a)
    return session_client(second)


def onboard(client: Any, world: World, **changes: Any) -> Any:
    body = {
        "customer_no": "C610001", "kind": "natural_person", "branch_id": world.branch_a.pk, "name": "张伟",
        "name_en": "ZHANG Wei", "id_type": "resident_id", "id_number": "310101198803071234",
        "date_of_birth": "1988-03-07", "phone": "13812345678", "address": "上海市浦东新区世纪大道100号",
        "occupation": "teacher", "expected_monthly_amount": "30000.00",
    } | changes  # fmt: skip
    return call(client, "POST", CUSTOMERS, body)


def test_onboarding_rates_and_masks(world: World, officer: Any) -> None:
    response = onboard(officer, world)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "张伟" and body["id_number"] == "310101198803071234"  # officers see clear, audited
    assert body["risk_rating"] == "low" and body["next_review_on"]
    assert AuditEvent.objects.filter(action="read.pii.record").exists()
    stored = Customer.objects.get(customer_no="C610001")
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT name, id_number FROM aml_customer WHERE id = %s", [stored.pk])
        raw_name, raw_id = cursor.fetchone()
    assert "张伟" not in raw_name and "1234" not in raw_id  # encrypted at rest
    manager = session_client(world.users["branch_manager"])
    seen = call(manager, "GET", f"{CUSTOMERS}/{stored.pk}").json()
    assert seen["id_number"] == "310***********1234" and seen["name"] == "张*"


def test_pep_is_high_risk_and_reviewed_in_six_months(world: World, officer: Any) -> None:
    body = onboard(officer, world, is_pep=True).json()
    assert body["risk_rating"] == "high"
    assert {f["code"] for f in body["risk_factors"]} == {"pep"}


def test_institution_without_beneficial_owner_then_identified(world: World, officer: Any) -> None:
    body = onboard(officer, world, customer_no="C700001", kind="institution", name="上海金龙贸易有限公司",
                   id_type="business_licence", id_number="91310000MA1FL1234X", occupation="precious_metals").json()  # fmt: skip
    assert body["risk_rating"] == "high"  # high-risk trade (30) + no beneficial owner (30)
    response = call(officer, "POST", f"{CUSTOMERS}/{body['id']}/beneficial-owners",
                    {"name": "李娜", "id_type": "resident_id", "id_number": "110101197001011234", "ownership_percent": "60"})  # fmt: skip
    assert response.status_code == 201, response.content
    assert response.json()["risk_rating"] == "medium"


def test_bad_customer_input_names_the_field(world: World, officer: Any) -> None:
    onboard(officer, world)
    cases = [
        ({"customer_no": "C610001"}, "customer_no"),
        ({"customer_no": "C610002", "nationality": "China"}, "nationality"),
        ({"customer_no": "C610003", "expected_monthly_amount": "-5"}, "expected_monthly_amount"),
        ({"customer_no": "C610004", "name": ""}, "name"),
        ({"customer_no": "C610005", "kind": "robot"}, "kind"),
    ]
    for changes, field in cases:
        response = onboard(officer, world, **changes)
        assert response.status_code in (400, 422), (changes, response.content)
        assert_error_shape(response, response.status_code)
        assert field in str(response.json()["error"]["fields"]), (field, response.json())
    assert Customer.objects.count() == 1


def test_branch_scope(world: World, officer: Any) -> None:
    onboard(officer, world)
    refused = onboard(officer, world, customer_no="C620001", branch_id=world.branch_b.pk)
    assert refused.status_code == 422 and "branch_id" in refused.json()["error"]["fields"]
    make_customer("C620001", branch=world.branch_b)
    listed = call(officer, "GET", CUSTOMERS).json()
    assert {c["customer_no"] for c in listed["items"]} == {"C610001"}
    other = Customer.objects.get(customer_no="C620001")
    assert call(officer, "GET", f"{CUSTOMERS}/{other.pk}").status_code == 404


def test_large_value_generate_review_submit_export(world: World, officer: Any, checker: Any) -> None:
    onboard(officer, world, customer_no="C100001")
    store_payment(when=at("2026-11-20"), amount="60000.00", channel="cash", business_type="deposit",
                  branch=world.branch_a)  # fmt: skip
    generated = call(officer, "POST", "/api/v1/aml/large-value-reports/generate", {"day": "2026-11-20"})
    assert generated.status_code == 200, generated.content
    (number,) = generated.json()["created"]
    listed = call(officer, "GET", "/api/v1/aml/large-value-reports?status=draft").json()["items"]
    assert [(r["number"], r["standard"], r["total"], r["due_on"]) for r in listed] == [
        (number, "cash", "60000.00", "2026-11-27")
    ]
    report_id = listed[0]["id"]
    early = call(officer, "POST", "/api/v1/aml/large-value-reports/submit", {"report_ids": [report_id]})
    assert early.status_code == 409
    assert (
        call(
            checker, "POST", f"/api/v1/aml/large-value-reports/{report_id}/review", {"note": "ok"}
        ).status_code
        == 200
    )
    exported = officer.get("/api/v1/aml/large-value-reports/export?format=xml&status=reviewed")
    assert exported.status_code == 200 and exported["Content-Type"].startswith("application/xml")
    root = ET.fromstring(exported.content)  # noqa: S314
    ns = {"l": "urn:bastion:aml:large-value:1"}
    report = root.find("l:Report", ns)
    assert report is not None and report.get("number") == number
    assert report.findtext("l:CustomerName", namespaces=ns) == "张伟"
    assert report.find("l:Transactions/l:Transaction", ns).get("amount") == "60000.00"
    csv_text = officer.get("/api/v1/aml/large-value-reports/export?format=csv").content.decode("utf-8-sig")
    assert csv_text.splitlines()[0].startswith("report_number,trade_day,standard")
    assert AuditEvent.objects.filter(action="read.aml.large_value_export").count() == 2
    submitted = call(officer, "POST", "/api/v1/aml/large-value-reports/submit", {"report_ids": [report_id]})
    assert submitted.json() == {"submitted": [number]}
    bad = officer.get("/api/v1/aml/large-value-reports/export?format=pdf")
    assert bad.status_code == 422 and "format" in bad.json()["error"]["fields"]


def _alert(world: World, key: str = "typology:fan_in:C100001:2026-11-20") -> Alert:
    payment = store_payment(when=at("2026-11-20"), amount="9000.00", branch=world.branch_a)
    with __import__("django.db", fromlist=["transaction"]).transaction.atomic():
        alert, _ = do_raise_alert(key=key, source="typology", code="fan_in", customer_no="C100001",
                                  summary_zh="分散转入、集中转出", summary_en="Fan-in then concentrated outflow",
                                  payment_ids=[payment.payment_id], branch_id=world.branch_a.pk, score=70)  # fmt: skip
    return alert


def test_alert_raised_once_and_excluded_with_reason(world: World, officer: Any) -> None:
    first = _alert(world)
    again, created = do_raise_alert(
        key=first.key, source="typology", code="fan_in", summary_zh="x", summary_en="x"
    )
    assert again.pk == first.pk and not created
    response = call(officer, "POST", f"/api/v1/aml/alerts/{first.pk}/exclude", {"reason": ""})
    assert response.status_code == 422 and "reason" in response.json()["error"]["fields"]
    response = call(officer, "POST", f"/api/v1/aml/alerts/{first.pk}/exclude", {"reason": "工资代发，已核实"})
    assert (
        response.json()["status"] == "excluded" and response.json()["excluded_reason"] == "工资代发，已核实"
    )
    listed = call(officer, "GET", "/api/v1/aml/alerts?status=excluded").json()["items"]
    assert [a["id"] for a in listed] == [first.pk]  # excluded hits stay on file


def test_case_dual_control_to_suspicious_report(world: World, officer: Any, checker: Any) -> None:
    alert = _alert(world)
    officer_user = world.users["aml_officer"]
    opened = call(
        officer, "POST", "/api/v1/aml/cases", {"alert_ids": [alert.pk], "assignee_id": officer_user.pk}
    )
    assert opened.status_code == 201, opened.content
    case = opened.json()
    assert case["status"] == "open" and len(case["evidence"]) == 1 and case["due_on"]
    case_url = f"/api/v1/aml/cases/{case['id']}"
    assert call(officer, "POST", f"{case_url}/notes", {"text": "资金来源于多个无关联个人"}).status_code == 200
    proposed = call(
        officer, "POST", f"{case_url}/propose", {"decision": "report", "reason": "快进快出，来源不明"}
    )
    assert proposed.json()["status"] == "proposed"
    own = call(officer, "POST", f"{case_url}/confirm")
    assert own.status_code == 403 and own.json()["error"]["code"] == "same_person"
    returned = call(checker, "POST", f"{case_url}/return", {"reason": "补充资金流向"})
    assert returned.json()["status"] == "open"
    call(officer, "POST", f"{case_url}/propose", {"decision": "report", "reason": "快进快出，来源不明"})
    confirmed = call(checker, "POST", f"{case_url}/confirm")
    assert confirmed.json()["status"] == "reported"
    (report,) = confirmed.json()["reports"]
    stored = SuspiciousReport.objects.get(number=report["number"])
    assert stored.payment_ids and stored.typologies == ["fan_in"]
    str_url = f"/api/v1/aml/suspicious-reports/{stored.pk}"
    edited = call(
        checker,
        "PATCH",
        str_url,
        {"summary": "客户账户短期内频繁接收多笔分散转入后集中转出。", "measures": "已限制非柜面交易"},
    )
    assert edited.status_code == 200
    assert call(checker, "POST", f"{str_url}/review").json()["error"]["code"] == "same_person"
    assert call(officer, "POST", f"{str_url}/review").json()["status"] == "reviewed"
    submitted = call(officer, "POST", f"{str_url}/submit", {"suspicion_persists": True}).json()
    assert submitted["status"] == "submitted" and submitted["next_follow_up_on"]
    follow_up = call(officer, "POST", f"{str_url}/follow-up").json()
    assert follow_up["follow_up_of"] == stored.number and follow_up["status"] == "draft"
    xml = officer.get("/api/v1/aml/suspicious-reports/export?format=xml")
    assert b"SuspiciousReports" in xml.content and stored.number.encode() in xml.content
    assert Case.objects.get(pk=case["id"]).decided_by.username == "aml_checker"


def test_case_needs_one_subject_and_new_alerts(world: World, officer: Any) -> None:
    first = _alert(world)
    with __import__("django.db", fromlist=["transaction"]).transaction.atomic():
        other, _ = do_raise_alert(key="k2", source="rule", code="R1", customer_no="C999999", summary_zh="x",
                                  summary_en="x", branch_id=world.branch_a.pk)  # fmt: skip
    response = call(officer, "POST", "/api/v1/aml/cases", {"alert_ids": [first.pk, other.pk]})
    assert response.status_code == 422 and "alert_ids" in response.json()["error"]["fields"]
    assert Case.objects.count() == 0


def test_exchange_rate_validation(world: World, officer: Any) -> None:
    bad = call(
        officer,
        "POST",
        "/api/v1/aml/exchange-rates",
        {"currency": "CNY", "day": "2026-11-20", "cny_per_unit": "1"},
    )
    assert bad.status_code == 422 and "currency" in bad.json()["error"]["fields"]
    ok = call(
        officer,
        "POST",
        "/api/v1/aml/exchange-rates",
        {"currency": "usd", "day": "2026-11-20", "cny_per_unit": "7.1"},
    )
    assert ok.status_code == 201 and ok.json()["currency"] == "USD"


def test_today_is_refused(world: World, officer: Any) -> None:
    from django.utils import timezone

    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    response = call(officer, "POST", "/api/v1/aml/large-value-reports/generate", {"day": tomorrow})
    assert response.status_code == 422 and "day" in response.json()["error"]["fields"]

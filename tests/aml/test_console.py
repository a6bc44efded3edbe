"""The AML officer's console through the Django test client, in Chinese and English."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction
from django.test import Client

from bastion.aml.actions.cases import do_open_case, do_raise_alert
from bastion.aml.models import Alert, Case, Customer, LargeValueReport, SuspiciousReport
from tests.aml.helpers import at, make_customer, store_payment
from tests.factories import World, make_user
from tests.web.conftest import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def console(world: World) -> Any:
    def make(user: Any, *, language: str = "zh-hans") -> Client:
        client = Client(headers={"accept-language": language})
        client.cookies["bastion_language"] = language
        return sign_in(client, user)

    return make


@pytest.fixture
def checker(world: World) -> Any:
    return make_user("aml_checker", roles=["aml_officer"], branch=world.branch_a)


def raise_alert(
    world: World, *, key: str = "typology:fan_in:C100001", branch: Any = None, customer: str = "C100001"
) -> Alert:
    branch = branch or world.branch_a
    first = store_payment(when=at("2026-11-20", "09:00"), amount="9000.00", customer="C200001", branch=branch,
                          payee_customer=customer)  # fmt: skip
    second = store_payment(when=at("2026-11-20", "11:00"), amount="8800.00", customer=customer, branch=branch)
    with transaction.atomic():
        alert, _ = do_raise_alert(key=key, source="typology", code="fan_in", customer_no=customer,
                                  summary_zh="分散转入、集中转出", summary_en="Fan-in then concentrated outflow",
                                  payment_ids=[first.payment_id, second.payment_id], branch_id=branch.pk, score=70)  # fmt: skip
    return alert


def text(response: Any) -> str:
    assert response.status_code == 200, response.status_code
    return str(response.content.decode())


def test_queue_in_both_languages(world: World, console: Any) -> None:
    alert = raise_alert(world)
    officer = world.users["aml_officer"]
    zh = text(console(officer).get("/aml/"))
    assert "<h1>反洗钱工作台</h1>" in zh and "分散转入、集中转出" in zh and f'id="alert-{alert.pk}"' in zh
    assert "反洗钱预警与案件" in zh  # the navigation section
    en = text(console(officer, language="en").get("/aml/"))
    assert "Fan-in then concentrated outflow" in en and "分散转入" not in en


def test_case_flow_dual_control_and_the_str(world: World, console: Any, checker: Any) -> None:
    alert = raise_alert(world)
    officer = console(world.users["aml_officer"])
    opened = officer.post("/aml/cases/open/", {"alert_ids": [alert.pk], "title": "分散转入"}, follow=True)
    case = Case.objects.get()
    page = text(opened)
    assert case.number in page and 'id="flow-graph"' in page and "Noto Sans CJK SC" in page
    assert "案件主体" in page  # the subject's account is highlighted in the graph
    noted = text(
        officer.post(f"/aml/cases/{case.pk}/notes/", {"text": "资金来源于多个无关联个人"}, follow=True)
    )
    assert "资金来源于多个无关联个人" in noted
    empty = text(officer.post(f"/aml/cases/{case.pk}/notes/", {"text": ""}, follow=True))
    assert 'class="message error"' in empty
    evidence = text(
        officer.post(f"/aml/cases/{case.pk}/evidence/", {"kind": "payment", "reference": "NOPE"}, follow=True)
    )
    assert "没有该编号的交易" in evidence or 'class="message error"' in evidence
    proposed = text(
        officer.post(
            f"/aml/cases/{case.pk}/propose/", {"decision": "report", "reason": "快进快出"}, follow=True
        )
    )
    assert 'id="own-proposal"' in proposed and 'id="confirm-button" disabled' in proposed
    refused = text(officer.post(f"/aml/cases/{case.pk}/confirm/", follow=True))
    assert "提出处理意见的人员不能确认" in refused or 'class="message error"' in refused
    assert Case.objects.get().status == "proposed"
    second = console(checker)
    confirmed = text(second.post(f"/aml/cases/{case.pk}/confirm/", follow=True))
    report = SuspiciousReport.objects.get()
    assert report.number in confirmed and Case.objects.get().status == "reported"
    str_page = text(second.get(f"/aml/reports/suspicious/{report.pk}/"))
    assert "可疑交易报告" in str_page
    # The confirming officer drafted the STR, so the first officer reviews it, then submits it.
    text(officer.post(f"/aml/reports/suspicious/{report.pk}/review/", follow=True))
    done = text(
        officer.post(
            f"/aml/reports/suspicious/{report.pk}/submit/", {"suspicion_persists": "on"}, follow=True
        )
    )
    report.refresh_from_db()
    assert report.status == "submitted" and report.next_follow_up_on and 'id="follow-up-button"' in done
    exported = officer.get(f"/aml/reports/suspicious/export/?id={report.pk}&format=xml")
    assert exported.status_code == 200 and report.number.encode() in exported.content


def test_exclude_with_and_without_reason(world: World, console: Any) -> None:
    alert = raise_alert(world)
    officer = console(world.users["aml_officer"])
    refused = text(officer.post(f"/aml/alerts/{alert.pk}/exclude/", {"reason": ""}, follow=True))
    assert 'class="message error"' in refused and Alert.objects.get().status == "new"
    done = text(
        officer.post(f"/aml/alerts/{alert.pk}/exclude/", {"reason": "工资代发", "back": "alert"}, follow=True)
    )
    assert "工资代发" in done and Alert.objects.get().status == "excluded"


def test_branch_scope_and_read_only_compliance(world: World, console: Any) -> None:
    other = raise_alert(world, key="k-b", branch=world.branch_b, customer="C900001")
    case = do_open_case(alert_ids=[other.pk], actor=None)  # raised and opened by the system
    officer = console(world.users["aml_officer"])
    assert officer.get(f"/aml/cases/{case.pk}/").status_code == 404
    assert officer.get(f"/aml/alerts/{other.pk}/").status_code == 404
    assert officer.post(f"/aml/cases/{case.pk}/notes/", {"text": "x"}).status_code == 404
    compliance = console(world.users["compliance_hq"])
    page = text(compliance.get(f"/aml/cases/{case.pk}/"))
    assert case.number in page and 'id="add-note"' not in page and 'id="propose-button"' not in page
    assert compliance.post(f"/aml/cases/{case.pk}/notes/", {"text": "x"}).status_code == 403
    assert text(compliance.get("/aml/")) and text(compliance.get("/aml/reports/large-value/"))


def test_customers_onboard_mask_and_change(world: World, console: Any) -> None:
    officer = console(world.users["aml_officer"])
    form = text(officer.get("/aml/customers/new/"))
    assert "客户号" in form or "客户编号" in form
    created = officer.post("/aml/customers/new/", {
        "customer_no": "C700001", "kind": "institution", "branch": world.branch_a.pk, "name": "上海金龙贸易有限公司",
        "id_type": "business_licence", "id_number": "91310000MA1FL1234X", "nationality": "CHN",
        "occupation": "precious_metals",
    }, follow=True)  # fmt: skip
    page = text(created)
    customer = Customer.objects.get(customer_no="C700001")
    assert "上海金龙贸易有限公司" in page and "未识别受益所有人" in page and customer.risk_rating == "high"
    owner = officer.post(f"/aml/customers/{customer.pk}/owners/", {
        "name": "李娜", "id_type": "resident_id", "id_number": "110101197001011234", "nationality": "CHN",
        "ownership_percent": "60",
    }, follow=True)  # fmt: skip
    assert (
        'class="message success"' in text(owner)
        and Customer.objects.get(pk=customer.pk).risk_rating == "medium"
    )
    listed = text(officer.get("/aml/customers/?q=C7"))
    assert "C700001" in listed and "上海金龙贸易有限公司" not in listed  # lists show the masked name
    manager = text(console(world.users["branch_manager"]).get(f"/aml/customers/{customer.pk}/"))
    assert "91310000MA1FL1234X" not in manager and 'id="rate-button"' not in manager
    dup = text(officer.post("/aml/customers/new/", {"customer_no": "C700001", "kind": "natural_person",
               "branch": world.branch_a.pk, "name": "x", "id_type": "resident_id", "id_number": "1", "nationality": "CHN"}))  # fmt: skip
    assert "errorlist" in dup or 'class="error"' in dup
    make_customer("C800001", branch=world.branch_b)
    other = Customer.objects.get(customer_no="C800001")
    assert officer.get(f"/aml/customers/{other.pk}/").status_code == 404


def test_large_value_generate_review_submit_export(world: World, console: Any, checker: Any) -> None:
    make_customer("C100001", branch=world.branch_a)
    store_payment(
        when=at("2026-11-20"),
        amount="60000.00",
        channel="cash",
        business_type="deposit",
        branch=world.branch_a,
    )
    officer = console(world.users["aml_officer"])
    generated = text(officer.post("/aml/reports/large-value/generate/", {"day": "2026-11-20"}, follow=True))
    report = LargeValueReport.objects.get()
    assert report.number in generated and 'class="message success"' in generated
    early = text(officer.post("/aml/reports/large-value/submit/", {"report_ids": [report.pk]}, follow=True))
    assert 'class="message error"' in early
    detail = text(
        console(checker).post(f"/aml/reports/large-value/{report.pk}/review/", {"note": "ok"}, follow=True)
    )
    assert 'class="message success"' in detail
    exported = officer.get("/aml/reports/large-value/export/?format=csv&status=reviewed")
    assert exported.status_code == 200 and exported.content.decode("utf-8-sig").startswith("report_number,")
    text(officer.post("/aml/reports/large-value/submit/", {"report_ids": [report.pk]}, follow=True))
    assert LargeValueReport.objects.get().status == "submitted"
    en = text(
        console(world.users["aml_officer"], language="en").get("/aml/reports/large-value/?status=submitted")
    )
    assert report.number in en and "Submitted" in en


def test_every_page_renders_in_english(world: World, console: Any) -> None:
    alert = raise_alert(world)
    officer = world.users["aml_officer"]
    case = do_open_case(alert_ids=[alert.pk], actor=officer)
    make_customer("C100001", branch=world.branch_a)
    customer = Customer.objects.get(customer_no="C100001")
    client = console(officer, language="en")
    for url in ["/aml/", f"/aml/alerts/{alert.pk}/", "/aml/cases/", f"/aml/cases/{case.pk}/", "/aml/customers/",
                "/aml/customers/new/", f"/aml/customers/{customer.pk}/", "/aml/reports/large-value/",
                "/aml/reports/suspicious/"]:  # fmt: skip
        page = text(client.get(url))
        assert "<h1>" in page, url

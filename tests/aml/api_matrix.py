"""The AML endpoints in the authorisation matrix (see tests/api/matrix.py).

Who may do what (R1.2, docs/decisions/0601): AML officers do the daily work (customers, reports,
alerts, cases) and check each other's proposals and drafts; compliance officers and auditors read
everything in their scope; branch managers read their branch's customers. Case decisions, notes,
report reviews and STR edits bind a named person, never a token. Large-value generation and
reference rates are institution-wide: the permission alone decides.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from bastion.aml.models import (
    Alert,
    Case,
    Customer,
    LargeValueItem,
    LargeValueReport,
    ScreeningHit,
    SuspiciousReport,
    WatchList,
    WatchListEntry,
)
from bastion.risk.models import StoredPayment
from tests.aml import api_matrix_fraud as _fraud
from tests.api.matrix import Case as MatrixCase
from tests.api.matrix import permission_then_scope, person_only, role_of
from tests.factories import make_user

OFFICER = frozenset({"aml_officer"})
READERS = frozenset({"aml_officer", "compliance_officer", "auditor"})
CUSTOMER_READERS = READERS | {"branch_manager"}
ACTOR = "aml_officer_a"


def institution_wide(roles: frozenset[str], ok: int) -> Any:
    return lambda principal, target, as_token: ok if role_of(principal) in roles else 403


def _customer(t: dict[str, Any]) -> dict[str, Any]:
    return {"customer_no": f"C-NEW-{t['branch']}", "kind": "natural_person", "branch_id": t["branch"],
            "name": "王芳", "id_type": "resident_id", "id_number": "110101199001011234"}  # fmt: skip


MATRIX: dict[tuple[str, str], MatrixCase] = {
    ("GET", "/aml/customers"): MatrixCase(None, permission_then_scope(CUSTOMER_READERS, 200)),
    ("POST", "/aml/customers"): MatrixCase(
        "branch", permission_then_scope(OFFICER, 201, out_of_scope=422), _customer
    ),
    ("GET", "/aml/customers/{customer_id}"): MatrixCase(
        "customer", permission_then_scope(CUSTOMER_READERS, 200)
    ),
    ("PATCH", "/aml/customers/{customer_id}"): MatrixCase(
        "customer", permission_then_scope(OFFICER, 200), lambda t: {"occupation": "engineer"}
    ),
    ("POST", "/aml/customers/{customer_id}/rate"): MatrixCase(
        "customer", permission_then_scope(OFFICER, 200)
    ),
    ("POST", "/aml/customers/{customer_id}/documents"): MatrixCase(
        "customer",
        permission_then_scope(OFFICER, 201),
        lambda t: {"doc_type": "passport", "number": "E12345678"},
    ),
    ("POST", "/aml/customers/{customer_id}/beneficial-owners"): MatrixCase(
        "institution_customer",
        permission_then_scope(OFFICER, 201),
        lambda t: {
            "name": "赵强",
            "id_type": "resident_id",
            "id_number": "110101197001011234",
            "ownership_percent": "51",
        },
    ),
    ("POST", "/aml/exchange-rates"): MatrixCase(
        None,
        institution_wide(OFFICER, 201),
        lambda t: {"currency": "USD", "day": "2026-11-20", "cny_per_unit": "7.1"},
    ),
    ("GET", "/aml/large-value-reports"): MatrixCase(None, permission_then_scope(READERS, 200)),
    ("POST", "/aml/large-value-reports/generate"): MatrixCase(
        None, institution_wide(OFFICER, 200), lambda t: {"day": "2026-11-20"}
    ),
    ("GET", "/aml/large-value-reports/export"): MatrixCase(None, permission_then_scope(OFFICER, 200)),
    ("POST", "/aml/large-value-reports/submit"): MatrixCase(
        "lv_reviewed",
        permission_then_scope(OFFICER, 200, out_of_scope=422),
        lambda t: {"report_ids": [t["lv_reviewed"]]},
    ),
    ("GET", "/aml/large-value-reports/{report_id}"): MatrixCase(
        "lv_draft", permission_then_scope(READERS, 200)
    ),
    ("POST", "/aml/large-value-reports/{report_id}/review"): MatrixCase(
        "lv_draft", person_only(permission_then_scope(OFFICER, 200)), lambda t: {"note": "checked"}
    ),
    ("GET", "/aml/suspicious-reports"): MatrixCase(None, permission_then_scope(READERS, 200)),
    ("GET", "/aml/suspicious-reports/export"): MatrixCase(None, permission_then_scope(OFFICER, 200)),
    ("GET", "/aml/suspicious-reports/{report_id}"): MatrixCase(
        "str_draft", permission_then_scope(READERS, 200)
    ),
    ("PATCH", "/aml/suspicious-reports/{report_id}"): MatrixCase(
        "str_draft", person_only(permission_then_scope(OFFICER, 200)), lambda t: {"summary": "资金快进快出"}
    ),
    ("POST", "/aml/suspicious-reports/{report_id}/review"): MatrixCase(
        "str_draft", person_only(permission_then_scope(OFFICER, 200))
    ),
    ("POST", "/aml/suspicious-reports/{report_id}/submit"): MatrixCase(
        "str_reviewed",
        person_only(permission_then_scope(OFFICER, 200)),
        lambda t: {"suspicion_persists": True},
    ),
    ("POST", "/aml/suspicious-reports/{report_id}/follow-up"): MatrixCase(
        "str_submitted", permission_then_scope(OFFICER, 200)
    ),
    ("GET", "/aml/alerts"): MatrixCase(None, permission_then_scope(READERS, 200)),
    ("GET", "/aml/alerts/{alert_id}"): MatrixCase("alert", permission_then_scope(READERS, 200)),
    ("POST", "/aml/alerts/{alert_id}/exclude"): MatrixCase(
        "alert", permission_then_scope(OFFICER, 200), lambda t: {"reason": "已核实为工资代发"}
    ),
    ("GET", "/aml/cases"): MatrixCase(None, permission_then_scope(READERS, 200)),
    ("POST", "/aml/cases"): MatrixCase(
        "alert", permission_then_scope(OFFICER, 201), lambda t: {"alert_ids": [t["alert"]]}
    ),
    ("GET", "/aml/cases/{case_id}"): MatrixCase("case_open", permission_then_scope(READERS, 200)),
    ("POST", "/aml/cases/{case_id}/assign"): MatrixCase(
        "case_open", permission_then_scope(OFFICER, 200), lambda t: {"assignee_id": t["investigator"]}
    ),
    ("POST", "/aml/cases/{case_id}/notes"): MatrixCase(
        "case_open", person_only(permission_then_scope(OFFICER, 200)), lambda t: {"text": "调取开户资料"}
    ),
    ("POST", "/aml/cases/{case_id}/evidence"): MatrixCase(
        "case_open",
        permission_then_scope(OFFICER, 200),
        lambda t: {"kind": "account", "reference": "6222020000009999"},
    ),
    ("POST", "/aml/cases/{case_id}/propose"): MatrixCase(
        "case_open",
        person_only(permission_then_scope(OFFICER, 200)),
        lambda t: {"decision": "close", "reason": "合理"},
    ),
    ("POST", "/aml/cases/{case_id}/return"): MatrixCase(
        "case_proposed", person_only(permission_then_scope(OFFICER, 200)), lambda t: {"reason": "补充材料"}
    ),
    ("POST", "/aml/cases/{case_id}/confirm"): MatrixCase(
        "case_proposed", person_only(permission_then_scope(OFFICER, 200))
    ),
}

SCREENING = frozenset({"aml_officer", "compliance_officer", "auditor", "risk_analyst"})
INVESTIGATORS_AND_READERS = READERS
LIST_CSV = "id,type,name\nM-1,person,王强\n"

MATRIX.update({
    ("GET", "/aml/watch-lists"): MatrixCase(None, institution_wide(SCREENING, 200)),
    ("POST", "/aml/watch-lists"): MatrixCase(
        None, institution_wide(OFFICER, 201), lambda t: {"code": "matrix-new", "name": "新名单", "kind": "internal"}
    ),
    ("GET", "/aml/watch-lists/{code}/entries"): MatrixCase("watch_list", institution_wide(SCREENING, 200)),
    ("POST", "/aml/watch-lists/{code}/import"): MatrixCase(
        "watch_list", institution_wide(OFFICER, 200), lambda t: {"format": "csv", "content": LIST_CSV}
    ),
    ("POST", "/aml/screen"): MatrixCase(
        None, institution_wide(frozenset({"aml_officer", "administrator"}), 200), lambda t: {"names": [{"name": "张伟"}]}
    ),
    ("GET", "/aml/screening-hits"): MatrixCase(None, permission_then_scope(SCREENING, 200)),
    ("GET", "/aml/screening-hits/{hit_id}"): MatrixCase("hit", permission_then_scope(SCREENING, 200)),
    ("POST", "/aml/screening-hits/{hit_id}/decide"): MatrixCase(
        "hit", person_only(permission_then_scope(OFFICER, 200)), lambda t: {"status": "dismissed", "reason": "出生日期不同"}
    ),
    ("POST", "/aml/customers/{customer_id}/screen"): MatrixCase("customer", permission_then_scope(OFFICER, 200)),
    ("GET", "/aml/typologies"): MatrixCase(None, institution_wide(READERS, 200)),
    ("POST", "/aml/typologies"): MatrixCase(
        None, institution_wide(OFFICER, 201), lambda t: {"params": {"fan_in": {"min_counterparties": 8}}, "note": "调优"}
    ),
    ("POST", "/aml/typologies/backtest"): MatrixCase(
        None, institution_wide(OFFICER, 200),
        lambda t: {"params": {"fan_in": {"min_counterparties": 8}}, "start": "2026-11-19", "end": "2026-11-20"},
    ),
})  # fmt: skip

PATH_PARAMS = {
    "watch_list": "code",
    "hit": "hit_id",
    "customer": "customer_id",
    "institution_customer": "customer_id",
    "lv_draft": "report_id",
    "str_draft": "report_id",
    "str_reviewed": "report_id",
    "str_submitted": "report_id",
    "alert": "alert_id",
    "case_open": "case_id",
    "case_proposed": "case_id",
}


def _report(side: str, branch: Any, status: str, payment: StoredPayment) -> LargeValueReport:
    report = LargeValueReport.objects.create(
        number=f"LV-MATRIX-{status}-{side}", customer_no=f"C-LV-{status}-{side}", customer_kind="natural_person", branch=branch,
        trade_day=date(2026, 11, 19), standard="cash", direction="in", measure_currency="CNY", total=Decimal("60000"),
        threshold=Decimal("50000"), payment_count=1, single=True, due_on=date(2026, 11, 26), status=status,
    )  # fmt: skip
    LargeValueItem.objects.create(report=report, payment=payment, measured_amount=Decimal("60000"))
    return report


def _payment(side: str, branch: Any) -> StoredPayment:
    return StoredPayment.objects.create(
        payment_id=f"AML-MATRIX-{side}", account_hash=7, occurred_at=datetime(2026, 11, 19, 3, 0, tzinfo=UTC),
        amount=Decimal("60000.00"), currency="CNY", channel="cash", business_type="deposit",
        payer_account=f"6222-AML-{side}", payer_customer=f"C-LV-{side}", customer_type="natural_person",
        auth_method="none", branch=branch, source="http", digest="0" * 64,
    )  # fmt: skip


def _cases(side: str, branch: Any, maker: Any) -> dict[str, Any]:
    now = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
    base = {"customer_no": f"C-CASE-{side}", "branch": branch, "due_on": date(2026, 12, 4)}
    opened = Case.objects.create(number=f"AML-M-OPEN-{side}", title="开放案件", **base)
    proposed = Case.objects.create(
        number=f"AML-M-PROP-{side}", title="待复核案件", status="proposed", proposed_decision="report",
        proposed_reason="可疑", proposed_by=maker, proposed_at=now, **base,
    )  # fmt: skip
    reported = Case.objects.create(number=f"AML-M-REP-{side}", title="已报告", status="reported", decision="report",
                                   decided_by=maker, decided_at=now, **base)  # fmt: skip
    reports = {}
    for status, extra in (("draft", {}), ("reviewed", {"reviewed_by": maker}),
                          ("submitted", {"submitted_at": now, "next_follow_up_on": date(2027, 2, 20)})):  # fmt: skip
        reports[status] = SuspiciousReport.objects.create(
            number=f"STR-M-{status}-{side}", case=reported, confirmed_on=date(2026, 11, 20), due_on=date(2026, 11, 27),
            summary="可疑", status=status, drafted_by=maker, **extra,
        ).pk  # fmt: skip
    alert = Alert.objects.create(key=f"matrix-{side}", source="typology", code="fan_in", customer_no=f"C-CASE-{side}",
                                 branch=branch, summary_zh="分散转入", summary_en="Fan-in", score=60)  # fmt: skip
    return {"case_open": opened.pk, "case_proposed": proposed.pk, "str_draft": reports["draft"],
            "str_reviewed": reports["reviewed"], "str_submitted": reports["submitted"], "alert": alert.pk}  # fmt: skip


def _screening(targets: dict[str, dict[str, Any]]) -> None:
    watch_list = WatchList.objects.create(code="matrix-list", name="矩阵名单", kind="internal", revision=1)
    WatchList.objects.create(code="matrix-un", name="联合国制裁名单", kind="sanctions")  # lists show two rows
    entry = WatchListEntry.objects.create(
        watch_list=watch_list, entry_id="E-1", entry_type="person", name="张伟"
    )
    targets["watch_list"] = {"A": watch_list.code, "B": watch_list.code}
    targets["hit"] = {}
    for side in ("A", "B"):
        customer = Customer.objects.get(pk=targets["customer"][side])
        hit = ScreeningHit.objects.create(
            subject_kind="customer", subject_ref=customer.customer_no, customer=customer, branch=customer.branch,
            screened_name="张伟", entry=entry, score=100, method="exact", matched_name="张伟",
            explanation_zh="命中", explanation_en="hit", trigger="onboarding",
        )  # fmt: skip
        targets["hit"][side] = hit.pk


def build_targets(api_world: Any) -> dict[str, dict[str, Any]]:
    maker = make_user("aml_maker", roles=["aml_officer"], institution_wide=True)
    investigator = make_user("aml_investigator", roles=["aml_officer"], institution_wide=True)
    targets: dict[str, dict[str, Any]] = {}
    for side, branch in (("A", api_world.branch_a), ("B", api_world.branch_b)):
        person = Customer.objects.create(customer_no=f"C-M-{side}", kind="natural_person", name="张伟",
                                         id_type="resident_id", id_number="310101198803071234", branch=branch)  # fmt: skip
        firm = Customer.objects.create(customer_no=f"C-M-ORG-{side}", kind="institution", name="金龙贸易有限公司",
                                       id_type="business_licence", id_number="91310000MA1FL1234X", branch=branch)  # fmt: skip
        payment = _payment(side, branch)
        found = {
            "customer": person.pk, "institution_customer": firm.pk,
            "lv_draft": _report(side, branch, "draft", payment).pk,
            "lv_reviewed": _report(side, branch, "reviewed", payment).pk,
            "investigator": investigator.pk, **_cases(side, branch, maker),
        }  # fmt: skip
        for kind, value in found.items():
            targets.setdefault(kind, {})[side] = value
    _screening(targets)
    targets.update(_fraud.build_targets(api_world))
    return targets


# --- lists and bad input (tests/api/test_scope_and_input.py) ---------------------------------------
def _branch_id(item: dict[str, Any]) -> Any:
    return item["branch_id"]


LIST_BRANCH_OF: dict[str, Any] = {
    "/aml/customers": _branch_id,
    "/aml/large-value-reports": _branch_id,
    "/aml/suspicious-reports": _branch_id,
    "/aml/alerts": _branch_id,
    "/aml/cases": _branch_id,
    "/aml/screening-hits": _branch_id,
    "/aml/watch-lists": None,
}
NOT_LISTS = {"/aml/large-value-reports/export", "/aml/suspicious-reports/export", "/aml/typologies"}
LIST_READERS = dict.fromkeys(LIST_BRANCH_OF, "compliance_hq")

BAD_INPUT: dict[tuple[str, str], list[tuple[Any, ...]]] = {
    ("POST", "/aml/customers"): [
        ("/aml/customers", lambda t: _customer(t) | {"kind": "robot"}, "kind", ACTOR),
        ("/aml/customers", lambda t: _customer(t) | {"name": ""}, "name", ACTOR),
        ("/aml/customers", lambda t: _customer(t) | {"nationality": "China"}, "nationality", ACTOR),
        ("/aml/customers", lambda t: _customer(t) | {"customer_no": "C-M-A"}, "customer_no", ACTOR),
        (
            "/aml/customers",
            lambda t: _customer(t) | {"expected_monthly_amount": "-1"},
            "expected_monthly_amount",
            ACTOR,
        ),
    ],
    ("PATCH", "/aml/customers/{customer_id}"): [
        ("/aml/customers/{customer}", {"id_type": "library_card"}, "id_type", ACTOR),
        ("/aml/customers/{customer}", {"date_of_birth": "1990-02-31"}, "date_of_birth", ACTOR),
        ("/aml/customers/abc", {"occupation": "x"}, "customer_id", ACTOR),
    ],
    ("POST", "/aml/customers/{customer_id}/rate"): [("/aml/customers/abc/rate", {}, "customer_id", ACTOR)],
    ("POST", "/aml/customers/{customer_id}/documents"): [
        ("/aml/customers/{customer}/documents", {"doc_type": "passport", "number": ""}, "number", ACTOR),
        (
            "/aml/customers/{customer}/documents",
            {"doc_type": "passport", "number": "E1", "issued_on": "2026-01-02", "expires_on": "2025-01-01"},
            "expires_on",
            ACTOR,
        ),
    ],
    ("POST", "/aml/customers/{customer_id}/beneficial-owners"): [
        (
            "/aml/customers/{institution_customer}/beneficial-owners",
            {"name": "赵强", "id_type": "resident_id", "id_number": "1", "ownership_percent": "150"},
            "ownership_percent",
            ACTOR,
        ),
        (
            "/aml/customers/{customer}/beneficial-owners",
            {"name": "赵强", "id_type": "resident_id", "id_number": "1"},
            "customer_id",
            ACTOR,
        ),
    ],
    ("POST", "/aml/exchange-rates"): [
        (
            "/aml/exchange-rates",
            {"currency": "CNY", "day": "2026-11-20", "cny_per_unit": "1"},
            "currency",
            ACTOR,
        ),
        (
            "/aml/exchange-rates",
            {"currency": "USD", "day": "2026-11-20", "cny_per_unit": "0"},
            "cny_per_unit",
            ACTOR,
        ),
    ],
    ("POST", "/aml/large-value-reports/generate"): [
        ("/aml/large-value-reports/generate", {"day": "2999-01-01"}, "day", ACTOR),
        ("/aml/large-value-reports/generate", {"day": "yesterday"}, "day", ACTOR),
    ],
    ("POST", "/aml/large-value-reports/submit"): [
        ("/aml/large-value-reports/submit", {"report_ids": []}, "report_ids", ACTOR),
        ("/aml/large-value-reports/submit", {"report_ids": [999999]}, "report_ids", ACTOR),
    ],
    ("POST", "/aml/large-value-reports/{report_id}/review"): [
        ("/aml/large-value-reports/{lv_draft}/review", {"note": "x" * 1001}, "note", ACTOR),
    ],
    ("PATCH", "/aml/suspicious-reports/{report_id}"): [
        ("/aml/suspicious-reports/{str_draft}", {"summary": "  "}, "summary", ACTOR),
    ],
    ("POST", "/aml/suspicious-reports/{report_id}/review"): [
        ("/aml/suspicious-reports/abc/review", {}, "report_id", ACTOR),
    ],
    ("POST", "/aml/suspicious-reports/{report_id}/submit"): [
        (
            "/aml/suspicious-reports/{str_reviewed}/submit",
            {"suspicion_persists": "maybe"},
            "suspicion_persists",
            ACTOR,
        ),
    ],
    ("POST", "/aml/suspicious-reports/{report_id}/follow-up"): [
        ("/aml/suspicious-reports/abc/follow-up", {}, "report_id", ACTOR),
    ],
    ("POST", "/aml/alerts/{alert_id}/exclude"): [
        ("/aml/alerts/{alert}/exclude", {"reason": " "}, "reason", ACTOR)
    ],
    ("POST", "/aml/cases"): [
        ("/aml/cases", {"alert_ids": []}, "alert_ids", ACTOR),
        ("/aml/cases", lambda t: {"alert_ids": [t["alert"]], "assignee_id": 999999}, "assignee_id", ACTOR),
    ],
    ("POST", "/aml/cases/{case_id}/assign"): [
        ("/aml/cases/{case_open}/assign", {"assignee_id": 999999}, "assignee_id", ACTOR)
    ],
    ("POST", "/aml/cases/{case_id}/notes"): [("/aml/cases/{case_open}/notes", {"text": ""}, "text", ACTOR)],
    ("POST", "/aml/cases/{case_id}/evidence"): [
        (
            "/aml/cases/{case_open}/evidence",
            {"kind": "payment", "reference": "NO-SUCH-PAYMENT"},
            "reference",
            ACTOR,
        ),
        ("/aml/cases/{case_open}/evidence", {"kind": "rumour", "reference": "x"}, "kind", ACTOR),
    ],
    ("POST", "/aml/cases/{case_id}/propose"): [
        ("/aml/cases/{case_open}/propose", {"decision": "shrug", "reason": "x"}, "decision", ACTOR),
        ("/aml/cases/{case_open}/propose", {"decision": "close", "reason": ""}, "reason", ACTOR),
    ],
    ("POST", "/aml/cases/{case_id}/return"): [
        ("/aml/cases/{case_proposed}/return", {"reason": ""}, "reason", ACTOR)
    ],
    ("POST", "/aml/cases/{case_id}/confirm"): [("/aml/cases/abc/confirm", {}, "case_id", ACTOR)],
    ("POST", "/aml/watch-lists"): [
        ("/aml/watch-lists", {"code": "Has Space", "name": "n", "kind": "internal"}, "code", ACTOR),
        ("/aml/watch-lists", {"code": "matrix-list", "name": "n", "kind": "internal"}, "code", ACTOR),
        ("/aml/watch-lists", {"code": "x", "name": "n", "kind": "gossip"}, "kind", ACTOR),
    ],
    ("POST", "/aml/watch-lists/{code}/import"): [
        ("/aml/watch-lists/{watch_list}/import", {"format": "pdf", "content": LIST_CSV}, "format", ACTOR),
        (
            "/aml/watch-lists/{watch_list}/import",
            {"format": "csv", "content": "id,type,name\nX,robot,某\n"},
            "file",
            ACTOR,
        ),
        (
            "/aml/watch-lists/{watch_list}/import",
            {"format": "csv", "content": "id,type,name\n"},
            "file",
            ACTOR,
        ),
    ],
    ("POST", "/aml/screen"): [
        ("/aml/screen", {"names": []}, "names", ACTOR),
        ("/aml/screen", {"names": [{"name": "张伟", "entry_type": "robot"}]}, "names.0.entry_type", ACTOR),
    ],
    ("POST", "/aml/screening-hits/{hit_id}/decide"): [
        ("/aml/screening-hits/{hit}/decide", {"status": "maybe", "reason": "x"}, "status", ACTOR),
        ("/aml/screening-hits/{hit}/decide", {"status": "dismissed", "reason": ""}, "reason", ACTOR),
    ],
    ("POST", "/aml/customers/{customer_id}/screen"): [
        ("/aml/customers/abc/screen", {}, "customer_id", ACTOR)
    ],
    ("POST", "/aml/typologies"): [
        (
            "/aml/typologies",
            {"params": {"fan_in": {"min_counterparties": 1}}, "note": "x"},
            "fan_in.min_counterparties",
            ACTOR,
        ),
        ("/aml/typologies", {"params": {"astrology": {}}, "note": "x"}, "astrology", ACTOR),
        ("/aml/typologies", {"params": {}, "note": ""}, "note", ACTOR),
    ],
    ("POST", "/aml/typologies/backtest"): [
        (
            "/aml/typologies/backtest",
            {"params": {}, "start": "2026-11-20", "end": "2026-11-19"},
            "end",
            ACTOR,
        ),
        (
            "/aml/typologies/backtest",
            {"params": {"cycle": {"max_length": "many"}}, "start": "2026-11-19", "end": "2026-11-20"},
            "cycle.max_length",
            ACTOR,
        ),
    ],
}


# --- the fraud-model endpoints (tests/aml/api_matrix_fraud.py) --------------------------------------
MATRIX.update(_fraud.MATRIX)
PATH_PARAMS.update(_fraud.PATH_PARAMS)
LIST_BRANCH_OF.update(_fraud.LIST_BRANCH_OF)
NOT_LISTS |= _fraud.NOT_LISTS
LIST_READERS.update(_fraud.LIST_READERS)
BAD_INPUT.update(_fraud.BAD_INPUT)

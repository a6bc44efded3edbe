"""The risk endpoints in the authorisation matrix (see tests/api/matrix.py).

Who may do what, from R1.2 and the payment flow: payment systems submit payments with a token whose
owner holds ``risk.submit_payment`` (administrators run machine integrations); risk analysts, AML
and compliance officers, auditors and branch managers read decisions in their branch scope; the
rule-set versions are read by the risk, AML, compliance and audit roles and by administrators.
Risk analysts write, submit and backtest drafts; a second risk analyst approves, rejects and
activates (a person, never a token). Rule sets are institution-wide: no branch scope applies.
Monitoring indicators and their warnings are read by everyone who reads decisions, branch-scoped.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from bastion.risk.actions import do_ensure_active_ruleset
from bastion.risk.models import (
    CounterpartyRating,
    Decision,
    IndicatorThreshold,
    IndicatorValue,
    IndicatorWarning,
    ListEntry,
    PaymentControl,
    PaymentReview,
    RiskList,
    RuleSetBacktest,
    RuleSetVersion,
    StoredPayment,
)
from bastion.risk.services import account_hash
from tests.api.matrix import Case, permission_then_scope, person_only, role_of
from tests.factories import make_user
from tests.risk.helpers import payment

SUBMIT = frozenset({"administrator"})
VIEW_DECISIONS = frozenset({"risk_analyst", "aml_officer", "compliance_officer", "auditor", "branch_manager"})
VIEW_RULESETS = frozenset({"risk_analyst", "aml_officer", "compliance_officer", "auditor", "administrator"})
EDIT_RULESETS = frozenset({"risk_analyst"})
VIEW_LISTS = frozenset({"risk_analyst", "aml_officer", "compliance_officer", "auditor"})
EDIT_LISTS = frozenset({"risk_analyst", "aml_officer"})
MANAGE_CONTROLS = frozenset({"risk_analyst"})
REVIEW = frozenset({"risk_analyst", "aml_officer"})
RATE = frozenset({"risk_analyst"})
ASSESSMENT = {
    "period_start": "2026-08-01", "period_end": "2026-10-31", "identified_risks": "SIM swap takeovers",
    "qualitative_rating": "medium", "qualitative_notes": "Controls partly effective", "incidents": 1,
}  # fmt: skip
AUTHORISE = frozenset({"risk_analyst", "branch_manager"})
APPROVE_RULESETS = frozenset({"risk_analyst"})
VIEW_INDICATORS = VIEW_DECISIONS
RULE_TEXT = """
[[rule]]
id = "MATRIX-RULE"
when = 'amount >= 5000'
points = 10
reason_zh = "金额达5000元"
reason_en = "Amount of CNY 5,000 or more"
"""


def institution_wide(roles: frozenset[str], ok: int) -> Any:
    """Rule sets are not branch data: the permission alone decides."""
    return lambda principal, target, as_token: ok if role_of(principal) in roles else 403


def _payment(target: dict[str, Any]) -> dict[str, Any]:
    # One id per branch: every principal allowed to submit it sends the same payment (a retry).
    return payment(7, account=f"62220200{target['branch']:08d}", branch_id=target["branch"]) | {
        "id": f"MATRIX-{target['branch']}"
    }


MATRIX: dict[tuple[str, str], Case] = {
    # The branch is in the body: outside the caller's scope it is a bad field (422).
    ("POST", "/risk/decisions"): Case(
        "branch", permission_then_scope(SUBMIT, 200, out_of_scope=422), _payment
    ),
    ("POST", "/risk/decisions/batch"): Case(
        "branch",
        permission_then_scope(SUBMIT, 200, out_of_scope=422),
        lambda t: {"payments": [_payment(t)]},
    ),
    ("GET", "/risk/decisions"): Case(None, permission_then_scope(VIEW_DECISIONS, 200)),
    ("GET", "/risk/decisions/{payment_id}"): Case("decision", permission_then_scope(VIEW_DECISIONS, 200)),
    ("GET", "/risk/rulesets"): Case(None, permission_then_scope(VIEW_RULESETS, 200)),
    ("GET", "/risk/indicators"): Case(None, permission_then_scope(VIEW_INDICATORS, 200)),
    ("GET", "/risk/indicator-warnings"): Case(None, permission_then_scope(VIEW_INDICATORS, 200)),
    ("POST", "/risk/rulesets"): Case(
        None, institution_wide(EDIT_RULESETS, 201), lambda t: {"name": "matrix", "text": RULE_TEXT}
    ),
    ("POST", "/risk/rulesets/check"): Case(
        None, institution_wide(EDIT_RULESETS, 200), lambda t: {"text": RULE_TEXT}
    ),
    ("GET", "/risk/rulesets/{number}"): Case("ruleset_draft", institution_wide(VIEW_RULESETS, 200)),
    ("PATCH", "/risk/rulesets/{number}"): Case(
        "ruleset_draft", institution_wide(EDIT_RULESETS, 200), lambda t: {"note": "tuned"}
    ),
    ("POST", "/risk/rulesets/{number}/submit"): Case("ruleset_draft", institution_wide(EDIT_RULESETS, 200)),
    ("POST", "/risk/rulesets/{number}/approve"): Case(
        "ruleset_submitted", person_only(institution_wide(APPROVE_RULESETS, 200)), lambda t: {"note": "ok"}
    ),
    ("POST", "/risk/rulesets/{number}/reject"): Case(
        "ruleset_submitted", person_only(institution_wide(APPROVE_RULESETS, 200)), lambda t: {"note": "no"}
    ),
    ("POST", "/risk/rulesets/{number}/activate"): Case(
        "ruleset_approved", person_only(institution_wide(APPROVE_RULESETS, 200))
    ),
    ("POST", "/risk/rulesets/{number}/backtests"): Case(
        "ruleset_draft",
        institution_wide(EDIT_RULESETS, 202),
        lambda t: {"start": "2026-11-20", "end": "2026-11-21"},
    ),
    ("GET", "/risk/rulesets/{number}/backtests/{backtest_id}"): Case(
        "backtest", institution_wide(VIEW_RULESETS, 200)
    ),
    # Lists are shared institution-wide (R5.5): the permission alone decides.
    ("GET", "/risk/lists"): Case(None, institution_wide(VIEW_LISTS, 200)),
    ("POST", "/risk/lists"): Case(
        None,
        institution_wide(EDIT_LISTS, 201),
        lambda t: {"name": "matrix_list", "title": "M", "kind": "watch"},
    ),
    ("GET", "/risk/lists/{name}/entries"): Case("risk_list", institution_wide(VIEW_LISTS, 200)),
    ("POST", "/risk/lists/{name}/entries"): Case(
        "risk_list",
        institution_wide(EDIT_LISTS, 201),
        lambda t: {"value": "6222-MATRIX-NEW", "entry_type": "account", "reason": "matrix"},
    ),
    ("POST", "/risk/lists/{name}/entries/{entry_id}/remove"): Case(
        "list_entry", institution_wide(EDIT_LISTS, 200), lambda t: {"reason": "matrix"}
    ),
    ("GET", "/risk/controls"): Case(None, institution_wide(VIEW_DECISIONS, 200)),
    ("POST", "/risk/controls"): Case(
        None,
        institution_wide(MANAGE_CONTROLS, 201),
        lambda t: {"kind": "limit", "name": "M", "single_amount": "5000", "required_auth": ["face"]},
    ),
    ("PATCH", "/risk/controls/{control_id}"): Case(
        "control", institution_wide(MANAGE_CONTROLS, 200), lambda t: {"active": False}
    ),
    ("GET", "/risk/reviews"): Case(None, permission_then_scope(VIEW_DECISIONS, 200)),
    ("GET", "/risk/reviews/{review_id}"): Case("review", permission_then_scope(VIEW_DECISIONS, 200)),
    ("POST", "/risk/reviews/{review_id}/propose"): Case(
        "review",
        person_only(permission_then_scope(REVIEW, 200)),
        lambda t: {"outcome": "release", "note": "ok"},
    ),
    ("POST", "/risk/reviews/{review_id}/confirm"): Case(
        "review_proposed", person_only(permission_then_scope(REVIEW, 200)), lambda t: {"note": "ok"}
    ),
    ("POST", "/risk/reviews/{review_id}/return"): Case(
        "review_proposed",
        person_only(permission_then_scope(REVIEW, 200)),
        lambda t: {"note": "more evidence"},
    ),
    ("POST", "/risk/reviews/{review_id}/authorise"): Case(
        "review_authorisation",
        person_only(permission_then_scope(AUTHORISE, 200)),
        lambda t: {"outcome": "release"},
    ),
    ("GET", "/risk/channels"): Case(None, institution_wide(VIEW_DECISIONS, 200)),
    ("GET", "/risk/channels/{channel}/assessments"): Case("channel", institution_wide(VIEW_DECISIONS, 200)),
    ("POST", "/risk/channels/{channel}/assessments"): Case(
        "channel", institution_wide(RATE, 201), lambda t: ASSESSMENT
    ),
    ("GET", "/risk/counterparties"): Case(None, institution_wide(VIEW_DECISIONS, 200)),
    ("POST", "/risk/counterparties"): Case(
        None,
        institution_wide(RATE, 201),
        lambda t: {"kind": "merchant", "identifier": "M-NEW", "name": "新商户", "grade": "BB"},
    ),
    ("PATCH", "/risk/counterparties/{rating_id}"): Case(
        "counterparty", institution_wide(RATE, 200), lambda t: {"grade": "B"}
    ),
}

PATH_PARAMS = {
    "decision": "payment_id",
    "ruleset_draft": "number",
    "ruleset_submitted": "number",
    "ruleset_approved": "number",
    "ruleset_bad": "number",
    "backtest": "backtest_id",
    "risk_list": "name",
    "list_entry": "entry_id",
    "control": "control_id",
    "review": "review_id",
    "review_proposed": "review_id",
    "review_authorisation": "review_id",
    "channel": "channel",
    "counterparty": "rating_id",
}


def _rule_targets(active: RuleSetVersion) -> dict[str, dict[str, Any]]:
    """Versions in each state, written by a maker who is none of the matrix's principals."""
    maker = make_user("rule_maker", roles=["risk_analyst"], institution_wide=True)
    checker = make_user("rule_checker", roles=["risk_analyst"], institution_wide=True)
    now = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
    made = {"created_by": maker, "updated_by": maker, "created_at": now}
    submitted = {**made, "submitted_by": maker, "submitted_at": now}
    versions = {
        "ruleset_draft": {"status": "draft", "text": RULE_TEXT, **made},
        "ruleset_bad": {"status": "draft", "text": RULE_TEXT.replace("amount >=", "amount >=="), **made},
        "ruleset_submitted": {"status": "submitted", "text": RULE_TEXT, **submitted},
        "ruleset_approved": {
            "status": "approved", "text": RULE_TEXT, "approved_by": checker, "approved_at": now, **submitted
        },
    }  # fmt: skip
    targets: dict[str, dict[str, Any]] = {}
    for offset, (kind, fields) in enumerate(versions.items(), start=2):
        version = RuleSetVersion.objects.create(number=active.number + offset, name=kind, **fields)
        targets[kind] = {"A": version.number, "B": version.number}
    draft = RuleSetVersion.objects.get(number=targets["ruleset_draft"]["A"])
    backtest = RuleSetBacktest.objects.create(
        version=draft, start=date(2026, 11, 20), end=date(2026, 11, 20), status="done", requested_by=maker
    )
    targets["backtest"] = {"A": backtest.pk, "B": backtest.pk}
    return targets


def build_targets(api_world: Any) -> dict[str, dict[str, Any]]:
    ruleset = do_ensure_active_ruleset()
    # A draft beside the active version, so the versions list has more than one row.
    RuleSetVersion.objects.create(number=ruleset.number + 1, name="draft", text=ruleset.text, status="draft")
    decisions = {}
    for side, branch in (("A", api_world.branch_a), ("B", api_world.branch_b)):
        account = f"6222-MATRIX-{side}"
        stored = StoredPayment.objects.create(
            payment_id=f"MATRIX-STORED-{side}",
            account_hash=account_hash(account),
            occurred_at=datetime(2026, 11, 20, 2, 0, tzinfo=UTC),
            amount=Decimal("880.00"),
            currency="CNY",
            channel="mobile",
            business_type="transfer",
            payer_account=account,
            payer_customer=f"C-{side}",
            customer_type="natural_person",
            auth_method="password",
            branch=branch,
            source="http",
            digest="0" * 64,
        )
        Decision.objects.create(
            payment=stored,
            score=0,
            level="normal",
            action="allow",
            ruleset=ruleset,
            decided_at=stored.occurred_at,
            latency_us=120,
        )
        decisions[side] = stored.payment_id
    entry = ListEntry.objects.create(
        risk_list=RiskList.objects.get(name="blocklist"), value="6222-MATRIX-LISTED", entry_type="account",
        reason="matrix",
    )  # fmt: skip
    lists = {"risk_list": {"A": "blocklist", "B": "blocklist"}, "list_entry": {"A": entry.pk, "B": entry.pk}}
    _indicator_rows(api_world)
    rated = CounterpartyRating.objects.create(
        kind="institution", identifier="BANK-MATRIX", name="矩阵银行", grade="A",
        rated_at=date(2026, 11, 1), next_review=date(2027, 11, 1),
    )  # fmt: skip
    CounterpartyRating.objects.create(
        kind="merchant", identifier="M-MATRIX", name="矩阵商户", grade="BBB",
        rated_at=date(2026, 11, 1), next_review=date(2027, 11, 1),
    )  # fmt: skip
    reference = {"channel": {"A": "mobile", "B": "mobile"}, "counterparty": {"A": rated.pk, "B": rated.pk}}
    return {
        **reference,
        "decision": decisions,
        **_rule_targets(ruleset),
        **lists,
        **_control_targets(api_world, ruleset),
    }


def _stored(side: str, kind: str, branch: Any, ruleset: RuleSetVersion) -> StoredPayment:
    account = f"6222-REVIEW-{side}-{kind}"
    stored = StoredPayment.objects.create(
        payment_id=f"MATRIX-{kind}-{side}", account_hash=account_hash(account),
        occurred_at=datetime(2026, 11, 20, 3, 0, tzinfo=UTC), amount=Decimal("60000.00"), currency="CNY",
        channel="smart_counter", business_type="transfer", payer_account=account, payer_customer=f"C-{side}",
        customer_type="natural_person", auth_method="face", branch=branch, source="http", digest="0" * 64,
    )  # fmt: skip
    Decision.objects.create(payment=stored, score=40, level="attention", action="hold", ruleset=ruleset,
                            decided_at=stored.occurred_at, latency_us=120)  # fmt: skip
    return stored


def _control_targets(api_world: Any, ruleset: RuleSetVersion) -> dict[str, dict[str, Any]]:
    """A control, and reviews in each state at both branches, made by people outside the matrix."""
    made = PaymentControl.objects.create(
        kind="limit", name="matrix", single_amount=Decimal("5000"), required_auth=["face"]
    )
    PaymentControl.objects.create(  # a second row, so the list has more than one
        kind="authorisation", name="matrix counter", channel="smart_counter", single_amount=Decimal("50000")
    )
    maker = make_user("review_maker", roles=["risk_analyst"], institution_wide=True)
    due = datetime(2026, 11, 20, 5, 0, tzinfo=UTC)
    targets: dict[str, dict[str, Any]] = {"control": {"A": made.pk, "B": made.pk}}
    for kind, fields in (
        ("review", {"kind": "hold"}),
        ("review_proposed", {"kind": "hold", "status": "proposed", "proposed_outcome": "release",
                             "proposed_by": maker, "proposed_at": due, "proposal_note": "ok"}),
        ("review_authorisation", {"kind": "authorisation", "operator": "teller_outside"}),
    ):  # fmt: skip
        targets[kind] = {}
        for side, branch in (("A", api_world.branch_a), ("B", api_world.branch_b)):
            review = PaymentReview.objects.create(
                payment=_stored(side, kind, branch, ruleset), due_at=due, **fields
            )
            targets[kind][side] = review.pk
    return targets


def _indicator_rows(api_world: Any) -> None:
    """A value and a warning at each branch, and an institution-only channel value."""
    period = datetime(2026, 11, 19, 16, 0, tzinfo=UTC)  # 2026-11-20 in Shanghai
    watcher = make_user("indicator_watcher", roles=["risk_analyst"], institution_wide=True)
    threshold = IndicatorThreshold.objects.create(
        name="matrix", indicator="volume_count", granularity="day", scope="branch", comparison="gte",
        value=Decimal(1), severity="warning", responsible=watcher,
    )  # fmt: skip
    IndicatorValue.objects.create(
        granularity="day", period_start=period, scope="channel", scope_key="mobile", channel="mobile",
        indicator="volume_count", value=Decimal(2),
    )  # fmt: skip
    for branch in (api_world.branch_a, api_world.branch_b):
        row = IndicatorValue.objects.create(
            granularity="day", period_start=period, scope="branch", scope_key=str(branch.pk), branch=branch,
            indicator="volume_count", value=Decimal(1),
        )  # fmt: skip
        IndicatorWarning.objects.create(
            threshold=threshold, granularity="day", period_start=period, scope="branch",
            scope_key=row.scope_key, branch=branch, indicator="volume_count", value=row.value,
            comparison="gte", limit=Decimal(1), severity="warning", responsible=watcher,
        )  # fmt: skip


# --- lists and bad input (tests/api/test_scope_and_input.py) ---------------------------------------
LIST_BRANCH_OF: dict[str, Any] = {
    "/risk/decisions": lambda item: item["branch_id"],
    "/risk/rulesets": None,
    "/risk/lists": None,
    "/risk/controls": None,
    "/risk/reviews": lambda item: item["branch_id"],
    "/risk/indicators": lambda item: item["branch_id"],
    "/risk/indicator-warnings": lambda item: item["branch_id"],
    "/risk/counterparties": None,
}
NOT_LISTS = {"/risk/channels"}
LIST_READERS = {
    "/risk/decisions": "auditor_hq",
    "/risk/lists": "auditor_hq",
    "/risk/controls": "auditor_hq",
    "/risk/reviews": "auditor_hq",
    "/risk/indicators": "auditor_hq",
    "/risk/indicator-warnings": "auditor_hq",
    "/risk/counterparties": "auditor_hq",
}


ANALYST = "risk_analyst_a"


def _with(**changes: Any) -> Any:
    return lambda t: _payment(t) | changes


BAD_INPUT: dict[tuple[str, str], list[tuple[Any, ...]]] = {
    ("POST", "/risk/decisions"): [
        ("/risk/decisions", _with(amount="0"), "amount"),
        ("/risk/decisions", _with(amount=99.5), "amount"),
        ("/risk/decisions", _with(channel="carrier_pigeon"), "channel"),
        ("/risk/decisions", _with(timestamp="yesterday"), "timestamp"),
        ("/risk/decisions", _with(branch_id=999999), "branch_id"),
        ("/risk/decisions", _with(payer_account=""), "payer_account"),
        ("/risk/decisions", _with(secret_flag=True), "secret_flag"),
    ],
    ("POST", "/risk/decisions/batch"): [
        ("/risk/decisions/batch", {"payments": []}, "payments"),
        (
            "/risk/decisions/batch",
            lambda t: {"payments": [_payment(t), _with(ip="1.2.3")(t)]},
            "payments.1.ip",
        ),
        ("/risk/decisions/batch", lambda t: {"payments": [_with(currency="ZZZ")(t)]}, "payments.0.currency"),
    ],
    ("POST", "/risk/rulesets"): [
        ("/risk/rulesets", {"name": "", "text": RULE_TEXT}, "name", ANALYST),
        ("/risk/rulesets", {"name": "x" * 101, "text": RULE_TEXT}, "name", ANALYST),
        ("/risk/rulesets", {"name": "x", "based_on": 999999}, "based_on", ANALYST),
        ("/risk/rulesets", {"name": "x", "text": "   "}, "text", ANALYST),
    ],
    ("POST", "/risk/rulesets/check"): [
        ("/risk/rulesets/check", {}, "text", ANALYST),
        ("/risk/rulesets/check", {"text": ["a"]}, "text", ANALYST),
    ],
    ("PATCH", "/risk/rulesets/{number}"): [
        ("/risk/rulesets/{ruleset_draft}", {"name": ""}, "name", ANALYST),
        ("/risk/rulesets/{ruleset_draft}", {"text": ""}, "text", ANALYST),
        ("/risk/rulesets/abc", {"note": "x"}, "number", ANALYST),
    ],
    ("POST", "/risk/rulesets/{number}/submit"): [
        ("/risk/rulesets/{ruleset_bad}/submit", {}, "text", ANALYST),
        ("/risk/rulesets/abc/submit", {}, "number", ANALYST),
    ],
    ("POST", "/risk/rulesets/{number}/approve"): [
        ("/risk/rulesets/{ruleset_submitted}/approve", {"note": "x" * 1001}, "note", ANALYST),
        ("/risk/rulesets/abc/approve", {"note": "ok"}, "number", ANALYST),
    ],
    ("POST", "/risk/rulesets/{number}/reject"): [
        ("/risk/rulesets/{ruleset_submitted}/reject", {"note": ""}, "note", ANALYST),
        ("/risk/rulesets/{ruleset_submitted}/reject", {"note": "   "}, "note", ANALYST),
    ],
    ("POST", "/risk/rulesets/{number}/activate"): [("/risk/rulesets/abc/activate", {}, "number", ANALYST)],
    ("POST", "/risk/rulesets/{number}/backtests"): [
        (
            "/risk/rulesets/{ruleset_draft}/backtests",
            {"start": "2026-11-21", "end": "2026-11-20"},
            "end",
            ANALYST,
        ),
        (
            "/risk/rulesets/{ruleset_draft}/backtests",
            {"start": "yesterday", "end": "2026-11-20"},
            "start",
            ANALYST,
        ),
        (
            "/risk/rulesets/{ruleset_draft}/backtests",
            {"start": "2026-01-01", "end": "2026-11-20"},
            "end",
            ANALYST,
        ),
        (
            "/risk/rulesets/{ruleset_bad}/backtests",
            {"start": "2026-11-20", "end": "2026-11-20"},
            "text",
            ANALYST,
        ),
    ],
    ("POST", "/risk/lists"): [
        ("/risk/lists", {"name": "Has Space", "title": "t", "kind": "block"}, "name", ANALYST),
        ("/risk/lists", {"name": "blocklist", "title": "t", "kind": "block"}, "name", ANALYST),
        ("/risk/lists", {"name": "x", "title": "", "kind": "block"}, "title", ANALYST),
        ("/risk/lists", {"name": "x", "title": "t", "kind": "grey"}, "kind", ANALYST),
        (
            "/risk/lists",
            {"name": "x", "title": "t", "kind": "block", "owner_team_id": 999999},
            "owner_team_id",
            ANALYST,
        ),
    ],
    ("POST", "/risk/lists/{name}/entries"): [
        (
            "/risk/lists/{risk_list}/entries",
            {"value": "", "entry_type": "ip", "reason": "r"},
            "value",
            ANALYST,
        ),
        (
            "/risk/lists/{risk_list}/entries",
            {"value": "1", "entry_type": "x", "reason": "r"},
            "entry_type",
            ANALYST,
        ),
        (
            "/risk/lists/{risk_list}/entries",
            {"value": "1", "entry_type": "ip", "reason": ""},
            "reason",
            ANALYST,
        ),
        (
            "/risk/lists/{risk_list}/entries",
            {"value": "1", "entry_type": "ip", "reason": "r", "expires_at": "2001-01-01T00:00:00+08:00"},
            "expires_at",
            ANALYST,
        ),
    ],
    ("POST", "/risk/lists/{name}/entries/{entry_id}/remove"): [
        ("/risk/lists/{risk_list}/entries/{list_entry}/remove", {"reason": " "}, "reason", ANALYST),
        ("/risk/lists/{risk_list}/entries/abc/remove", {"reason": "r"}, "entry_id", ANALYST),
    ],
    ("POST", "/risk/controls"): [
        ("/risk/controls", {"kind": "cap", "name": "x"}, "kind", ANALYST),
        (
            "/risk/controls",
            {"kind": "limit", "name": "", "single_amount": "1", "required_auth": ["face"]},
            "name",
            ANALYST,
        ),
        (
            "/risk/controls",
            {"kind": "limit", "name": "x", "required_auth": ["face"]},
            "single_amount",
            ANALYST,
        ),
        ("/risk/controls", {"kind": "limit", "name": "x", "single_amount": "1"}, "required_auth", ANALYST),
        (
            "/risk/controls",
            {"kind": "authorisation", "name": "x", "single_amount": "1", "review_minutes": 0},
            "review_minutes",
            ANALYST,
        ),
    ],
    ("PATCH", "/risk/controls/{control_id}"): [
        ("/risk/controls/{control}", {"single_amount": "abc"}, "single_amount", ANALYST),
        ("/risk/controls/{control}", {"required_auth": ["none"]}, "required_auth", ANALYST),
        ("/risk/controls/abc", {"active": False}, "control_id", ANALYST),
    ],
    ("POST", "/risk/reviews/{review_id}/propose"): [
        ("/risk/reviews/{review}/propose", {"outcome": "maybe", "note": "x"}, "outcome", ANALYST),
        ("/risk/reviews/{review}/propose", {"outcome": "release", "note": ""}, "note", ANALYST),
    ],
    ("POST", "/risk/reviews/{review_id}/confirm"): [
        ("/risk/reviews/{review_proposed}/confirm", {"note": "x" * 1001}, "note", ANALYST),
        ("/risk/reviews/abc/confirm", {}, "review_id", ANALYST),
    ],
    ("POST", "/risk/reviews/{review_id}/return"): [
        ("/risk/reviews/{review_proposed}/return", {"note": ""}, "note", ANALYST),
    ],
    ("POST", "/risk/reviews/{review_id}/authorise"): [
        (
            "/risk/reviews/{review_authorisation}/authorise",
            {"outcome": "reject", "note": ""},
            "note",
            ANALYST,
        ),
        ("/risk/reviews/{review_authorisation}/authorise", {"outcome": "x"}, "outcome", ANALYST),
    ],
    ("POST", "/risk/channels/{channel}/assessments"): [
        (
            "/risk/channels/{channel}/assessments",
            ASSESSMENT | {"period_end": "2026-07-01"},
            "period_end",
            ANALYST,
        ),
        (
            "/risk/channels/{channel}/assessments",
            ASSESSMENT | {"qualitative_rating": "dire"},
            "qualitative_rating",
            ANALYST,
        ),
        (
            "/risk/channels/{channel}/assessments",
            ASSESSMENT | {"identified_risks": " "},
            "identified_risks",
            ANALYST,
        ),
        ("/risk/channels/{channel}/assessments", ASSESSMENT | {"incidents": -1}, "incidents", ANALYST),
        ("/risk/channels/carrier_pigeon/assessments", ASSESSMENT, "channel", ANALYST),
    ],
    ("POST", "/risk/counterparties"): [
        (
            "/risk/counterparties",
            {"kind": "bank", "identifier": "x", "name": "x", "grade": "A"},
            "kind",
            ANALYST,
        ),
        (
            "/risk/counterparties",
            {"kind": "merchant", "identifier": "x", "name": "x", "grade": "Z"},
            "grade",
            ANALYST,
        ),
        (
            "/risk/counterparties",
            {"kind": "merchant", "identifier": " ", "name": "x", "grade": "A"},
            "identifier",
            ANALYST,
        ),
    ],
    ("PATCH", "/risk/counterparties/{rating_id}"): [
        ("/risk/counterparties/{counterparty}", {"grade": "Q"}, "grade", ANALYST),
        ("/risk/counterparties/abc", {"grade": "A"}, "rating_id", ANALYST),
    ],
}

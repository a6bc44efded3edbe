"""Large-value transaction reports at the exact edges of the PBOC standards, and their deadlines."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from bastion.aml.actions.reports import do_generate_large_value_reports, do_record_exchange_rate
from bastion.aml.models import LargeValueReport
from bastion.platform.actions import do_load_public_holidays
from bastion.platform.calendars import CalendarSchedule, add_working_days
from tests.aml.helpers import at, make_customer, store_payment

DAY = "2026-11-20"  # a Friday


@pytest.fixture
def officer(world):
    return world.users["aml_officer"]


@pytest.fixture
def calendar(world):
    """The institution runs on the mainland public calendar with 2026's holidays and 调休 days."""
    institution = world.branch_a.institution
    institution.calendar = world.branch_a.calendar
    institution.save()
    for year in (2025, 2026):
        do_load_public_holidays(calendar=world.branch_a.calendar, year=year, actor=None)
    return institution.calendar


def generate(officer, day=DAY):
    return do_generate_large_value_reports(day=dt.date.fromisoformat(day), actor=officer)


def reports(**filters):
    return list(LargeValueReport.objects.filter(**filters).order_by("number"))


@pytest.mark.parametrize(("amount", "reported"), [("49999.99", False), ("50000.00", True)])
def test_cash_single_edge(world, officer, calendar, amount, reported):
    store_payment(when=at(DAY), amount=amount, channel="cash", business_type="deposit", branch=world.branch_a)
    generate(officer)
    found = reports(standard="cash")
    assert bool(found) is reported
    if reported:
        assert found[0].direction == "in" and found[0].single and found[0].total == Decimal("50000.00")


def test_cash_cumulative_inflow_and_outflow_apart(world, officer, calendar):
    for amount in ("20000.00", "29999.99"):
        store_payment(when=at(DAY, "09:00"), amount=amount, channel="cash", business_type="deposit")
    for amount in ("30000.00", "20000.00"):
        store_payment(when=at(DAY, "15:00"), amount=amount, channel="cash", business_type="withdrawal")
    generate(officer)
    found = reports(standard="cash")
    assert [(r.direction, r.total, r.single, r.payment_count) for r in found] == [
        ("out", Decimal("50000.00"), False, 2)
    ]  # the inflow sums to 49,999.99 and is not reported; the outflow is, cumulatively


def test_same_day_is_the_institution_day(world, officer, calendar):
    # 23:59 Beijing time on the 20th and 00:01 on the 21st are different trade days.
    store_payment(when=at(DAY, "23:59"), amount="30000.00", channel="cash", business_type="deposit")
    store_payment(when=at("2026-11-21", "00:01"), amount="30000.00", channel="cash", business_type="deposit")
    generate(officer)
    generate(officer, "2026-11-21")
    assert reports() == []


@pytest.mark.parametrize(
    ("kind", "cross_border", "below", "at_edge", "standard"),
    [
        ("institution", False, "1999999.99", "2000000.00", "institution_transfer"),
        ("natural_person", False, "499999.99", "500000.00", "person_domestic"),
        ("natural_person", True, "199999.99", "200000.00", "person_cross_border"),
    ],
)
def test_transfer_edges(world, officer, calendar, kind, cross_border, below, at_edge, standard):
    store_payment(
        when=at(DAY), amount=below, customer="C200001", customer_type=kind, cross_border=cross_border
    )
    store_payment(
        when=at(DAY), amount=at_edge, customer="C200002", customer_type=kind, cross_border=cross_border
    )
    generate(officer)
    assert [(r.customer_no, r.standard) for r in reports()] == [("C200002", standard)]


def test_domestic_and_cross_border_are_separate_standards(world, officer, calendar):
    store_payment(when=at(DAY), amount="300000.00", cross_border=False)
    store_payment(when=at(DAY), amount="150000.00", cross_border=True)
    generate(officer)
    assert reports() == []  # neither 450,000 domestic nor 150,000 cross-border is reportable


def test_payee_inflow_is_reported_for_known_customers(world, officer, calendar):
    make_customer("C900001", branch=world.branch_a, kind="natural_person")
    store_payment(when=at(DAY), amount="500000.00", customer="C100009", payee_customer="C900001")
    generate(officer)
    found = {(r.customer_no, r.direction) for r in reports(standard="person_domestic")}
    assert found == {("C100009", "out"), ("C900001", "in")}


def test_payment_meeting_two_standards_is_reported_under_each(world, officer, calendar):
    store_payment(when=at(DAY), amount="600000.00", channel="cash", business_type="remittance")
    generate(officer)
    assert {r.standard for r in reports()} == {"cash", "person_domestic"}


def test_usd_equivalents(world, officer, calendar):
    do_record_exchange_rate(
        currency="USD", day=dt.date(2026, 11, 19), cny_per_unit=Decimal("7.1000"), actor=officer
    )
    do_record_exchange_rate(
        currency="EUR", day=dt.date(2026, 11, 19), cny_per_unit=Decimal("7.7000"), actor=officer
    )
    # USD 9,999.99 cash is below; EUR 9,300 = USD 10,085.92 is above (measured in USD, not mixed with RMB).
    store_payment(when=at(DAY), amount="9999.99", currency="USD", channel="cash", business_type="deposit",
                  customer="C300001")  # fmt: skip
    store_payment(when=at(DAY), amount="9300.00", currency="EUR", channel="cash", business_type="deposit",
                  customer="C300002")  # fmt: skip
    store_payment(
        when=at(DAY), amount="49999.99", channel="cash", business_type="deposit", customer="C300002"
    )
    generate(officer)
    found = reports()
    assert [(r.customer_no, r.measure_currency, r.total) for r in found] == [
        ("C300002", "USD", Decimal("10085.92"))
    ]


def test_missing_rate_is_a_problem_not_a_silent_skip(world, officer, calendar):
    store_payment(when=at(DAY), amount="20000.00", currency="HKD", channel="cash", business_type="deposit")
    result = generate(officer)
    assert len(result.problems) == 1 and "HKD" in result.problems[0]


def test_blocked_and_rejected_payments_do_not_count(world, officer, calendar):
    from bastion.risk.models import Decision, RuleSetVersion

    payment = store_payment(when=at(DAY), amount="80000.00", channel="cash", business_type="deposit")
    Decision.objects.create(payment=payment, score=90, level="high_risk", action="block",
                            ruleset=RuleSetVersion.objects.first(), decided_at=at(DAY), latency_us=10)  # fmt: skip
    generate(officer)
    assert reports() == []


def test_regeneration_is_idempotent_and_picks_up_late_payments(world, officer, calendar):
    store_payment(when=at(DAY), amount="50000.00", channel="cash", business_type="deposit")
    first = generate(officer)
    again = generate(officer)
    assert len(first.created) == 1 and again.unchanged == 1 and not again.created
    store_payment(when=at(DAY, "16:00"), amount="100.00", channel="cash", business_type="deposit")
    late = generate(officer)
    assert late.updated == first.created
    (report,) = reports()
    assert report.total == Decimal("50100.00") and report.payment_count == 2


@pytest.mark.parametrize(
    ("trade_day", "due"),
    [
        ("2026-11-20", "2026-11-27"),  # Friday: the weekend does not count
        ("2026-09-30", "2026-10-13"),  # National Day: 1-7 Oct off, Sat 10 Oct is a 调休 working day
        ("2026-02-13", "2026-02-27"),  # Spring Festival: Sat 14 Feb worked, 15-23 Feb off
    ],
)
def test_deadline_is_five_working_days_on_the_institution_calendar(world, officer, calendar, trade_day, due):
    store_payment(when=at(trade_day), amount="50000.00", channel="cash", business_type="deposit")
    generate(officer, trade_day)
    assert reports()[0].due_on == dt.date.fromisoformat(due)


def test_add_working_days_on_plain_schedules():
    weekdays = CalendarSchedule.build(weekly={d: [(dt.time(9), dt.time(17))] for d in range(5)})
    assert add_working_days(schedule=weekdays, day=dt.date(2026, 11, 21), days=1) == dt.date(2026, 11, 23)
    assert add_working_days(schedule=weekdays, day=dt.date(2026, 11, 23), days=0) == dt.date(2026, 11, 23)
    closed = CalendarSchedule.build(weekly={})
    with pytest.raises(ValueError, match="no working days"):
        add_working_days(schedule=closed, day=dt.date(2026, 11, 23), days=5)


def test_today_cannot_be_generated(world, officer, calendar):
    from bastion.platform.errors import FieldError

    with pytest.raises(FieldError):
        do_generate_large_value_reports(day=timezone.localdate() + dt.timedelta(days=1), actor=officer)

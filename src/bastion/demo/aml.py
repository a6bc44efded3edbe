"""Demo AML data built on the demo payments: KYC records, large-value reports, alerts and cases.

Customers are the payers the AML officers will meet first: everyone behind a flagged or
large-value payment, plus a sample of ordinary customers, with Chinese names, encrypted identity
data and ratings from the documented factors. The day's large-value reports are drafted for every
demo day that has ended, the rule sweep turns the demo decisions into alerts, and three cases show
the life of an investigation: one open with notes, one proposed for a second officer, one reported
with its suspicious transaction report in draft. Everything goes through the ``do_*`` actions.

Screening: an internal watch list names three of the demo customers in other renderings (pinyin,
traditional characters, swapped order) so the hits page shows why each matched, and a fictional
terrorist list in the UN consolidated-list shape shows an escalated hit. Typologies run over the
demo payments with merchant acquiring accounts exempted, and a fraud-model version trained on
generated payments waits for a second person's approval.

Idempotent: when any AML customer exists, nothing more is loaded.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.utils import timezone

from bastion.aml.actions.cases import (
    do_add_case_note,
    do_confirm_case_decision,
    do_open_case,
    do_propose_case_decision,
)
from bastion.aml.actions.customers import do_add_beneficial_owner, do_create_customer
from bastion.aml.actions.pipeline import do_sweep_rule_alerts
from bastion.aml.actions.reports import do_generate_large_value_reports, do_record_exchange_rate
from bastion.aml.actions.screening import do_create_watch_list, do_import_watch_list, do_rescreen_customers
from bastion.aml.actions.typologies import do_sweep_typologies, do_update_typology_settings
from bastion.aml.models import Alert, Customer
from bastion.aml.services.calendar import regulatory_calendar
from bastion.identity.models import User
from bastion.risk.models import StoredPayment

SEED = 20261124
SAMPLE = 250
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红燕鹏辉建国志文斌海波宇浩思雨欣怡子涵梓轩"
OCCUPATIONS = ("teacher", "engineer", "civil_servant", "doctor", "self_employed", "retired", "student", "sales",
               "farmer", "driver", "jewellery", "used_cars")  # fmt: skip
FIRMS = ("贸易", "科技", "物流", "实业", "餐饮", "建材", "电子", "医药")
RATES = {
    "USD": Decimal("7.1020"),
    "EUR": Decimal("7.6815"),
    "HKD": Decimal("0.91240"),
    "JPY": Decimal("0.046875"),
}


def _id_number(rng: random.Random, born: dt.date) -> str:
    """A well-formed 18-digit resident ID (GB 11643 check digit), not a real person's."""
    body = f"{rng.choice(('110101', '310115', '440106', '510107', '330106'))}{born:%Y%m%d}{rng.randint(100, 999)}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]
    return body + check


def _person(rng: random.Random) -> dict[str, Any]:
    born = dt.date(rng.randint(1955, 2003), rng.randint(1, 12), rng.randint(1, 28))
    name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
    return {
        "name": name, "id_type": "resident_id", "id_number": _id_number(rng, born), "date_of_birth": born.isoformat(),
        "phone": f"1{rng.choice((38, 39, 58, 86, 88))}{rng.randint(10_000_000, 99_999_999)}",
        "occupation": rng.choice(OCCUPATIONS), "expected_monthly_amount": Decimal(rng.choice((5, 10, 30, 80))) * 1000,
        "non_face_to_face": rng.random() < 0.2,
    }  # fmt: skip


def _institution(rng: random.Random, city: str) -> dict[str, Any]:
    name = f"{city}{rng.choice(SURNAMES)}{rng.choice(GIVEN)}{rng.choice(FIRMS)}有限公司"
    code = "91" + "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(16))
    return {"name": name, "id_type": "business_licence", "id_number": code, "occupation": rng.choice(("trade", "precious_metals", "logistics")),
            "expected_monthly_amount": Decimal(rng.choice((200, 500, 2000))) * 1000}  # fmt: skip


def _customers(rng: random.Random) -> int:
    flagged = set(
        StoredPayment.objects.filter(~Q(decision__level="normal")).values_list("payer_customer", flat=True)
    )
    big = set(StoredPayment.objects.filter(amount__gte=40_000).values_list("payer_customer", flat=True))
    everyone = sorted(set(StoredPayment.objects.values_list("payer_customer", flat=True).distinct()))
    chosen = sorted(flagged | big | set(rng.sample(everyone, min(SAMPLE, len(everyone)))))
    first = {
        row["payer_customer"]: row
        for row in StoredPayment.objects.filter(payer_customer__in=chosen)
        .order_by("pk").values("payer_customer", "customer_type", "branch_id", "city")
    }  # fmt: skip
    for customer_no in chosen:
        row = first[customer_no]
        kind = row["customer_type"]
        data = _institution(rng, row["city"] or "上海") if kind == "institution" else _person(rng)
        data["is_pep"] = kind != "institution" and rng.random() < 0.01
        customer = do_create_customer(customer_no=customer_no, kind=kind, branch_id=row["branch_id"] or _any_branch(),
                                      data=data, actor=None)  # fmt: skip
        if kind == "institution" and rng.random() < 0.7:
            owner = _person(rng)
            do_add_beneficial_owner(customer_id=customer.pk, name=owner["name"], id_type="resident_id",
                                    id_number=owner["id_number"], ownership_percent=Decimal(rng.choice((35, 51, 60, 100))),
                                    control="股权控制", actor=None)  # fmt: skip
    return len(chosen)


def _any_branch() -> int:
    from bastion.identity.models import Branch

    return int(Branch.objects.order_by("pk").values_list("pk", flat=True)[0])


def _reports() -> int:
    calendar = regulatory_calendar()
    today = calendar.local_day(timezone.now())
    days = sorted(
        {calendar.local_day(t) for t in StoredPayment.objects.values_list("occurred_at", flat=True)}
    )
    for day in days[:1]:
        for currency, rate in RATES.items():
            do_record_exchange_rate(
                currency=currency, day=day - dt.timedelta(days=1), cny_per_unit=rate, actor=None
            )
    created = 0
    for day in days:
        if day < today:
            created += len(do_generate_large_value_reports(day=day, actor=None).created)
    return created


def _cases() -> int:
    officer, checker = User.objects.get(username="aml"), User.objects.get(username="aml2")
    subjects: list[str] = []
    for alert in Alert.objects.filter(status="new").order_by("-score", "pk"):
        if alert.customer_no not in subjects:
            subjects.append(alert.customer_no)
        if len(subjects) == 3:
            break
    for step, customer_no in enumerate(subjects):
        alert_ids = list(
            Alert.objects.filter(customer_no=customer_no, status="new").values_list("pk", flat=True)
        )
        case = do_open_case(alert_ids=alert_ids, assignee_id=officer.pk, actor=officer)
        do_add_case_note(
            case_id=case.pk, text="已调取客户开户资料及近三个月交易流水，资金来源待核实。", actor=officer
        )
        if step >= 1:
            do_propose_case_decision(case_id=case.pk, decision="report",
                                     reason="短期内多笔接近大额标准的交易，交易目的与客户身份不符，疑似拆分交易。", actor=officer)  # fmt: skip
        if step == 2:
            do_confirm_case_decision(case_id=case.pk, actor=checker)
    return len(subjects)


# Fictional entries in the shape of the UN consolidated list (no real person or entity).
TERRORIST_XML = """<?xml version="1.0" encoding="UTF-8"?>
<CONSOLIDATED_LIST dateGenerated="2026-11-01T00:00:00.000Z"><INDIVIDUALS>
<INDIVIDUAL><DATAID>DEMO-T-1</DATAID><FIRST_NAME>RASHID</FIRST_NAME><SECOND_NAME>AL-DEMO</SECOND_NAME>
<UN_LIST_TYPE>Al-Qaida</UN_LIST_TYPE><INDIVIDUAL_ALIAS><ALIAS_NAME>Abu Demo</ALIAS_NAME></INDIVIDUAL_ALIAS>
<INDIVIDUAL_DATE_OF_BIRTH><YEAR>1971</YEAR></INDIVIDUAL_DATE_OF_BIRTH></INDIVIDUAL>
</INDIVIDUALS><ENTITIES>
<ENTITY><DATAID>DEMO-T-2</DATAID><FIRST_NAME>NORTHWIND RELIEF FOUNDATION (DEMO)</FIRST_NAME>
<UN_LIST_TYPE>Al-Qaida</UN_LIST_TYPE></ENTITY>
</ENTITIES></CONSOLIDATED_LIST>"""


def _renderings(name: str) -> list[str]:
    """The same Chinese name as a list publisher might print it: pinyin, traditional, order swapped."""
    from opencc import OpenCC
    from pypinyin import lazy_pinyin

    syllables = lazy_pinyin(name)
    family, given = syllables[0].upper(), "".join(syllables[1:]).capitalize()
    return [f"{family} {given}", OpenCC("s2t").convert(name), f"{given} {family}"]


def _watch_lists(rng: random.Random) -> int:
    do_create_watch_list(
        code="internal", name="内部关注名单", kind="internal", source="反洗钱中心", actor=None
    )
    do_create_watch_list(code="un-demo", name="联合国安理会综合制裁名单（演示）", kind="terrorist",
                         source="UN Security Council (fictional demo entries)", actor=None)  # fmt: skip
    people = list(Customer.objects.filter(kind="natural_person").order_by("customer_no"))
    rows = ["id,type,name,aliases,date_of_birth,nationality,program,category"]
    for n, customer in enumerate(rng.sample(people, 3), start=1):
        primary, *aliases = _renderings(customer.name)
        rows.append(
            f"INT-{n},person,{primary},{'|'.join(aliases)},{customer.date_of_birth[:4]},CHN,内部关注,internal"
        )
    rows.append("INT-9,person,Wu Mingzhe,吴明哲,1966,CHN,涉诈账户持有人,fraud")
    do_import_watch_list(code="internal", data="\n".join(rows) + "\n", fmt="csv", replace=False, actor=None)
    do_import_watch_list(code="un-demo", data=TERRORIST_XML, fmt="xml", replace=False, actor=None)
    do_create_customer(customer_no="C9900001", kind="natural_person", branch_id=_any_branch(), actor=None,
                       data={"name": "拉希德", "name_en": "Rashid Al-Demo", "id_type": "passport",
                             "id_number": "P9900001", "nationality": "SYR", "date_of_birth": "1971-05-02",
                             "occupation": "trade"})  # fmt: skip
    return do_rescreen_customers(list_code="internal", entry_ids=["INT-1", "INT-2", "INT-3", "INT-9"])


def _typologies() -> int:
    do_update_typology_settings(params={"input": {"exempt_prefixes": ["M"]}}, actor=None,
                                note="商户收单账户（M 开头）不参与资金集中类检测")  # fmt: skip
    raised = 0
    while True:
        found = do_sweep_typologies()
        raised += found
        if not StoredPayment.objects.filter(pk__gt=_cursor("typology-alerts")).exists():
            return raised


def _cursor(name: str) -> int:
    from bastion.aml.models import SweepCursor

    return int(SweepCursor.objects.filter(name=name).values_list("position", flat=True).first() or 0)


def _fraud_model() -> None:
    from bastion.aml.actions.fraud import do_train_fraud_model

    do_train_fraud_model(train_start=dt.date(2026, 1, 5), train_end=dt.date(2026, 1, 25),
                         test_start=dt.date(2026, 1, 26), test_end=dt.date(2026, 2, 3), synthetic=True,
                         synthetic_rows=30_000, seed=3, actor=User.objects.get(username="risk"),
                         note="演示：在生成数据上训练，待第二人复核")  # fmt: skip


def load(*, institution: Any, branches: Sequence[Any], stdout: Any) -> str:
    """Load the AML demo on top of the demo payments; returns a one-line summary."""
    if Customer.objects.exists():
        return "aml: already loaded"
    if not StoredPayment.objects.exists():
        return "aml: no payments to build on"
    rng = random.Random(SEED)
    customers = _customers(rng)
    hits = _watch_lists(rng)
    reports = _reports()
    while do_sweep_rule_alerts():
        pass
    raised = _typologies()
    alerts = Alert.objects.count()
    cases = _cases()
    _fraud_model()
    return (
        f"aml: {customers} customers rated, {hits} screening hits, {reports} large-value reports, "
        f"{alerts} alerts ({raised} from typologies), {cases} cases, a fraud model awaiting approval"
    )

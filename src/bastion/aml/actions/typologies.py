"""Typology detection as payments arrive, tuning of its parameters, and backtests over history.

The sweep takes the payments stored after its cursor, loads what the typologies must look back
over (twice the longest look-back, so a repeat inside a cool-down is recognised; cash history for
unusual cash; each account's last earlier payment for dormancy) and runs the batch detectors of
:mod:`bastion.aml.typologies` over that window. Only alerts completed by one of the new payments
are raised, each once (its key names the typology, subject and completing payment), in the same
transaction that moves the cursor (docs/decisions/0605-aml-typology-sweep.md).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from bastion.aml import permissions as perms
from bastion.aml.actions.cases import do_raise_alert
from bastion.aml.actions.common import clean_text, person_of, require
from bastion.aml.choices import AlertSource, AlertStatus, CaseStatus
from bastion.aml.models import Alert, SweepCursor, TypologySettings
from bastion.aml.services.typologies import config_from, current_config, last_activity_before, payments_frame
from bastion.aml.typologies import Alert as Detected
from bastion.aml.typologies import TypologyConfig, build, detect
from bastion.audit.actions import record_event
from bastion.risk.models import StoredPayment

CURSOR = "typology-alerts"
BATCH = 20_000
US = dt.timedelta(microseconds=1)


def _window(config: TypologyConfig, first: dt.datetime, last: dt.datetime, accounts: set[str]) -> Q:
    typologies = build(config)
    general = max((t.lookback_us for t in typologies if t.code != "unusual_cash"), default=0)
    window = Q(occurred_at__gte=first - 2 * general * US, occurred_at__lte=last)
    if any(t.code == "unusual_cash" for t in typologies):
        cash = max(t.lookback_us for t in typologies if t.code == "unusual_cash")
        window |= Q(
            occurred_at__gte=first - 2 * cash * US, occurred_at__lte=last, channel__in=("cash", "atm")
        )
        window |= Q(occurred_at__gte=first - 2 * cash * US, occurred_at__lte=last,
                    business_type__in=("deposit", "withdrawal"), channel__in=("counter", "smart_counter"))  # fmt: skip
    if "dormant" in config.enabled:
        window |= last_activity_before(accounts, first - 2 * general * US)
    return window


def _branch_of(payment_ids: tuple[str, ...]) -> int | None:
    found = StoredPayment.objects.filter(payment_id__in=payment_ids, branch__isnull=False)
    return found.order_by("-occurred_at").values_list("branch_id", flat=True).first()


def _raise(found: Detected, version: int | None) -> bool:
    _, created = do_raise_alert(
        key=f"typology:{found.key}", source=AlertSource.TYPOLOGY, code=found.typology,
        customer_no=found.customer or "", account=found.subject if found.subject_type == "account" else "",
        score=round(found.score * 100), summary_zh=found.explanation_zh, summary_en=found.explanation_en,
        details={"metrics": {k: str(v) for k, v in found.metrics.items()}, "settings_version": version},
        payment_ids=list(found.payment_ids), total=Decimal(found.total_fen) / 100, first_at=found.start,
        last_at=found.end, branch_id=_branch_of(found.payment_ids),
    )  # fmt: skip
    return created


def detect_since(*, after_pk: int, limit: int, config: TypologyConfig) -> tuple[list[Detected], int]:
    """Alerts completed by the next ``limit`` stored payments after ``after_pk``, and the last pk read."""
    new = list(
        StoredPayment.objects.filter(pk__gt=after_pk)
        .order_by("pk")
        .values_list("pk", "payment_id", "occurred_at", "payer_account", "payee_account")[:limit]
    )
    if not new:
        return [], after_pk
    first, last = min(r[2] for r in new), max(r[2] for r in new)
    accounts = {r[3] for r in new} | {r[4] for r in new if r[4]}
    frame = payments_frame(_window(config, first, last, accounts))
    ids = {r[1] for r in new}
    completed = [a for a in detect(frame, config) if a.key.rsplit("|", 1)[-1] in ids]
    return completed, new[-1][0]


def do_sweep_typologies(*, limit: int = BATCH) -> int:
    """Raise typology alerts completed by the payments stored since the last sweep; returns how many raised."""
    with transaction.atomic():
        cursor, _ = SweepCursor.objects.select_for_update().get_or_create(name=CURSOR)
        settings = TypologySettings.objects.order_by("-version").first()
        config = config_from(settings.params) if settings else TypologyConfig()
        found, position = detect_since(after_pk=cursor.position, limit=limit, config=config)
        if position == cursor.position:
            return 0
        raised = sum(_raise(a, settings.version if settings else None) for a in found)
        cursor.position, cursor.updated_at = position, timezone.now()
        cursor.save(update_fields=["position", "updated_at"])
        if raised:
            record_event(action="aml.sweep_typologies", actor=None, object_type="aml.sweepcursor", object_id=CURSOR,
                         after={"raised": raised, "position": position})  # fmt: skip
    return raised


def do_update_typology_settings(*, params: dict[str, Any], note: str, actor: Any) -> TypologySettings:
    """Put new typology parameters in force (validated first); earlier versions are kept."""
    require(actor, perms.INVESTIGATE)
    config_from(params)  # refuse a bad parameter before anything is written
    note = clean_text(note, "note", 1000)
    with transaction.atomic():
        previous = TypologySettings.objects.select_for_update().order_by("-version").first()
        created = TypologySettings.objects.create(
            version=(previous.version + 1) if previous else 1,
            params=params,
            note=note,
            changed_by=person_of(actor),
        )
        record_event(action="aml.update_typology_settings", actor=actor, obj=created,
                     before={"params": previous.params if previous else {}}, after={"params": params, "note": note})  # fmt: skip
    return created


def backtest_typologies(*, params: dict[str, Any], start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
    """Run candidate parameters and those in force over stored history; compare with known outcomes.

    An alert is *known suspicious* when an alert with the same typology and subject ended in a
    reported case, and *known benign* when such an alert was excluded or its case closed; precision
    is measured on the alerts whose outcome is known.
    """
    candidate, current = config_from(params), current_config()
    reach = max((t.lookback_us for t in build(candidate) + build(current)), default=0)
    frame = payments_frame(Q(occurred_at__gte=start - reach * US, occurred_at__lt=end))
    outcomes = _known_outcomes()

    def summary(config: TypologyConfig) -> dict[str, Any]:
        alerts = [a for a in detect(frame, config) if start <= a.end < end]
        per: dict[str, Counter[str]] = {}
        for alert in alerts:
            counts = per.setdefault(alert.typology, Counter())
            counts["alerts"] += 1
            counts[outcomes.get((alert.typology, alert.customer or alert.subject), "unknown")] += 1
        return {code: _with_precision(c) for code, c in sorted(per.items())}

    return {"payments": frame.height, "candidate": summary(candidate), "in_force": summary(current)}


def _with_precision(counts: Counter[str]) -> dict[str, Any]:
    known = counts["suspicious"] + counts["benign"]
    return {**counts, "precision": round(counts["suspicious"] / known, 4) if known else None}


def _known_outcomes() -> dict[tuple[str, str], str]:
    found: dict[tuple[str, str], str] = {}
    rows = Alert.objects.filter(source=AlertSource.TYPOLOGY).values_list("code", "customer_no", "account", "status",
                                                                         "case__status")  # fmt: skip
    for code, customer_no, account, status, case_status in rows:
        if case_status == CaseStatus.REPORTED:
            verdict = "suspicious"
        elif status == AlertStatus.EXCLUDED or case_status == CaseStatus.CLOSED:
            verdict = "benign"
        else:
            continue
        for subject in {customer_no, account} - {""}:
            found[(code, subject)] = verdict
    return found

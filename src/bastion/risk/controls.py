"""Payment controls applied after the engine's decision: limits (R4.4) and business authorisation.

The engine scores; the controls only ever raise the action (never lower it) and add their own
entries to ``fired`` (ids ``LIMIT-<pk>-SINGLE``, ``LIMIT-<pk>-DAILY``, ``AUTH-<pk>``, zero points),
so a decision still says everything that made it. Daily totals are kept per payer account and bank
day by the partition's owner: an account belongs to exactly one owner, so the total covers all of
its payments however many processes serve the API (docs/decisions/0510).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings

from bastion.engine import Decision, Payment
from bastion.engine.money import format_fen
from bastion.engine.scoring import ACTIONS, FiredRule, frozen
from bastion.risk import conf
from bastion.risk.models import PaymentControl

FEN = Decimal(100)
COUNTED_ACTIONS = frozenset({"allow", "review"})  # what completes and so uses up a daily limit


def _fen(amount: Decimal | None) -> int | None:
    return None if amount is None else int(amount * FEN)


@dataclass(frozen=True)
class Control:
    """A :class:`PaymentControl` row, compiled for the scoring path."""

    pk: int
    kind: str
    name: str
    channel: str
    business_type: str
    customer_type: str
    customer: str
    single_fen: int | None
    daily_fen: int | None
    required_auth: tuple[str, ...]
    review_minutes: int

    @classmethod
    def of(cls, row: PaymentControl) -> Control:
        return cls(
            row.pk, row.kind, row.name, row.channel, row.business_type, row.customer_type, row.customer,
            _fen(row.single_amount), _fen(row.daily_amount), tuple(row.required_auth or ()), row.review_minutes,
        )  # fmt: skip

    def applies(self, p: Payment) -> bool:
        return (
            (not self.channel or self.channel == p.channel)
            and (not self.business_type or self.business_type == p.business_type)
            and (not self.customer_type or self.customer_type == p.customer_type)
            and (not self.customer or self.customer == p.customer)
        )


@dataclass
class Verdict:
    """What the controls add to one decision."""

    decision: Decision
    authorisation: Control | None = None


@dataclass
class DayTotals:
    """Per payer account, per bank day: fen by (channel, business type) of payments that completed."""

    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo(settings.TIME_ZONE))
    totals: dict[tuple[str, date], dict[tuple[str, str], int]] = field(default_factory=dict)

    def day_of(self, ts_us: int) -> date:
        return datetime.fromtimestamp(ts_us / 1_000_000, self.zone).date()

    def total(self, p: Payment, control: Control) -> int:
        """What the payer account already spent today in the control's channel and business type."""
        spent = self.totals.get((p.payer, self.day_of(p.ts)), {})
        return sum(
            fen
            for (channel, business_type), fen in spent.items()
            if (not control.channel or control.channel == channel)
            and (not control.business_type or control.business_type == business_type)
        )

    def add(self, account: str, day: date, channel: str, business_type: str, fen: int) -> None:
        spent = self.totals.setdefault((account, day), {})
        spent[(channel, business_type)] = spent.get((channel, business_type), 0) + fen

    def yesterday_start(self) -> datetime:
        """Midnight (bank time) of yesterday: late payments of yesterday may still arrive."""
        today = datetime.now(self.zone).date()
        return datetime.combine(today - timedelta(days=1), datetime.min.time(), self.zone)

    def count(self, p: Payment) -> None:
        self.add(p.payer, self.day_of(p.ts), p.channel, p.business_type, p.amount)

    pruned_on: date | None = None

    def prune(self) -> None:
        """Once a day, drop the totals of days before yesterday (bounded memory)."""
        today = datetime.now(self.zone).date()
        if self.pruned_on == today:
            return
        self.pruned_on = today
        oldest = today - timedelta(days=1)
        for key in [k for k in self.totals if k[1] < oldest]:
            del self.totals[key]


def _raise(decision: Decision, action: str, extra: list[FiredRule], required: Iterable[str] = ()) -> Decision:
    new_action = max(decision.action, action, key=ACTIONS.index)
    needed = tuple(dict.fromkeys([*decision.required_auth, *required])) if new_action == "challenge" else (
        decision.required_auth
    )  # fmt: skip
    return dataclasses.replace(
        decision, action=new_action, required_auth=needed, fired=(*decision.fired, *extra)
    )


def _fired(rule_id: str, zh: str, en: str, evidence: dict[str, str]) -> FiredRule:
    return frozen(FiredRule, id=rule_id, points=0, reason_zh=zh, reason_en=en, evidence=evidence)


def apply_controls(decision: Decision, p: Payment, controls: Iterable[Control], days: DayTotals) -> Verdict:
    """Raise ``decision`` for the limits and authorisation thresholds ``p`` crosses."""
    fired: list[FiredRule] = []
    required: list[str] = []
    authorisation: Control | None = None
    for control in controls:
        if not control.applies(p):
            continue
        if control.kind == "authorisation":
            if control.single_fen is not None and p.amount >= control.single_fen and authorisation is None:
                authorisation = control
                fired.append(_fired(
                    f"AUTH-{control.pk}", f"需业务授权：{control.name}",
                    f"Business authorisation required: {control.name}",
                    {"amount": format_fen(p.amount), "threshold": format_fen(control.single_fen)},
                ))  # fmt: skip
            continue
        if p.auth_method in control.required_auth:
            continue  # the payer already verified the way the limit asks
        if control.single_fen is not None and p.amount > control.single_fen:
            fired.append(_fired(
                f"LIMIT-{control.pk}-SINGLE", f"超过单笔限额：{control.name}",
                f"Above the single limit: {control.name}",
                {"amount": format_fen(p.amount), "limit": format_fen(control.single_fen)},
            ))  # fmt: skip
            required.extend(control.required_auth)
        elif control.daily_fen is not None:
            spent = days.total(p, control)
            if spent + p.amount > control.daily_fen:
                fired.append(_fired(
                    f"LIMIT-{control.pk}-DAILY", f"超过当日累计限额：{control.name}",
                    f"Above the daily limit: {control.name}",
                    {"amount": format_fen(p.amount), "today_before": format_fen(spent),
                     "limit": format_fen(control.daily_fen)},
                ))  # fmt: skip
                required.extend(control.required_auth)
    if not fired:
        return Verdict(decision)
    result = decision
    if required or any(f.id.startswith("LIMIT-") for f in fired):
        result = _raise(result, "challenge", [f for f in fired if f.id.startswith("LIMIT-")], required)
    if authorisation is not None:
        result = _raise(result, "hold", [f for f in fired if f.id.startswith("AUTH-")])
        if result.action == "block":
            authorisation = None  # blocked outright: nothing to authorise
    return Verdict(result, authorisation)


@dataclass(frozen=True)
class NewReview:
    """A queue row to store with a decision: why it waits, until when, and who submitted it."""

    kind: str
    due_at: datetime
    operator: str


def review_of(verdict: Verdict, decided_at: datetime, operator: str) -> NewReview | None:
    """The review a decision needs: authorisation, a held payment, or an allowed one to review."""
    if verdict.authorisation is not None:
        minutes = verdict.authorisation.review_minutes
        return NewReview("authorisation", decided_at + timedelta(minutes=minutes), operator[:150])
    action = verdict.decision.action
    if action == "hold":
        return NewReview("hold", decided_at + timedelta(minutes=conf.hold_review_minutes()), operator[:150])
    if action == "review":
        return NewReview("review", decided_at + timedelta(minutes=conf.review_minutes()), operator[:150])
    return None

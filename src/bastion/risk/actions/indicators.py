"""Writes of the monitoring indicators (002 5.1-5.3): computing a day, thresholds, warnings.

``do_compute_indicators`` is idempotent: it upserts a day's values (same keys, same values on a
re-run), removes values the day no longer has, and raises each warning once per (threshold, period,
scope) — the unique constraint holds that even when two computations overlap. Computed values are
derived data and not audited; raised warnings, threshold changes and acknowledgements are.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from bastion.audit.actions import record_event
from bastion.engine.schema import CHANNELS
from bastion.platform.errors import Conflict, FieldError, NotFound, PermissionDenied
from bastion.risk import permissions as perms
from bastion.risk.choices import (
    Comparison,
    Granularity,
    Indicator,
    IndicatorScope,
    ThresholdScope,
    WarningSeverity,
)
from bastion.risk.models import IndicatorThreshold, IndicatorValue, IndicatorWarning
from bastion.risk.services import indicators as services

UPSERT_BATCH = 1_000
MAX_RANGE_DAYS = 3_660
VALUE_LIMIT = Decimal("1e21")
NOTIFY_KIND = "risk.indicator_warning"
THRESHOLD_FIELDS = (
    "name", "indicator", "granularity", "scope", "channel", "branch_id", "comparison", "value",
    "severity", "responsible_id", "active",
)  # fmt: skip


@dataclass(frozen=True)
class ComputeResult:
    """What one day's computation stored: values upserted, stale values removed, warnings raised."""

    day: dt.date
    values: int
    removed: int
    warnings: int


def do_compute_indicators(*, day: dt.date, now: dt.datetime | None = None) -> ComputeResult:
    """Recompute one day's indicator values (daily and hourly, every scope) and raise the warnings."""
    # ``stamp`` marks this run's rows; ``now`` decides which periods have ended (tests move it).
    stamp = timezone.now()
    now = now or stamp
    computed = services.compute_day(day)
    start, end = services.day_window(day)
    with transaction.atomic():
        rows = [
            IndicatorValue(
                granularity=c.granularity, period_start=c.period_start, scope=c.scope, scope_key=c.scope_key,
                channel=c.channel, branch_id=c.branch_id, indicator=c.indicator, value=c.value, computed_at=stamp,
            )
            for c in computed
        ]  # fmt: skip
        for first in range(0, len(rows), UPSERT_BATCH):
            IndicatorValue.objects.bulk_create(
                rows[first : first + UPSERT_BATCH],
                update_conflicts=True,
                unique_fields=["granularity", "period_start", "scope", "scope_key", "indicator"],
                update_fields=["value", "channel", "branch", "computed_at"],
            )
        # Every current row was just stamped; any other row of the day is no longer in it.
        removed, _by_model = (
            IndicatorValue.objects.filter(period_start__gte=start, period_start__lt=end)
            .exclude(computed_at=stamp)
            .delete()
        )
        raised = _raise_warnings(start=start, end=end, now=now)
    return ComputeResult(day=day, values=len(rows), removed=removed, warnings=raised)


def do_compute_indicator_range(
    *, start: dt.date, end: dt.date, progress: Callable[[dt.date], None] | None = None
) -> list[ComputeResult]:
    """Recompute each day from ``start`` to ``end`` in date order, each day in its own transaction."""
    if end < start:
        raise FieldError("end", _("The end is before the start."))
    if (end - start).days >= MAX_RANGE_DAYS:
        raise FieldError("end", _("At most %(n)d days at a time.") % {"n": MAX_RANGE_DAYS})
    results = []
    for day in services.days_between(start, end):
        results.append(do_compute_indicators(day=day))
        if progress is not None:
            progress(day)
    return results


def _raise_warnings(*, start: dt.datetime, end: dt.datetime, now: dt.datetime) -> int:
    """Warnings for values of [start, end) that cross an active threshold and have none yet."""
    raised = 0
    # Locking the thresholds serialises concurrent computations of the same day on PostgreSQL.
    thresholds = list(
        IndicatorThreshold.objects.select_for_update().filter(active=True).select_related("responsible")
    )
    for threshold in thresholds:
        crossing = list(services.values_crossing(threshold, start=start, end=end, now=now))
        if not crossing:
            continue
        known = set(
            IndicatorWarning.objects.filter(
                threshold=threshold, period_start__gte=start, period_start__lt=end
            ).values_list("granularity", "period_start", "scope", "scope_key")
        )
        new = [
            IndicatorWarning(
                threshold=threshold, granularity=v.granularity, period_start=v.period_start, scope=v.scope,
                scope_key=v.scope_key, channel=v.channel, branch_id=v.branch_id, indicator=v.indicator,
                value=v.value, comparison=threshold.comparison, limit=threshold.value,
                severity=threshold.severity, responsible=threshold.responsible, raised_at=now,
            )
            for v in crossing
            if (v.granularity, v.period_start, v.scope, v.scope_key) not in known
        ]  # fmt: skip
        for warning in new:
            warning.save()
            record_event(
                action="risk.raise_indicator_warning",
                actor=None,
                obj=warning,
                after=_warning_state(warning),
            )
        if new:
            _notify(threshold, new)
            raised += len(new)
    return raised


def _warning_state(warning: IndicatorWarning) -> dict[str, Any]:
    return {
        "threshold": warning.threshold_id,
        "indicator": warning.indicator,
        "granularity": warning.granularity,
        "period_start": warning.period_start.isoformat(),
        "scope": warning.scope,
        "scope_key": warning.scope_key,
        "value": str(warning.value),
        "comparison": warning.comparison,
        "limit": str(warning.limit),
        "severity": warning.severity,
    }


def scope_label(scope: str, key: str, branch: Any = None) -> str:
    """The scope as a reader names it: a channel's name, a branch's name, or the institution."""
    from bastion.risk.forms import channel_label

    if scope == IndicatorScope.CHANNEL:
        return channel_label(key)
    if scope == IndicatorScope.BRANCH:
        return str(branch.name) if branch is not None else key
    return str(_("Institution"))


def _notify(threshold: IndicatorThreshold, warnings: list[IndicatorWarning]) -> None:
    """One notification per threshold and computation, listing the periods that crossed it."""
    from bastion.notify.actions import do_notify

    zone = services.bank_zone()
    lines = []
    for warning in warnings[:20]:
        when = warning.period_start.astimezone(zone)
        period = when.strftime("%Y-%m-%d" if warning.granularity == Granularity.DAY else "%Y-%m-%d %H:00")
        lines.append(
            _("%(period)s, %(scope)s: %(value)s %(comparison)s %(limit)s")
            % {
                "period": period,
                "scope": scope_label(warning.scope, warning.scope_key, warning.branch),
                "value": _plain(warning.value),
                "comparison": Comparison(warning.comparison).label,
                "limit": _plain(warning.limit),
            }
        )
    if len(warnings) > 20:
        lines.append(_("and %(n)d more") % {"n": len(warnings) - 20})
    subject = _("Indicator warning (%(severity)s): %(name)s") % {
        "severity": WarningSeverity(threshold.severity).label,
        "name": threshold.name,
    }
    do_notify(
        recipients=[threshold.responsible],
        kind=NOTIFY_KIND,
        subject=subject,
        body="\n".join([str(Indicator(threshold.indicator).label), *lines]),
        link=reverse("risk:indicator_warnings") + "?status=open",
        obj=warnings[0],
    )


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


# --- thresholds ------------------------------------------------------------------------------------
def _require(actor: Any, code: str) -> None:
    if actor is not None and not actor.has_permission(code):
        raise PermissionDenied(_("You lack the permission %(code)s.") % {"code": code})


def _user_of(actor: Any) -> Any:
    from bastion.identity.models import ApiToken, User

    if isinstance(actor, User):
        return actor
    if isinstance(actor, ApiToken):
        return actor.owner
    return None


def _choice(field: str, value: Any, choices: Any) -> str:
    if value not in choices.values:
        raise FieldError(field, _("Select a valid choice."))
    return str(value)


def _id_or_none(value: Any, field: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise FieldError(field, _("Select a valid choice.")) from None


def _clean_threshold(data: dict[str, Any]) -> dict[str, Any]:
    """Check a threshold's fields as a whole; returns them cleaned."""
    from bastion.identity.models import Branch, User

    name = (data.get("name") or "").strip()
    if not name:
        raise FieldError("name", _("This field is required."))
    if len(name) > 100:
        raise FieldError("name", _("At most %(n)d characters.") % {"n": 100})
    clean: dict[str, Any] = {
        "name": name,
        "indicator": _choice("indicator", data.get("indicator"), Indicator),
        "granularity": _choice("granularity", data.get("granularity"), Granularity),
        "scope": _choice("scope", data.get("scope"), ThresholdScope),
        "comparison": _choice("comparison", data.get("comparison"), Comparison),
        "severity": _choice("severity", data.get("severity"), WarningSeverity),
        "active": bool(data.get("active", True)),
    }
    try:
        value = Decimal(str(data.get("value")))
    except (InvalidOperation, ValueError):
        raise FieldError("value", _("Enter a number.")) from None
    if not value.is_finite() or abs(value) >= VALUE_LIMIT:
        raise FieldError("value", _("Enter a number."))
    clean["value"] = value.quantize(services.SIX_PLACES)
    channel = (data.get("channel") or "").strip()
    if channel and clean["scope"] != ThresholdScope.CHANNEL:
        raise FieldError("channel", _("A channel narrows channel thresholds only."))
    if channel and channel not in CHANNELS:
        raise FieldError("channel", _("Select a valid choice."))
    clean["channel"] = channel
    branch_id = _id_or_none(data.get("branch_id"), "branch_id")
    if branch_id is not None:
        if clean["scope"] != ThresholdScope.BRANCH:
            raise FieldError("branch_id", _("A branch narrows branch thresholds only."))
        if not Branch.objects.filter(pk=branch_id).exists():
            raise FieldError("branch_id", _("Unknown branch."))
    clean["branch_id"] = branch_id
    responsible_id = _id_or_none(data.get("responsible_id"), "responsible_id")
    responsible = User.objects.filter(pk=responsible_id or 0, is_active=True).first()
    if responsible is None:
        raise FieldError("responsible_id", _("Choose an active user."))
    if not (
        responsible.has_permission(perms.VIEW_INDICATORS)
        and responsible.has_permission(perms.ACKNOWLEDGE_WARNINGS)
    ):
        raise FieldError(
            "responsible_id", _("The responsible person must be able to see and acknowledge warnings.")
        )
    scope = responsible.branch_scope()
    covered = (
        scope.allows(branch_id)
        if clean["scope"] == ThresholdScope.BRANCH and branch_id
        else scope.all_branches
    )
    if not covered:
        raise FieldError(
            "responsible_id",
            _("The responsible person's branch scope must cover every value the threshold watches."),
        )
    clean["responsible_id"] = responsible.pk
    return clean


def _threshold_state(threshold: IndicatorThreshold) -> dict[str, Any]:
    state = {name: getattr(threshold, name) for name in THRESHOLD_FIELDS}
    state["value"] = str(state["value"])
    return state


def do_create_indicator_threshold(*, actor: Any, **fields: Any) -> IndicatorThreshold:
    """Create a threshold on an indicator, with its responsible person."""
    _require(actor, perms.MANAGE_THRESHOLDS)
    unknown = set(fields) - set(THRESHOLD_FIELDS)
    if unknown:
        raise FieldError(sorted(unknown)[0], _("Unknown field."))
    clean = _clean_threshold(fields)
    user = _user_of(actor)
    with transaction.atomic():
        threshold = IndicatorThreshold.objects.create(**clean, created_by=user, updated_by=user)
        record_event(
            action="risk.create_indicator_threshold",
            actor=actor,
            obj=threshold,
            after=_threshold_state(threshold),
        )
    return threshold


def do_update_indicator_threshold(*, threshold_id: int, actor: Any, **changes: Any) -> IndicatorThreshold:
    """Change a threshold (deactivate it with ``active=False``); warnings already raised keep their copy."""
    _require(actor, perms.MANAGE_THRESHOLDS)
    unknown = set(changes) - set(THRESHOLD_FIELDS)
    if unknown:
        raise FieldError(sorted(unknown)[0], _("Unknown field."))
    with transaction.atomic():
        threshold = IndicatorThreshold.objects.select_for_update().filter(pk=threshold_id).first()
        if threshold is None:
            raise NotFound(_("Indicator threshold not found."))
        before = _threshold_state(threshold)
        clean = _clean_threshold({**before, "value": threshold.value, **changes})
        for name, value in clean.items():
            setattr(threshold, name, value)
        threshold.updated_at, threshold.updated_by = timezone.now(), _user_of(actor)
        threshold.save()
        after = _threshold_state(threshold)
        record_event(
            action="risk.update_indicator_threshold",
            actor=actor,
            obj=threshold,
            before={k: v for k, v in before.items() if after[k] != v},
            after={k: v for k, v in after.items() if before[k] != v},
        )
    return threshold


def do_acknowledge_indicator_warning(*, warning_id: int, note: str, actor: Any) -> IndicatorWarning:
    """Acknowledge an open warning in one's branch scope, saying what was done about it."""
    _require(actor, perms.ACKNOWLEDGE_WARNINGS)
    note = (note or "").strip()
    if not note:
        raise FieldError("note", _("Say what was checked or done."))
    if len(note) > 1000:
        raise FieldError("note", _("At most %(n)d characters.") % {"n": 1000})
    with transaction.atomic():
        visible = services.get_warning(principal=actor, warning_id=warning_id)
        warning = IndicatorWarning.objects.select_for_update().get(pk=visible.pk)
        if warning.acknowledged_at is not None:
            raise Conflict(_("This warning was already acknowledged."), code="already_acknowledged")
        warning.acknowledged_at, warning.acknowledged_by, warning.note = timezone.now(), _user_of(actor), note
        warning.save(update_fields=["acknowledged_at", "acknowledged_by", "note"])
        record_event(
            action="risk.acknowledge_indicator_warning", actor=actor, obj=warning, after={"note": note}
        )
    return warning

"""Console pages of typology tuning (R5.3): the parameters in force, a new version, and a backtest.

Every parameter is a field of its own, shown with its meaning; the officer's entries are turned
into overrides of the documented defaults (what equals the default is not stored), which
:func:`~bastion.aml.actions.typologies.do_update_typology_settings` validates before anything is
written. A refusal names the parameter and keeps the entries on the page. The backtest is a read:
the same entries run over stored history next to the parameters in force.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.http import require_POST

from bastion.aml import permissions as perms
from bastion.aml.actions.typologies import backtest_typologies, do_update_typology_settings
from bastion.aml.services.calendar import regulatory_calendar
from bastion.aml.services.typologies import SECTIONS, current_config, current_settings, describe
from bastion.aml.typologies import TypologyConfig
from bastion.aml.typologies.params import ALL_TYPOLOGIES
from bastion.aml.views.common import actor_of, regulatory_today
from bastion.platform.errors import DomainError, FieldError
from bastion.web import charts
from bastion.web.http import console_view

MAX_BACKTEST_DAYS = 92
DEFAULT_BACKTEST_DAYS = 30
# Kinds the stored overrides can express (services.typologies); the others are shown, not edited.
EDITABLE = frozenset({"Decimal", "timedelta", "int", "float", "tuple[str, ...]"})

TITLES: dict[str, Any] = {
    "input": gettext_lazy("Input: how payments map to cash and transfers"),
    "structuring": gettext_lazy("Structuring (splitting under reporting thresholds)"),
    "pass_through": gettext_lazy("Rapid pass-through (in fast, out fast)"),
    "fan_in": gettext_lazy("Fan-in (many payers into one account)"),
    "fan_out": gettext_lazy("Fan-out (one account to many payees)"),
    "cycle": gettext_lazy("Round-tripping (money returns along a cycle)"),
    "scatter_gather": gettext_lazy("Scatter-gather (split over intermediaries, gathered again)"),
    "gather_scatter": gettext_lazy("Gather-scatter (a hub collects then disperses)"),
    "dormant": gettext_lazy("Dormant account suddenly active"),
    "unusual_cash": gettext_lazy("Unusual cash volume or frequency"),
}
_FAN: dict[str, Any] = {
    "window": gettext_lazy("Period in which the payments are counted."),
    "min_counterparties": gettext_lazy("Fewest distinct counterparties that raise an alert."),
    "min_total": gettext_lazy("Smallest total (CNY) of those payments."),
}
HELP: dict[str, dict[str, Any]] = {
    "input": {
        "transfer_types": gettext_lazy("Business types counted as transfers (comma-separated)."),
        "cash_types": gettext_lazy("Business types counted as cash (comma-separated)."),
        "cash_channels": gettext_lazy("Channels counted as cash (comma-separated)."),
        "non_monetary": gettext_lazy("Business types that move no money and are ignored."),
        "utc_offset": gettext_lazy("Offset of the local calendar day from UTC (China Standard Time: 8h)."),
        "exempt_prefixes": gettext_lazy(
            "Account prefixes (merchants, payroll) never made the subject of a flow alert."
        ),
        "fx_rates": gettext_lazy("Reference rates to CNY for foreign-currency payments."),
    },
    "structuring": {
        "cash_threshold": gettext_lazy("Cash reporting threshold (CNY)."),
        "person_transfer_threshold": gettext_lazy("Natural-person transfer reporting threshold (CNY)."),
        "institution_transfer_threshold": gettext_lazy("Institution transfer reporting threshold (CNY)."),
        "band": gettext_lazy("How far under a threshold a payment counts as near it (0.10 = within 10%)."),
        "window": gettext_lazy("Period in which the near-threshold payments are counted."),
        "min_count": gettext_lazy("Fewest near-threshold payments whose sum reaches the threshold."),
    },
    "pass_through": {
        "window": gettext_lazy("Period from the first inflow in which the outflows are counted."),
        "min_inflow": gettext_lazy("Smallest inflow (CNY) considered."),
        "min_out_ratio": gettext_lazy("Lowest share of the inflow paid out again."),
        "max_out_ratio": gettext_lazy("Highest share of the inflow paid out again."),
        "include_cash": gettext_lazy("Whether cash deposits and withdrawals count."),
    },
    "fan_in": _FAN,
    "fan_out": _FAN,
    "cycle": {
        "min_length": gettext_lazy("Fewest transfers in a cycle."),
        "max_length": gettext_lazy("Most transfers in a cycle (at most 8)."),
        "window": gettext_lazy("Period in which the whole cycle is completed."),
        "amount_tolerance": gettext_lazy("How much each hop may differ from the previous one (0.10 = 10%)."),
        "min_amount": gettext_lazy("Smallest amount (CNY) of each hop."),
    },
    "scatter_gather": {
        "window": gettext_lazy("Period in which both legs are completed."),
        "min_intermediaries": gettext_lazy("Fewest distinct intermediary accounts."),
        "amount_tolerance": gettext_lazy("How much a second leg may differ from the first (0.10 = 10%)."),
        "min_amount": gettext_lazy("Smallest amount (CNY) of each leg."),
        "min_total": gettext_lazy("Smallest total (CNY) gathered at the target."),
    },
    "gather_scatter": {
        "window": gettext_lazy("Period in which the hub collects and disperses."),
        "min_sources": gettext_lazy("Fewest distinct payers into the hub."),
        "min_targets": gettext_lazy("Fewest distinct payees of the hub."),
        "min_total": gettext_lazy("Smallest inflow (CNY) into the hub."),
        "min_out_ratio": gettext_lazy("Lowest share of the inflow dispersed again."),
    },
    "dormant": {
        "dormant_for": gettext_lazy("Shortest period without any activity."),
        "active_window": gettext_lazy("Period after the first new payment in which activity is counted."),
        "min_total": gettext_lazy("Smallest amount (CNY) moved in that period."),
        "min_count": gettext_lazy("Fewest payments in that period."),
    },
    "unusual_cash": {
        "window": gettext_lazy("Period in which cash volume is summed."),
        "history": gettext_lazy("Own history compared against (whole days)."),
        "min_amount": gettext_lazy("Smallest cash volume (CNY) in the period."),
        "multiple": gettext_lazy(
            "How many times the typical cash day (own or peers', the larger) the volume must be."
        ),
        "large_amount": gettext_lazy("A large cash payment (CNY), for the frequency rule."),
        "frequent_window": gettext_lazy("Period of the frequency rule."),
        "frequent_count": gettext_lazy("Fewest large cash payments in that period."),
        "min_history_days": gettext_lazy("Days of peer cash history needed before the volume rule applies."),
    },
}


def _kinds(section: str) -> dict[str, str]:
    return {f.name: str(f.type) for f in dataclasses.fields(getattr(TypologyConfig(), section))}


def _shown(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(_shown(v) for v in value)
    return str(value)


def _parsed(kind: str, raw: str) -> Any:
    """The entry as the stored overrides hold it; what cannot be read is passed on for the action to name."""
    raw = raw.strip()
    if kind == "tuple[str, ...]":
        return [part.strip() for part in raw.split(",") if part.strip()]
    if kind == "int" and raw.lstrip("-").isdigit():
        return int(raw)
    if kind == "float":
        try:
            return float(raw)
        except ValueError:
            return raw
    return raw


def _same(kind: str, value: Any, default: Any) -> bool:
    if kind == "Decimal":
        try:
            return Decimal(str(value)) == Decimal(str(default))
        except InvalidOperation:
            return False
    return bool(value == default)


def overrides_from(post: QueryDict, current: dict[str, Any]) -> dict[str, Any]:
    """The officer's entries as overrides of the defaults; parameters not editable here keep their overrides."""
    defaults = describe(TypologyConfig())
    found: dict[str, Any] = {}
    for section in SECTIONS:
        stored = current.get(section)
        kept: dict[str, Any] = stored if isinstance(stored, dict) else {}
        for name, kind in _kinds(section).items():
            key = f"{section}.{name}"
            if kind not in EDITABLE or key not in post:
                if name in kept:
                    found.setdefault(section, {})[name] = kept[name]
                continue
            value = _parsed(kind, str(post.get(key, "")))
            if not _same(kind, value, defaults[section][name]):
                found.setdefault(section, {})[name] = value
    if "enabled_shown" in post:
        enabled = [code for code in ALL_TYPOLOGIES if f"enabled.{code}" in post]
        if enabled != list(ALL_TYPOLOGIES):
            found["enabled"] = enabled
    elif "enabled" in current:
        found["enabled"] = current["enabled"]
    return found


def _sections(values: dict[str, Any], bad: str = "") -> list[dict[str, Any]]:
    """Every section with its parameters: the value shown in the field, the default, the meaning."""
    defaults = describe(TypologyConfig())
    enabled = set(values.get("enabled", ALL_TYPOLOGIES))
    found = []
    for section in SECTIONS:
        kinds = _kinds(section)
        params = [
            {"name": name, "field": f"{section}.{name}", "value": _shown(values[section][name]),
             "default": _shown(defaults[section][name]), "help": HELP.get(section, {}).get(name, ""),
             "editable": kinds[name] in EDITABLE, "bad": bad == f"{section}.{name}",
             "changed": _shown(values[section][name]) != _shown(defaults[section][name])}
            for name in kinds
        ]  # fmt: skip
        found.append({"code": section, "title": TITLES.get(section, section), "params": params,
                      "typology": section in ALL_TYPOLOGIES, "enabled": section in enabled,
                      "bad": bad == section})  # fmt: skip
    return found


def _entered(post: QueryDict, in_force: dict[str, Any]) -> dict[str, Any]:
    """What the form shows after a submission: the officer's entries over the values in force."""
    values: dict[str, Any] = {s: dict(p) for s, p in in_force.items() if isinstance(p, dict)}
    for section in SECTIONS:
        for name in values[section]:
            if f"{section}.{name}" in post:
                values[section][name] = post[f"{section}.{name}"]
    values["enabled"] = (
        [c for c in ALL_TYPOLOGIES if f"enabled.{c}" in post]
        if "enabled_shown" in post
        else in_force["enabled"]
    )
    return values


def _refusal(exc: DomainError) -> tuple[str, str]:
    """The refusal naming each bad parameter ("structuring.band: must be in ..."), and the first one."""
    parts = [f"{name}: {text}" for name, texts in exc.fields.items() for text in texts]
    return " ".join(parts) or str(exc.message), next(iter(exc.fields), "")


def _context(request: HttpRequest, values: dict[str, Any], **extra: Any) -> dict[str, Any]:
    settings = current_settings()
    today = regulatory_today()
    return {
        "settings": settings, "sections": _sections(values, extra.pop("bad", "")),
        "overrides": settings.params if settings else {},
        "may_edit": actor_of(request).has_permission(perms.INVESTIGATE),
        "start": request.POST.get("start") or (today - dt.timedelta(days=DEFAULT_BACKTEST_DAYS)).isoformat(),
        "end": request.POST.get("end") or today.isoformat(), "note": request.POST.get("note", ""),
        "breadcrumbs": [(_("Typology parameters"), "")], **extra,
    }  # fmt: skip


@console_view(perms.VIEW_ALERTS)
def typologies(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    in_force = describe(current_config())
    if request.method != "POST":
        return render(request, "aml/typologies.html", _context(request, in_force))
    if not actor.has_permission(perms.INVESTIGATE):
        raise PermissionDenied(perms.INVESTIGATE)
    settings = current_settings()
    try:
        params = overrides_from(request.POST, settings.params if settings else {})
        created = do_update_typology_settings(params=params, note=request.POST.get("note", ""), actor=actor)
    except DomainError as exc:
        text, bad = _refusal(exc)
        messages.error(request, text)
        return render(request, "aml/typologies.html",
                      _context(request, _entered(request.POST, in_force), bad=bad))  # fmt: skip
    messages.success(request, _("Version %(version)d is in force.") % {"version": created.version})
    return redirect(reverse("aml:typologies"))


def _day(request: HttpRequest, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(request.POST.get(name, ""))
    except ValueError:
        raise FieldError(name, _("Give a date as YYYY-MM-DD.")) from None


def _rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    codes = [c for c in ALL_TYPOLOGIES if c in result["candidate"] or c in result["in_force"]]
    codes += sorted((set(result["candidate"]) | set(result["in_force"])) - set(codes))
    empty = {"alerts": 0, "suspicious": 0, "benign": 0, "precision": None}
    return [{"code": code, "title": TITLES.get(code, code), "in_force": {**empty, **result["in_force"].get(code, {})},
             "candidate": {**empty, **result["candidate"].get(code, {})}} for code in codes]  # fmt: skip


def _chart(rows: list[dict[str, Any]]) -> str:
    """Alerts per typology, in force next to candidate, as an ``<img>`` data URI (one computation)."""
    labels, values = [], []
    for row in rows:
        for key, tag in (
            ("in_force", pgettext("backtest", "in force")),
            ("candidate", pgettext("backtest", "candidate")),
        ):
            labels.append(f"{row['code']}\n{tag}")
            values.append(float(row[key]["alerts"]))
    svg = charts.bar_chart(
        title=_("Alerts per typology: in force and candidate"), labels=labels, values=values,
        y_label=_("alerts"), empty_text=_("No alert in this period."), width=max(7.0, 1.1 * len(labels)),
    )  # fmt: skip
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


@console_view(perms.INVESTIGATE)
@require_POST
def typologies_backtest(request: HttpRequest) -> HttpResponse:
    in_force = describe(current_config())
    settings = current_settings()
    entered = _entered(request.POST, in_force)
    try:
        start, end = _day(request, "start"), _day(request, "end")
        if end < start:
            raise FieldError("end", _("The end comes before the start."))
        if (end - start).days > MAX_BACKTEST_DAYS:
            raise FieldError("end", _("Backtest at most 92 days at a time."))
        tz = regulatory_calendar().tz
        result = backtest_typologies(
            params=overrides_from(request.POST, settings.params if settings else {}),
            start=dt.datetime.combine(start, dt.time(0), tzinfo=tz),
            end=dt.datetime.combine(end + dt.timedelta(days=1), dt.time(0), tzinfo=tz),
        )
    except DomainError as exc:
        text, bad = _refusal(exc)
        messages.error(request, text)
        return render(request, "aml/typologies.html", _context(request, entered, bad=bad))
    rows = _rows(result)
    context = _context(request, entered, backtest={"payments": result["payments"], "rows": rows,
                                                   "chart": _chart(rows)})  # fmt: skip
    return render(request, "aml/typologies.html", context)


def url_patterns() -> list[URLPattern]:
    """The console routes of these pages, for ``bastion/aml/urls.py`` (namespace ``aml``)."""
    return [
        path("typologies/", typologies, name="typologies"),
        path("typologies/backtest/", typologies_backtest, name="typologies_backtest"),
    ]

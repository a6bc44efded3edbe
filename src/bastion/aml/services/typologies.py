"""Reads for typology detection: the parameters in force, and stored payments as a detection frame.

Parameters are stored as overrides of the documented defaults of :mod:`bastion.aml.typologies`
(money as decimal strings in yuan, durations as ``"45s"``, ``"30m"``, ``"24h"`` or ``"7d"``, ratios
as numbers); :func:`config_from` turns them into a validated ``TypologyConfig`` and names the bad
parameter when one is out of range.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

import polars as pl
from django.db.models import Max, Q
from django.utils.translation import gettext as _

from bastion.aml.models import TypologySettings
from bastion.aml.services.large_value import NOT_MOVED
from bastion.aml.typologies import ParameterError, TypologyConfig
from bastion.platform.errors import FieldError
from bastion.risk.models import StoredPayment
from bastion.risk.services.backtests import boundary_frame

_DURATION = re.compile(r"^(\d+)([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
SECTIONS = tuple(f.name for f in dataclasses.fields(TypologyConfig) if f.name != "enabled")


def _duration(text: Any, name: str) -> dt.timedelta:
    found = _DURATION.match(str(text).strip())
    if not found:
        raise FieldError(name, _("Give a duration such as 45s, 30m, 24h or 7d."))
    return dt.timedelta(**{_UNITS[found.group(2)]: int(found.group(1))})


def _value(kind: str, value: Any, name: str) -> Any:
    if kind == "Decimal":
        try:
            return Decimal(str(value))
        except InvalidOperation:
            raise FieldError(name, _("Give an amount in yuan, such as 50000.")) from None
    if kind == "timedelta":
        return _duration(value, name)
    if kind == "int":
        if isinstance(value, bool) or not str(value).lstrip("-").isdigit():
            raise FieldError(name, _("Give a whole number."))
        return int(value)
    if kind == "tuple[str, ...]":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise FieldError(name, _("Give a list of texts."))
        return tuple(value)
    if kind == "float":
        try:
            return float(value)
        except (TypeError, ValueError):
            raise FieldError(name, _("Give a number.")) from None
    raise FieldError(name, _("This parameter cannot be changed here."))


def _section(name: str, overrides: Any) -> Any:
    default = getattr(TypologyConfig(), name)
    if not isinstance(overrides, dict):
        raise FieldError(name, _("Give the parameters of this typology as an object."))
    kinds = {f.name: str(f.type) for f in dataclasses.fields(default)}
    changes = {}
    for key, value in overrides.items():
        if key not in kinds:
            raise FieldError(f"{name}.{key}", _("Unknown parameter."))
        changes[key] = _value(kinds[key], value, f"{name}.{key}")
    try:
        return dataclasses.replace(default, **changes)
    except ParameterError as exc:
        # The parameter classes name themselves by class ("fan"); officers know the typology.
        raise FieldError(f"{name}.{exc.parameter.split('.', 1)[-1]}", str(exc).split(": ", 1)[-1]) from None


def config_from(params: dict[str, Any]) -> TypologyConfig:
    """A validated configuration from stored overrides; a bad value names its parameter."""
    unknown = sorted(set(params) - {*SECTIONS, "enabled"})
    if unknown:
        raise FieldError(unknown[0], _("Unknown typology."))
    sections = {name: _section(name, params[name]) for name in SECTIONS if name in params}
    try:
        if "enabled" in params:
            sections["enabled"] = tuple(params["enabled"])
        return TypologyConfig(**sections)
    except ParameterError as exc:
        raise FieldError(exc.parameter, str(exc)) from None


def current_settings() -> TypologySettings | None:
    return TypologySettings.objects.order_by("-version").first()


def current_config() -> TypologyConfig:
    settings = current_settings()
    return config_from(settings.params) if settings else TypologyConfig()


def describe(config: TypologyConfig) -> dict[str, Any]:
    """Every parameter in force, as text an officer reads and edits."""

    def text(value: Any) -> Any:
        if isinstance(value, dt.timedelta):
            seconds = int(value.total_seconds())
            for size, unit in ((86400, "d"), (3600, "h"), (60, "m")):
                if seconds % size == 0:
                    return f"{seconds // size}{unit}"
            return f"{seconds}s"
        if isinstance(value, tuple):
            return [text(v) for v in value]
        return str(value) if isinstance(value, Decimal) else value

    found: dict[str, Any] = {"enabled": list(config.enabled)}
    for name in SECTIONS:
        section = getattr(config, name)
        found[name] = {f.name: text(getattr(section, f.name)) for f in dataclasses.fields(section)}
    return found


def payments_frame(query: Q) -> pl.DataFrame:
    """Stored payments that moved money, matching ``query``, as the typologies' boundary columns."""
    payments = StoredPayment.objects.filter(query).exclude(NOT_MOVED).order_by("occurred_at", "pk")
    return boundary_frame(payments)[0]


def last_activity_before(accounts: set[str], before: dt.datetime) -> Q:
    """The latest earlier payment of each account (payer or payee side), for dormancy."""
    if not accounts:
        return Q(pk__in=[])
    earlier = StoredPayment.objects.filter(occurred_at__lt=before)
    as_payer = earlier.filter(payer_account__in=accounts).values("payer_account").annotate(last=Max("pk"))
    as_payee = earlier.filter(payee_account__in=accounts).values("payee_account").annotate(last=Max("pk"))
    return Q(pk__in={row["last"] for row in as_payer} | {row["last"] for row in as_payee})

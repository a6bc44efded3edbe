"""Personal data on its way out: masked for most, clear (and audited) for those who must see it.

Every view, API response and export that shows an ID, phone or account number passes it through
:func:`present_pii` (or :func:`present_pii_fields` for several fields of one record), so the masking
rule and the sensitive-read audit event live in one place (R1.6, R1.5).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import models

from bastion.audit.actions import record_sensitive_read
from bastion.platform.masking import MASKERS

UNMASKED_PERMISSION = "identity.view_pii_unmasked"


def _may_see_clear(principal: Any) -> bool:
    return principal is not None and bool(principal.has_permission(UNMASKED_PERMISSION))


def _mask(value: str, kind: str) -> str:
    try:
        return MASKERS[kind](value)
    except KeyError:
        raise ValueError(f"unknown personal-data kind {kind!r}; known: {sorted(MASKERS)}") from None


def present_pii(
    *, value: str | None, kind: str, principal: Any, obj: models.Model | None = None, field: str = ""
) -> str:
    """The value as this principal may see it; a clear read is written to the audit trail first."""
    masked = _mask(value or "", kind)
    if not value or not _may_see_clear(principal):
        return masked
    record_sensitive_read(actor=principal, what=f"pii.{kind}", obj=obj, extra={"fields": [field or kind]})
    return value


def present_pii_fields(*, obj: models.Model, fields: Mapping[str, str], principal: Any) -> dict[str, str]:
    """Several personal-data attributes of one record (``{attribute: kind}``), one audit event for all."""
    values = {name: str(getattr(obj, name) or "") for name in fields}
    for name, kind in fields.items():
        _mask(values[name], kind)  # refuse an unknown kind whoever asks
    shown = [name for name, value in values.items() if value]
    if not shown or not _may_see_clear(principal):
        return {name: _mask(values[name], kind) for name, kind in fields.items()}
    record_sensitive_read(actor=principal, what="pii.record", obj=obj, extra={"fields": sorted(shown)})
    return values

"""Writing audit events: changes (inside the caller's transaction), sensitive reads and exports."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bastion.audit import services
from bastion.audit.chain import GENESIS_HASH, normalise, row_hash
from bastion.audit.models import AuditEvent
from bastion.platform.context import current_context
from bastion.platform.errors import DomainError, FieldError, PermissionDenied

# Any constant works; it only has to be the same for every writer of the chain.
_CHAIN_LOCK_KEY = 0x42A57_10AD17


def _lock_chain_head() -> None:
    """Serialise appenders. SQLite's IMMEDIATE transactions already hold the write lock."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])


def _actor_fields(actor: Any) -> dict[str, Any]:
    if actor is None:
        return {"actor_type": "system", "actor_id": None, "actor_label": "system"}
    from bastion.identity.models import ApiToken

    if isinstance(actor, ApiToken):
        return {"actor_type": "token", "actor_id": actor.pk, "actor_label": actor.display_name[:150]}
    if getattr(actor, "is_authenticated", False):
        return {"actor_type": "user", "actor_id": actor.pk, "actor_label": str(actor.get_username())[:150]}
    return {"actor_type": "anonymous", "actor_id": None, "actor_label": "anonymous"}


def record_event(
    *,
    action: str,
    actor: Any,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    branch_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain inside the caller's transaction (it fails without one)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit events are written in the same transaction as the change they record")
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:300]
        if branch_id is None:
            branch_id = _branch_of(obj)
    context = current_context()
    _lock_chain_head()
    head = AuditEvent.objects.order_by("-seq").values_list("seq", "row_hash").first()
    seq, prev = (head[0] + 1, head[1]) if head else (1, GENESIS_HASH)
    fields: dict[str, Any] = {
        "seq": seq,
        "occurred_at": timezone.now(),
        **_actor_fields(actor),
        "source_ip": context.source_ip,
        "request_id": context.request_id,
        "channel": context.channel,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "object_repr": object_repr[:300],
        "branch_id": branch_id,
        "before": normalise(before),
        "after": normalise(after),
        "extra": normalise(extra or {}),
        "prev_hash": prev,
    }
    return AuditEvent.objects.create(**fields, row_hash=row_hash(fields))


def _branch_of(obj: models.Model) -> int | None:
    """The branch an object belongs to, following its model's ``branch_scope_path``."""
    path = getattr(type(obj), "branch_scope_path", None)
    if not path:
        return None
    if path == "pk":
        return int(obj.pk)
    *hops, last = path.split("__")
    holder: Any = obj
    for hop in hops:
        holder = getattr(holder, hop, None)
        if holder is None:
            return None
    # Read a foreign key's id column rather than the relation, which would cost a query.
    value = getattr(holder, f"{last}_id") if hasattr(holder, f"{last}_id") else getattr(holder, last, None)
    return value.pk if isinstance(value, models.Model) else value


_READ_SUBJECT = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")


def record_sensitive_read(
    *, actor: Any, what: str, obj: models.Model | None = None, extra: dict[str, Any] | None = None
) -> AuditEvent:
    """Log that unmasked personal data was shown or data left the system (action ``read.<what>``)."""
    if not _READ_SUBJECT.match(what) or len(what) > 75:
        raise ValueError(f"read subjects are dotted lower-case names, not {what!r}")
    with transaction.atomic():
        return record_event(action=f"read.{what}", actor=actor, obj=obj, extra=extra)


EXPORT_MAX_ROWS = 100_000


def do_export_events(
    *,
    principal: Any,
    actor_label: str | None = None,
    action: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    branch_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    fmt: str = "csv",
) -> bytes:
    """Export the events the principal may see, and log the export (filters, count, digest)."""
    if not principal.has_permission(services.EXPORT_PERMISSION):
        raise PermissionDenied(_("You may not export the audit trail."))
    if fmt not in services.EXPORT_FORMATS:
        raise FieldError(
            "fmt", _("Choose one of: %(formats)s.") % {"formats": ", ".join(services.EXPORT_FORMATS)}
        )
    filters: dict[str, Any] = {
        "actor_label": actor_label,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "branch_id": branch_id,
        "since": since,
        "until": until,
    }
    # Read outside a transaction: on SQLite an open write transaction would block every other writer
    # for as long as the export takes. The logged count is of the rows actually written out.
    events = services.search_events(principal=principal, **filters).order_by("seq")
    total = events.count()
    if total > EXPORT_MAX_ROWS:
        raise DomainError(
            _("%(count)s events match; narrow the filters to at most %(max)s.")
            % {"count": total, "max": EXPORT_MAX_ROWS},
            code="export_too_large",
        )
    exported = 0

    def counted(rows: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        nonlocal exported
        for row in rows:
            exported += 1
            yield row

    content = services.render_events(
        counted(events.values(*services.EXPORT_COLUMNS).iterator(chunk_size=2000)), fmt=fmt
    )
    record_sensitive_read(
        actor=principal,
        what="audit_export",
        extra={
            "filters": {k: v for k, v in filters.items() if v is not None},
            "format": fmt,
            "rows": exported,
            "sha256": hashlib.sha256(content).hexdigest(),
        },
    )
    return content


def do_record_chain_verification(*, actor: Any) -> services.VerificationResult:
    """Recompute the whole chain, then append the outcome as an event (the trail attests its checks)."""
    result = services.verify_chain()
    with transaction.atomic():
        record_event(
            action="audit.chain_verified",
            actor=actor,
            object_type="audit.chain",
            object_id=str(result.head_seq or 0),
            object_repr="audit chain",
            after={
                "ok": result.ok,
                "events": result.events,
                "head_seq": result.head_seq,
                "head_hash": result.head_hash,
                "first_bad_seq": result.first_bad_seq,
                "problem": result.problem,
                "message": result.message,
            },
        )
    return result

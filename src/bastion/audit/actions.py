"""Writing audit events. Callers are actions that already hold a transaction."""

from __future__ import annotations

from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from bastion.audit.chain import GENESIS_HASH, normalise, row_hash
from bastion.audit.models import AuditEvent
from bastion.platform.context import current_context

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
    value: Any = obj
    for part in path.split("__"):
        if value is None:
            return None
        attr = f"{part}_id"
        if part == path.split("__")[-1] and hasattr(value, attr):
            return getattr(value, attr)
        value = getattr(value, part, None)
    return value.pk if isinstance(value, models.Model) else value

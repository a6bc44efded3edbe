"""Reads of the audit trail: chain verification, the head checkpoint, scoped search. No side effects."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from bastion.audit.chain import GENESIS_HASH, HASHED_FIELDS, canonical_json, format_time, row_hash
from bastion.audit.models import AuditEvent
from bastion.platform.errors import FieldError, PermissionDenied
from bastion.platform.scoping import Principal, get_scoped_object, scoped

VIEW_PERMISSION = "audit.view_trail"
EXPORT_PERMISSION = "audit.export_trail"
DEFAULT_BATCH_SIZE = 5000
_HASH_RE = re.compile(r"^[0-9a-f]{64}$")


# --- Verification ---------------------------------------------------------------------------------


class Problem:
    """Why a chain fails to verify; the values are stable codes for scripts and the API."""

    ROW_HASH_MISMATCH = "row_hash_mismatch"
    PREV_HASH_MISMATCH = "prev_hash_mismatch"
    SEQUENCE_GAP = "sequence_gap"
    DUPLICATE_SEQUENCE = "duplicate_sequence"
    CHECKPOINT_MISSING = "checkpoint_missing"
    CHECKPOINT_MISMATCH = "checkpoint_mismatch"


@dataclass(frozen=True)
class Checkpoint:
    """A chain head anchored outside the database: the event ``seq`` had hash ``row_hash``."""

    seq: int
    row_hash: str

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """Read ``SEQ:HASH`` (the form ``bastion audit checkpoint`` prints)."""
        seq_text, sep, digest = text.strip().partition(":")
        digest = digest.strip().lower()
        if not sep or not seq_text.isdigit() or int(seq_text) < 1 or not _HASH_RE.match(digest):
            raise ValueError(
                _("A checkpoint looks like SEQ:HASH: a sequence number, a colon, 64 hex digits.")
            )
        return cls(int(seq_text), digest)

    def __str__(self) -> str:
        return f"{self.seq}:{self.row_hash}"


@dataclass(frozen=True)
class VerificationResult:
    """The outcome of recomputing the chain; when broken, the first bad sequence number and why."""

    ok: bool
    events: int
    head_seq: int | None
    head_hash: str
    first_bad_seq: int | None = None
    problem: str | None = None
    message: str = ""
    checkpoints: tuple[Checkpoint, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["checkpoints"] = [str(c) for c in self.checkpoints]
        return data


class _ChainBroken(Exception):
    def __init__(self, seq: int, problem: str, message: str) -> None:
        super().__init__(message)
        self.seq, self.problem, self.message = seq, problem, message


_ROW_COLUMNS = ("id", *HASHED_FIELDS, "row_hash")


def _rows_in_chain_order(using: str, batch_size: int) -> Iterator[dict[str, Any]]:
    """Every row ordered by (seq, id), read in keyset-paginated batches so memory stays flat.

    Paginating on the pair, not on seq alone, keeps rows that share a sequence number (possible only
    if the unique constraint was dropped) from hiding on either side of a batch boundary.
    """
    rows = AuditEvent.objects.using(using).order_by("seq", "id").values(*_ROW_COLUMNS)
    last: tuple[int, int] | None = None
    while True:
        page = rows if last is None else rows.filter(Q(seq__gt=last[0]) | Q(seq=last[0], id__gt=last[1]))
        batch = list(page[:batch_size])
        yield from batch
        if len(batch) < batch_size:
            return
        last = (batch[-1]["seq"], batch[-1]["id"])


def _check_row(row: dict[str, Any], expected_seq: int, prev_hash: str) -> None:
    seq = row["seq"]
    if seq == expected_seq - 1:
        raise _ChainBroken(
            seq, Problem.DUPLICATE_SEQUENCE, _("sequence number %(seq)s appears twice") % {"seq": seq}
        )
    if seq != expected_seq:
        raise _ChainBroken(
            expected_seq,
            Problem.SEQUENCE_GAP,
            _(
                "sequence gap: expected event %(expected)s next but found %(seq)s "
                "(an event was deleted or renumbered)"
            )
            % {"expected": expected_seq, "seq": seq},
        )
    if row["prev_hash"] != prev_hash:
        raise _ChainBroken(
            seq,
            Problem.PREV_HASH_MISMATCH,
            _(
                "prev hash mismatch: event %(seq)s does not link to event %(previous)s "
                "(an event was altered, inserted or moved here)"
            )
            % {"seq": seq, "previous": seq - 1 if seq > 1 else _("genesis")},
        )
    if row_hash(row) != row["row_hash"]:
        raise _ChainBroken(
            seq,
            Problem.ROW_HASH_MISMATCH,
            _("row hash mismatch: event %(seq)s was altered after it was written") % {"seq": seq},
        )


def _check_checkpoints(checkpoints: Sequence[Checkpoint], seen: dict[int, str], head_seq: int) -> None:
    for checkpoint in checkpoints:
        if checkpoint.seq > head_seq:
            raise _ChainBroken(
                checkpoint.seq,
                Problem.CHECKPOINT_MISSING,
                _("checkpoint %(seq)s is beyond the chain head %(head)s: anchored events were deleted")
                % {"seq": checkpoint.seq, "head": head_seq},
            )
        if seen[checkpoint.seq] != checkpoint.row_hash:
            raise _ChainBroken(
                checkpoint.seq,
                Problem.CHECKPOINT_MISMATCH,
                _(
                    "checkpoint mismatch: event %(seq)s no longer has the anchored hash "
                    "(the chain was rewritten at or before %(seq)s)"
                )
                % {"seq": checkpoint.seq},
            )


def verify_chain(
    *,
    checkpoints: Sequence[Checkpoint] = (),
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_progress: Callable[[int], None] | None = None,
    using: str = "default",
) -> VerificationResult:
    """Recompute the whole chain in sequence order and report the first inconsistency.

    Detects edited rows (row hash), rows moved, inserted or rewritten with their own hash recomputed
    (the next row's prev hash), deleted rows (a sequence gap) and duplicated sequence numbers. Deleting
    the newest events leaves a consistent shorter chain: only a checkpoint anchored outside the
    database reveals that, so pass the checkpoints you hold.
    """
    wanted = {c.seq for c in checkpoints}
    seen: dict[int, str] = {}
    expected_seq, prev_hash, count = 1, GENESIS_HASH, 0
    try:
        for row in _rows_in_chain_order(using, batch_size):
            _check_row(row, expected_seq, prev_hash)
            if row["seq"] in wanted:
                seen[row["seq"]] = row["row_hash"]
            expected_seq, prev_hash, count = expected_seq + 1, row["row_hash"], count + 1
            if on_progress is not None and count % 1000 == 0:
                on_progress(count)
        _check_checkpoints(checkpoints, seen, count)
    except _ChainBroken as broken:
        return VerificationResult(
            ok=False,
            events=count,
            head_seq=count or None,
            head_hash=prev_hash,
            first_bad_seq=broken.seq,
            problem=broken.problem,
            message=broken.message,
            checkpoints=tuple(checkpoints),
        )
    if on_progress is not None:
        on_progress(count)
    message = _("chain intact: %(count)s events, head %(hash)s") % {"count": count, "hash": prev_hash}
    return VerificationResult(
        ok=True,
        events=count,
        head_seq=count or None,
        head_hash=prev_hash,
        message=message,
        checkpoints=tuple(checkpoints),
    )


@dataclass(frozen=True)
class ChainHead:
    """The newest event of the chain, to anchor outside the database."""

    seq: int
    row_hash: str
    occurred_at: datetime | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "row_hash": self.row_hash,
            "occurred_at": format_time(self.occurred_at) if self.occurred_at else None,
            "checkpoint": f"{self.seq}:{self.row_hash}",
        }


def chain_head(*, using: str = "default") -> ChainHead:
    """The current head; an empty chain has head 0 with the genesis hash."""
    head = AuditEvent.objects.using(using).order_by("-seq").values("seq", "row_hash", "occurred_at").first()
    if head is None:
        return ChainHead(0, GENESIS_HASH, None)
    return ChainHead(head["seq"], head["row_hash"], head["occurred_at"])


# --- Search ---------------------------------------------------------------------------------------


def _require(principal: Principal, code: str) -> None:
    if not principal.has_permission(code):
        raise PermissionDenied(_("You may not read the audit trail."))


def _aware(name: str, value: datetime | None) -> datetime | None:
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        raise FieldError(name, _("Give a time with a time zone."))
    return value


def search_events(
    *,
    principal: Principal,
    actor_label: str | None = None,
    action: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    branch_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[AuditEvent]:
    """Events the principal may see, newest first, filtered.

    Branch scope applies: auditors and compliance staff with institution-wide scope see every event;
    a branch-scoped principal sees only the events of their branches (never institution-level ones).
    ``actor_label`` matches case-insensitively as a substring; ``action`` matches exactly, or as a
    prefix when it ends with a dot (``"read."`` finds every sensitive read); ``since`` is inclusive
    and ``until`` exclusive.
    """
    _require(principal, VIEW_PERMISSION)
    since, until = _aware("since", since), _aware("until", until)
    if since is not None and until is not None and since > until:
        raise FieldError("until", _("The end of the period is before its start."))
    events = scoped(AuditEvent.objects.all(), principal)
    if actor_label:
        events = events.filter(actor_label__icontains=actor_label.strip())
    if action:
        action = action.strip()
        events = (
            events.filter(action__startswith=action) if action.endswith(".") else events.filter(action=action)
        )
    if object_type:
        events = events.filter(object_type=object_type.strip())
    if object_id:
        events = events.filter(object_id=object_id.strip())
    if branch_id is not None:
        events = events.filter(branch_id=branch_id)
    if since is not None:
        events = events.filter(occurred_at__gte=since)
    if until is not None:
        events = events.filter(occurred_at__lt=until)
    return events.order_by("-seq")


def get_event(*, principal: Principal, seq: int) -> AuditEvent:
    """One event by sequence number, or NotFound when it does not exist or is outside scope."""
    _require(principal, VIEW_PERMISSION)
    return get_scoped_object(AuditEvent.objects.all(), principal, seq=seq)


# --- Export rendering -----------------------------------------------------------------------------

EXPORT_COLUMNS = (*HASHED_FIELDS, "row_hash")
EXPORT_FORMATS = ("csv", "json")
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return format_time(value)
    if isinstance(value, dict | list):
        return canonical_json(value)
    text = str(value)
    # A cell that starts like a formula would run as one in a spreadsheet (CSV injection).
    return "'" + text if text.startswith(_FORMULA_PREFIXES) else text


def render_events(rows: Iterable[dict[str, Any]], *, fmt: str) -> bytes:
    """Serialise event rows (dicts of EXPORT_COLUMNS) as CSV (UTF-8 with BOM, for Excel) or JSON."""
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(EXPORT_COLUMNS)
        for row in rows:
            writer.writerow([_cell(row[name]) for name in EXPORT_COLUMNS])
        return ("\ufeff" + buffer.getvalue()).encode("utf-8")
    if fmt == "json":
        items = [
            {
                name: format_time(row[name]) if isinstance(row[name], datetime) else row[name]
                for name in EXPORT_COLUMNS
            }
            for row in rows
        ]
        return json.dumps(items, ensure_ascii=False, indent=1).encode("utf-8")
    raise FieldError("fmt", _("Choose one of: %(formats)s.") % {"formats": ", ".join(EXPORT_FORMATS)})


def last_verification() -> AuditEvent | None:
    """The most recent recorded chain verification (nightly or on request), if any."""
    return AuditEvent.objects.filter(action="audit.chain_verified").order_by("-seq").first()

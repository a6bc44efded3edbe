"""Bulk import of devices from a CSV or XLSX file (R2.1): all or nothing, or the valid rows only."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bastion.audit.actions import record_event
from bastion.devices import permissions as perms
from bastion.devices.actions._common import require, user_of
from bastion.devices.importing import CheckedFile, ParsedRow, RowError, check_file
from bastion.devices.models import Device, LifecycleEvent
from bastion.platform.errors import Conflict, DomainError


class ImportRejected(DomainError):
    """The file has errors and the caller did not choose to import the valid rows only."""

    status = 422
    code = "import_rejected"


@dataclass
class ImportReport:
    """What an import did (or, with ``dry_run``, would do), with the per-row errors."""

    filename: str
    rows: int
    valid_rows: int
    imported: int
    skipped_rows: int
    errors: list[RowError]
    device_ids: list[int] = field(default_factory=list)
    dry_run: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "filename": self.filename,
            "rows": self.rows,
            "valid_rows": self.valid_rows,
            "imported": self.imported,
            "skipped_rows": self.skipped_rows,
            "dry_run": self.dry_run,
            "device_ids": self.device_ids,
            "errors": [e.as_dict() for e in self.errors],
        }


def error_fields(errors: list[RowError]) -> dict[str, list[str]]:
    """The error shape's ``fields``: ``rows[ROW].FIELD`` (``file`` for problems of the whole file)."""
    fields: dict[str, list[str]] = defaultdict(list)
    for error in errors:
        name = "file" if error.field == "file" else f"rows[{error.row}].{error.field or 'row'}"
        fields[name].append(f"{error.column}: {error.message}" if error.column else error.message)
    return dict(fields)


def _creation_order(rows: list[ParsedRow]) -> list[ParsedRow]:
    """Switches before the devices behind them, whatever order the file lists them in."""
    by_tag = {r.values["asset_tag"].lower(): r for r in rows}
    ordered: list[ParsedRow] = []
    placed: set[int] = set()

    def place(row: ParsedRow) -> None:
        if id(row) in placed:
            return
        placed.add(id(row))
        parent = by_tag.get(row.upstream_tag.lower()) if row.upstream_tag else None
        if parent is not None:
            place(parent)
        ordered.append(row)

    for row in rows:
        place(row)
    return ordered


def do_import_devices(
    *,
    filename: str,
    content: bytes,
    valid_rows_only: bool = False,
    dry_run: bool = False,
    actor: Any,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Check a device file and register its devices in one transaction, audited per branch.

    With errors in the file nothing is written and :class:`ImportRejected` names every bad cell,
    unless ``valid_rows_only``: then the rows without errors are imported and the report lists the
    rest. Errors of the whole file (unknown or missing columns, unreadable file) always refuse it.
    ``dry_run`` checks and reports only. ``actor`` None is the system (the command line).
    """
    require(actor, perms.IMPORT)
    checked = check_file(filename=filename, content=content, actor=actor)
    rows = checked.valid_rows
    errors = checked.errors
    report = ImportReport(
        filename=filename,
        rows=len(checked.rows),
        valid_rows=len(rows),
        imported=0,
        skipped_rows=checked.invalid_row_count,
        errors=errors,
        dry_run=dry_run,
    )
    if dry_run:
        return report
    if checked.file_errors or (errors and not valid_rows_only) or not checked.rows:
        message = (
            _("The file has no device rows.")
            if not errors
            else _("The file has %(n)d error(s); nothing was imported.") % {"n": len(errors)}
        )
        fields = error_fields(errors) or {"file": [message]}
        raise ImportRejected(message, fields=fields)
    try:
        with transaction.atomic():
            report.device_ids = _create(checked, rows, actor=actor, progress=progress)
    except IntegrityError as exc:  # a concurrent import registered the same tag or serial meanwhile
        raise Conflict(
            _("Another change registered some of these devices; try again."), code="device_exists"
        ) from exc
    report.imported = len(report.device_ids)
    return report


def _create(
    checked: CheckedFile, rows: list[ParsedRow], *, actor: Any, progress: Callable[[int], None] | None
) -> list[int]:
    now = timezone.now()
    person = user_of(actor)
    created: dict[str, Device] = {}
    by_branch: dict[int, list[str]] = defaultdict(list)
    for n, row in enumerate(_creation_order(rows), start=1):
        values = dict(row.values)
        device = Device(**values)
        if row.upstream_tag:
            parent = created.get(row.upstream_tag.lower())
            device.upstream_id = parent.pk if parent else row.upstream_id
        device.save()
        created[device.asset_tag.lower()] = device
        by_branch[device.branch_id].append(device.asset_tag)
        LifecycleEvent.objects.create(
            device=device,
            from_state="",
            to_state=device.lifecycle_state,
            actor=person,
            occurred_at=now,
            note=_("Imported from %(file)s, row %(row)d.") % {"file": checked.filename, "row": row.row},
        )
        if progress is not None:
            progress(n)
    # One event per branch, so each branch's auditors see what arrived in their registry.
    for branch_id, tags in sorted(by_branch.items()):
        record_event(
            action="devices.import_devices",
            actor=actor,
            object_type="devices.device",
            branch_id=branch_id,
            after={"asset_tags": tags},
            extra={
                "file": checked.filename[:200],
                "imported": len(tags),
                "skipped_rows": checked.invalid_row_count,
            },
        )
    return [d.pk for d in created.values()]

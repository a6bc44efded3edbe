"""Daily inspections (巡检) with photos, and software update records (R2.3)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bastion.audit.actions import record_event
from bastion.devices import handover
from bastion.devices import permissions as perms
from bastion.devices.actions._common import device_for, require, require_person, user_of
from bastion.devices.checklists import checklist
from bastion.devices.choices import InspectionItemResult, InspectionResult, SoftwareUpdateResult
from bastion.devices.models import Device, InspectionAttachment, InspectionRecord, SoftwareUpdate
from bastion.platform.errors import FieldError
from bastion.platform.scoping import get_scoped_object
from bastion.platform.uploads import validate_upload

ATTACHMENT_KINDS = {"jpeg", "png", "pdf"}
ATTACHMENT_MAX_BYTES = 8 * 1024 * 1024
MAX_ATTACHMENTS = 10
_CONTENT_TYPES = {"jpeg": "image/jpeg", "png": "image/png", "pdf": "application/pdf"}


def _clean_results(device: Device, results: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """Every checklist item of the device's class answered, ok or problem; a problem says what."""
    if not isinstance(results, Mapping):
        raise FieldError("results", _("Answer the checklist items."))
    items = checklist(device.device_class)
    known = {item.code for item in items}
    unknown = sorted(set(results) - known)
    if unknown:
        raise FieldError(f"results.{unknown[0]}", _("This item is not on the device's checklist."))
    cleaned: dict[str, dict[str, str]] = {}
    for item in items:
        answer = results.get(item.code)
        if not isinstance(answer, Mapping) or answer.get("result") not in InspectionItemResult.values:
            raise FieldError(f"results.{item.code}", _("Answer this item: ok or problem."))
        note = str(answer.get("note") or "").strip()
        if len(note) > 500:
            raise FieldError(f"results.{item.code}", _("A note is at most 500 characters."))
        if answer["result"] == InspectionItemResult.PROBLEM and not note:
            raise FieldError(f"results.{item.code}", _("Describe the problem you found."))
        cleaned[item.code] = {"result": str(answer["result"]), "note": note}
    return cleaned


def _problems(device: Device, results: dict[str, dict[str, str]]) -> list[str]:
    labels = {item.code: str(item.label) for item in checklist(device.device_class)}
    return [
        f"{labels[code]}: {answer['note']}"
        for code, answer in results.items()
        if answer["result"] == InspectionItemResult.PROBLEM
    ]


def _check_files(files: Iterable[Any]) -> list[tuple[Any, str]]:
    checked = []
    for index, file in enumerate(files):
        if index >= MAX_ATTACHMENTS:
            raise FieldError("attachments", _("At most 10 attachments per inspection."))
        kind = validate_upload(
            file, allowed=ATTACHMENT_KINDS, max_bytes=ATTACHMENT_MAX_BYTES, field="attachments"
        )
        checked.append((file, kind))
    return checked


def _attach(inspection: InspectionRecord, file: Any, kind: str) -> InspectionAttachment:
    name = str(getattr(file, "name", "") or "attachment")[-200:]
    attachment = InspectionAttachment(
        inspection=inspection, original_name=name, content_type=_CONTENT_TYPES[kind], size=file.size
    )
    attachment.file.save(name, file, save=False)  # through the default storage
    attachment.save()
    return attachment


def do_record_inspection(
    *,
    device_id: int,
    results: Mapping[str, Any],
    note: str = "",
    open_work_order: bool = False,
    attachments: Iterable[Any] = (),
    actor: Any,
) -> InspectionRecord:
    """Record an inspection against the class checklist; problems may open one fault work order."""
    require(actor, perms.INSPECT)
    require_person(actor)
    if len(note or "") > 2000:
        raise FieldError("note", _("The note is at most 2000 characters."))
    files = _check_files(attachments)
    now = timezone.now()
    with transaction.atomic():
        device = device_for(actor, device_id)
        cleaned = _clean_results(device, results)
        problems = _problems(device, cleaned)
        if open_work_order and not problems:
            raise FieldError("open_work_order", _("A work order is opened only for a problem found."))
        overall = InspectionResult.OK
        if problems:
            overall = InspectionResult.FAULT if open_work_order else InspectionResult.ATTENTION
        inspection = InspectionRecord.objects.create(
            device=device,
            inspector=user_of(actor),
            inspected_at=now,
            results=cleaned,
            overall=overall,
            note=(note or "").strip(),
        )
        stored = [_attach(inspection, file, kind) for file, kind in files]
        if open_work_order:
            inspection.work_order_id = handover.open_work_order_for_finding(
                handover.FindingTicket(
                    inspection_id=inspection.pk,
                    device_id=device.pk,
                    branch_id=device.branch_id,
                    title=_("Inspection found a problem: %(tag)s %(name)s")
                    % {"tag": device.asset_tag, "name": device.name},
                    detail="\n".join([*problems, inspection.note]).strip(),
                    found_at=now,
                )
            )
            inspection.save(update_fields=["work_order_id"])
        record_event(
            action="devices.record_inspection",
            actor=actor,
            obj=inspection,
            after={
                "device_id": device.pk,
                "overall": overall,
                "results": cleaned,
                "attachments": [a.original_name for a in stored],
                "work_order_id": inspection.work_order_id,
            },
        )
    return inspection


def do_add_inspection_attachment(
    *, inspection_id: int, file_name: str, content: bytes, actor: Any
) -> InspectionAttachment:
    """Add a photo or document to an inspection after the fact (the API's way to upload)."""
    require(actor, perms.INSPECT)
    file = SimpleUploadedFile(file_name or "attachment", content)
    ((checked, kind),) = _check_files([file])
    with transaction.atomic():
        inspection = get_scoped_object(
            InspectionRecord.objects.select_related("device"), actor, pk=inspection_id
        )
        if inspection.attachments.count() >= MAX_ATTACHMENTS:
            raise FieldError("file_name", _("At most 10 attachments per inspection."))
        attachment = _attach(inspection, checked, kind)
        record_event(
            action="devices.add_inspection_attachment",
            actor=actor,
            obj=inspection,
            after={
                "file": attachment.original_name,
                "size": attachment.size,
                "type": attachment.content_type,
            },
        )
    return attachment


def do_record_software_update(
    *,
    device_id: int,
    to_version: str,
    result: str = SoftwareUpdateResult.SUCCESS,
    applied_at: datetime | None = None,
    note: str = "",
    actor: Any,
) -> SoftwareUpdate:
    """Record a software or firmware change; a successful one becomes the device's version."""
    require(actor, perms.INSPECT)
    to_version = (to_version or "").strip()
    if not to_version:
        raise FieldError("to_version", _("Give the version installed."))
    if len(to_version) > 60:
        raise FieldError("to_version", _("The version is at most 60 characters."))
    if result not in SoftwareUpdateResult.values:
        raise FieldError("result", _("Unknown update result."))
    now = timezone.now()
    when = applied_at or now
    if when.tzinfo is None:
        raise FieldError("applied_at", _("Give times with a time zone."))
    if when > now + timedelta(minutes=5):
        raise FieldError("applied_at", _("The update cannot be in the future."))
    with transaction.atomic():
        device = device_for(actor, device_id, lock=True)
        update = SoftwareUpdate.objects.create(
            device=device,
            from_version=device.software_version,
            to_version=to_version,
            applied_at=when,
            actor=user_of(actor),
            note=(note or "").strip(),
            result=result,
        )
        if result == SoftwareUpdateResult.SUCCESS:
            device.software_version = to_version
            device.save(update_fields=["software_version"])
        record_event(
            action="devices.record_software_update",
            actor=actor,
            obj=update,
            before={"software_version": update.from_version},
            after={"software_version": device.software_version, "to_version": to_version, "result": result},
        )
    return update

"""Registry writes: create and edit devices, set their operational status."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from bastion.audit.actions import record_event
from bastion.devices import permissions as perms
from bastion.devices.actions._common import device_for, require
from bastion.devices.choices import DeviceClass, OperationalStatus
from bastion.devices.models import Device
from bastion.identity.models import Branch
from bastion.platform.errors import Conflict, FieldError

EDITABLE_FIELDS = (
    "name",
    "location",
    "install_date",
    "warranty_until",
    "end_of_support",
    "software_version",
    "upstream_id",
    "site_id",
)
AUDITED_FIELDS = (
    "asset_tag",
    "name",
    "device_class",
    "vendor",
    "model",
    "serial_number",
    "branch_id",
    *EDITABLE_FIELDS[1:],
    "lifecycle_state",
    "operational_status",
)


def snapshot(device: Device) -> dict[str, Any]:
    """The audited fields as JSON values (the audit chain holds JSON only: dates as ISO text)."""
    values = {name: getattr(device, name) for name in AUDITED_FIELDS}
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in values.items()}


def do_set_operational_status(*, device_id: int, status: str, reason: str, actor: Any) -> Device:
    """Put a device in or out of service (servicedesk contract; R3.6 for smart counters). Audited.

    ``actor`` None is the system (e.g. an alarm hand-over); otherwise the actor needs
    ``devices.set_operational_status`` and the device must be in its branch scope.
    """
    require(actor, perms.SET_STATUS)
    if status not in OperationalStatus.values:
        raise FieldError("status", _("Unknown operational status %(status)s.") % {"status": status})
    reason = (reason or "").strip()
    if not reason:
        raise FieldError("reason", _("Give a reason for the status change."))
    with transaction.atomic():
        device = device_for(actor, device_id, lock=True)
        before = device.operational_status
        if before == status:
            return device
        device.operational_status = status
        device.save(update_fields=["operational_status", "updated_at"])
        record_event(
            action="devices.set_operational_status",
            actor=actor,
            obj=device,
            before={"operational_status": before},
            after={"operational_status": status},
            extra={"reason": reason[:500]},
        )
    return device


def _validate_links(*, branch: Branch, upstream_id: int | None, device_id: int | None = None) -> None:
    if upstream_id is None:
        return
    upstream = Device.objects.filter(pk=upstream_id).first()
    if upstream is None or upstream.branch_id != branch.pk:
        raise FieldError("upstream_id", _("The network dependency must be a device of the same branch."))
    if upstream.device_class not in (DeviceClass.NETWORK, DeviceClass.SERVER):
        raise FieldError("upstream_id", _("A device can depend only on network equipment or a server."))
    # Walk up: a device may not (indirectly) hang off itself.
    seen: set[int] = set()
    node: Device | None = upstream
    while node is not None and node.pk not in seen:
        if device_id is not None and node.pk == device_id:
            raise FieldError("upstream_id", _("The network dependency would form a loop."))
        seen.add(node.pk)
        node = node.upstream


def do_create_device(
    *,
    branch_id: int,
    asset_tag: str,
    name: str,
    device_class: str,
    vendor: str,
    model: str,
    serial_number: str,
    location: str = "",
    install_date: date | None = None,
    warranty_until: date | None = None,
    end_of_support: date | None = None,
    software_version: str = "",
    upstream_id: int | None = None,
    lifecycle_state: str | None = None,
    actor: Any,
) -> Device:
    """Register a device. Imports of existing estates give their current lifecycle step."""
    require(actor, perms.MANAGE if lifecycle_state is None else perms.IMPORT)
    branch = Branch.objects.filter(pk=branch_id).first()
    if branch is None or (actor is not None and not actor.branch_scope().allows(branch.pk)):
        raise FieldError("branch_id", _("Unknown branch."))
    if device_class not in DeviceClass.values:
        raise FieldError("device_class", _("Unknown device class %(value)s.") % {"value": device_class})
    for field, value in {
        "asset_tag": asset_tag,
        "name": name,
        "vendor": vendor,
        "model": model,
        "serial_number": serial_number,
    }.items():
        if not (value or "").strip():
            raise FieldError(field, _("This field is required."))
    _validate_links(branch=branch, upstream_id=upstream_id)
    device = Device(
        branch=branch,
        asset_tag=asset_tag.strip(),
        name=name.strip(),
        device_class=device_class,
        vendor=vendor.strip(),
        model=model.strip(),
        serial_number=serial_number.strip(),
        location=location.strip(),
        install_date=install_date,
        warranty_until=warranty_until,
        end_of_support=end_of_support,
        software_version=software_version.strip(),
        upstream_id=upstream_id,
    )
    if lifecycle_state is not None:
        device.lifecycle_state = lifecycle_state
    try:
        with transaction.atomic():
            device.save()
            record_event(action="devices.create_device", actor=actor, obj=device, after=snapshot(device))
    except IntegrityError as exc:
        raise Conflict(
            _("A device with asset tag %(tag)s or this vendor and serial number exists.")
            % {"tag": asset_tag},
            code="device_exists",
        ) from exc
    return device


def do_update_device(*, device_id: int, changes: dict[str, Any], actor: Any) -> Device:
    """Edit the descriptive fields of a device (class, vendor, serial and branch stay as registered)."""
    require(actor, perms.MANAGE)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        field = sorted(unknown)[0]
        raise FieldError(field, _("This field cannot be changed here."))
    if "name" in changes and not str(changes["name"] or "").strip():
        raise FieldError("name", _("This field is required."))
    with transaction.atomic():
        device = device_for(actor, device_id, lock=True)
        if "upstream_id" in changes:
            _validate_links(branch=device.branch, upstream_id=changes["upstream_id"], device_id=device.pk)
        before = snapshot(device)
        for name, value in changes.items():
            setattr(device, name, value.strip() if isinstance(value, str) else value)
        device.save()
        after = snapshot(device)
        diff = {k for k in after if after[k] != before[k]}
        if diff:
            record_event(
                action="devices.update_device",
                actor=actor,
                obj=device,
                before={k: before[k] for k in diff},
                after={k: after[k] for k in diff},
            )
    return device

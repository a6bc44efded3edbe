"""Builders for devices tests."""

from __future__ import annotations

import itertools

from bastion.devices.choices import DeviceClass, LifecycleState, OperationalStatus
from bastion.devices.models import Device
from bastion.identity.models import Branch

_serial = itertools.count(1)


def make_device(
    branch: Branch,
    *,
    device_class: str = DeviceClass.ATM,
    upstream: Device | None = None,
    name: str = "大堂取款机",
    vendor: str = "广电运通",
    **fields: object,
) -> Device:
    n = next(_serial)
    return Device.objects.create(
        branch=branch,
        asset_tag=fields.pop("asset_tag", f"T-{branch.code}-{n:05d}"),  # type: ignore[arg-type]
        name=name,
        device_class=device_class,
        vendor=vendor,
        model=str(fields.pop("model", "DT-7000")),
        serial_number=str(fields.pop("serial_number", f"SN{n:08d}")),
        lifecycle_state=fields.pop("lifecycle_state", LifecycleState.IN_SERVICE),
        operational_status=fields.pop("operational_status", OperationalStatus.AVAILABLE),
        upstream=upstream,
        **fields,
    )

"""Every write of the devices app: ``do_<verb>_<noun>(..., *, actor)``, atomic and audited."""

from bastion.devices.actions.registry import do_create_device, do_set_operational_status, do_update_device

__all__ = ["do_create_device", "do_set_operational_status", "do_update_device"]

"""Daily inspection (巡检) checklists per device class: four common items, then the class's own."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from bastion.devices.choices import DeviceClass


@dataclass(frozen=True)
class Item:
    """One checklist item: a stable code (stored in the results) and the question shown."""

    code: str
    label: Promise


COMMON = (
    Item("appearance", _("Appearance: casing, screen and signage undamaged, no foreign objects")),
    Item("running", _("Running state: in service, no error on screen")),
    Item("network", _("Network connection: online, link lights normal")),
    Item("cleanliness", _("Cleanliness: device and surroundings clean")),
)
_CASSETTE = Item("cash_cassette", _("Cash cassettes seated, locked and sufficiently filled"))
_CARD_READER = Item("card_reader", _("Card reader accepts and returns a test card"))
_PRINTER = Item("receipt_printer", _("Receipt printer prints; paper sufficient"))
BY_CLASS: dict[str, tuple[Item, ...]] = {
    DeviceClass.ATM: (_CASSETTE, _CARD_READER, _PRINTER),
    DeviceClass.CASH_RECYCLER: (
        _CASSETTE,
        Item("deposit_module", _("Deposit module accepts notes without jams")),
        _CARD_READER,
    ),
    DeviceClass.SMART_COUNTER: (
        Item("id_reader", _("ID card reader reads a test card")),
        Item("token_stock", _("Security tokens and card stock sufficient")),
        _PRINTER,
    ),
    DeviceClass.KIOSK: (Item("touchscreen", _("Touch screen responds everywhere")), _PRINTER),
    DeviceClass.POS: (Item("pos_transaction", _("Test transaction and signature slip succeed")),),
    DeviceClass.SERVER: (
        Item("disk_space", _("Disk space and backup status normal")),
        Item("ups", _("UPS on mains, battery healthy")),
    ),
    DeviceClass.NETWORK: (Item("redundancy", _("Backup link and redundant power normal")),),
}


def checklist(device_class: str) -> tuple[Item, ...]:
    """The items an inspection of a device of ``device_class`` answers, in display order."""
    return COMMON + BY_CLASS.get(device_class, ())

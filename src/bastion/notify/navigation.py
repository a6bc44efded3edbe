"""Console navigation sections of the notify app (the inbox itself is the header link)."""

from django.utils.translation import gettext_lazy as _

from bastion.web.navigation import Section, register_section

register_section(
    Section(
        "deliveries",
        _("Delivery log"),
        "notify:deliveries",
        "notify.view_deliveries",
        95,
        frozenset({"deliveries"}),
    )
)

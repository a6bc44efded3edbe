"""The console's navigation: sections that exist, each shown only to users who may open it.

Later apps add their own sections with :func:`register_section`; the header renders whatever the
signed-in user is allowed to see, in ``order``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from bastion.platform.scoping import Principal


@dataclass(frozen=True)
class Section:
    """One entry of the main navigation."""

    key: str
    label: Promise | str
    url_name: str
    permission: str | None
    order: int
    # URL names (without namespace) that highlight this section as the current one.
    matches: frozenset[str] = field(default_factory=frozenset)


_SECTIONS: dict[str, Section] = {}


def register_section(section: Section) -> Section:
    if section.key in _SECTIONS and _SECTIONS[section.key] != section:
        raise ValueError(f"navigation section {section.key!r} registered twice")
    _SECTIONS[section.key] = section
    return section


def sections_for(principal: Principal) -> list[Section]:
    return sorted(
        (s for s in _SECTIONS.values() if s.permission is None or principal.has_permission(s.permission)),
        key=lambda s: s.order,
    )


def navigation_items(principal: Principal, current_url_name: str) -> list[dict[str, object]]:
    """The sections as template-ready dicts with their URL and whether each is the current one."""
    return [
        {
            "key": s.key,
            "label": s.label,
            "url": reverse(s.url_name),
            "active": current_url_name in s.matches,
        }
        for s in sections_for(principal)
    ]


for _section in [
    Section("home", _("Home"), "web:home", None, 0, frozenset({"home"})),
    Section(
        "approvals",
        _("Approvals"),
        "web:approvals",
        "approvals.view",
        10,
        frozenset({"approvals", "approval_detail"}),
    ),
    Section(
        "users",
        _("Users"),
        "web:users",
        "identity.view_users",
        20,
        frozenset({"users", "user_detail", "user_create", "user_edit"}),
    ),
    Section("roles", _("Roles"), "web:roles", "identity.view_users", 30, frozenset({"roles"})),
    Section("tokens", _("API tokens"), "web:tokens", "identity.manage_tokens", 40, frozenset({"tokens"})),
    Section(
        "organisation",
        _("Organisation"),
        "web:branches",
        "identity.view_organisation",
        45,
        frozenset(
            {
                "branches",
                "branch_detail",
                "teams",
                "calendars",
                "calendar_detail",
                "calendar_windows",
                "calendar_add_day",
                "calendar_remove_day",
                "calendar_holidays",
            }
        ),
    ),
    Section(
        "audit",
        _("Audit trail"),
        "web:audit",
        "audit.view_trail",
        50,
        frozenset({"audit", "audit_event"}),
    ),
]:
    register_section(_section)

"""Reads of the named lists: what is on them, and what the scorers load (R5.5)."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from bastion.platform.errors import NotFound
from bastion.risk.choices import ListEntryState
from bastion.risk.models import ListEntry, RiskList


def live_entries_q(moment: datetime) -> Q:
    """Entries in force at ``moment``: not removed and not expired."""
    return Q(removed_at__isnull=True) & (Q(expires_at__isnull=True) | Q(expires_at__gt=moment))


def list_lists() -> QuerySet[RiskList]:
    """Every list with its count of entries in force now."""
    now = timezone.now()
    live = Q(entries__removed_at__isnull=True) & (
        Q(entries__expires_at__isnull=True) | Q(entries__expires_at__gt=now)
    )
    return RiskList.objects.select_related("owner_team").annotate(live_count=Count("entries", filter=live))


def get_list(*, name: str) -> RiskList:
    found = list_lists().filter(name=name).first()
    if found is None:
        raise NotFound(_("List not found."))
    return found


def list_entries(
    risk_list: RiskList, *, state: str | None = None, search: str = "", entry_type: str | None = None
) -> QuerySet[ListEntry]:
    """A list's entries, newest first, optionally only those in one state or matching a value."""
    now = timezone.now()
    entries = risk_list.entries.select_related("added_by", "removed_by")
    if state == ListEntryState.LIVE:
        entries = entries.filter(live_entries_q(now))
    elif state == ListEntryState.EXPIRED:
        entries = entries.filter(removed_at__isnull=True, expires_at__lte=now)
    elif state == ListEntryState.REMOVED:
        entries = entries.filter(removed_at__isnull=False)
    if entry_type:
        entries = entries.filter(entry_type=entry_type)
    if search.strip():
        entries = entries.filter(value__icontains=search.strip())
    return entries


def lists_revision() -> int:
    """A number that changes whenever any list or entry changes (scorers poll it)."""
    totals = RiskList.objects.aggregate(revision=Sum("revision"), lists=Count("pk"))
    return int(totals["revision"] or 0) * 1000 + int(totals["lists"] or 0)


def list_contents(moment: datetime | None = None) -> tuple[dict[str, frozenset[str]], datetime | None]:
    """Every list's values in force at ``moment`` and the next moment one of them expires.

    The scorer reloads at that moment, so an expired entry stops counting without anyone acting.
    """
    moment = moment or timezone.now()
    contents: dict[str, set[str]] = {name: set() for name in RiskList.objects.values_list("name", flat=True)}
    rows = ListEntry.objects.filter(live_entries_q(moment)).values_list(
        "risk_list__name", "value", "expires_at"
    )
    next_expiry: datetime | None = None
    for name, value, expires_at in rows.iterator(chunk_size=5000):
        contents[name].add(value)
        if expires_at is not None and (next_expiry is None or expires_at < next_expiry):
            next_expiry = expires_at
    return {name: frozenset(values) for name, values in contents.items()}, next_expiry


def unknown_lists(names: set[str]) -> list[str]:
    """The names among ``names`` that no list has (a rule set using them cannot be submitted)."""
    known = set(RiskList.objects.filter(name__in=names).values_list("name", flat=True))
    return sorted(names - known)

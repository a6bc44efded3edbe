"""Reads for watch-list screening: the lists, their entries, the hits, and the process's index.

Each process keeps one in-memory :class:`~bastion.aml.matching.ScreeningIndex` of the active
entries of every list. It is rebuilt when the lists' revisions change (checked at most every
``RECHECK_SECONDS``), so an import reaches every web process and worker without a restart.
"""

from __future__ import annotations

import threading
import time

from django.db.models import Count, Max, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from bastion.aml.matching import EntryType, ListEntry, ScreeningIndex
from bastion.aml.models import ScreeningHit, WatchList, WatchListEntry
from bastion.platform.errors import NotFound
from bastion.platform.scoping import Principal, scoped

RECHECK_SECONDS = 10.0


class _Cache:
    """This process's index, the list revision it was built from, and when that was last checked."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.index: ScreeningIndex | None = None
        self.revision: tuple[object, ...] | None = None
        self.checked = 0.0


_CACHE = _Cache()


def lists_revision() -> tuple[object, ...]:
    """Changes whenever any list's entries change (an import bumps its revision and time)."""
    found = WatchList.objects.aggregate(revisions=Sum("revision"), lists=Count("pk"), last=Max("imported_at"))
    return int(found["revisions"] or 0), int(found["lists"] or 0), found["last"]


def as_list_entry(entry: WatchListEntry, list_code: str) -> ListEntry:
    return ListEntry(
        entry_id=entry.entry_id, list_name=list_code, entry_type=EntryType(entry.entry_type),
        primary_name=entry.name, aliases=tuple(entry.aliases), dates_of_birth=tuple(entry.dates_of_birth),
        nationalities=tuple(entry.nationalities), program=entry.program or None, category=entry.category or None,
    )  # fmt: skip


def _build() -> ScreeningIndex:
    codes = dict(WatchList.objects.values_list("pk", "code"))
    active = WatchListEntry.objects.filter(active=True).order_by("pk")
    return ScreeningIndex.build(
        as_list_entry(e, codes[e.watch_list_id]) for e in active.iterator(chunk_size=5000)
    )


def screening_index(*, force: bool = False) -> ScreeningIndex:
    """The index of every active entry, rebuilt when a list changed."""
    with _CACHE.lock:
        now = time.monotonic()
        index = _CACHE.index
        if not force and index is not None and now - _CACHE.checked < RECHECK_SECONDS:
            return index
        revision = lists_revision()
        if force or index is None or revision != _CACHE.revision:
            index = _build()
            _CACHE.index, _CACHE.revision = index, revision
        _CACHE.checked = now
        return index


def lists_changed() -> None:
    """This process's writes changed a list: rebuild at the next screening."""
    _CACHE.checked, _CACHE.revision = 0.0, None


def list_watch_lists() -> QuerySet[WatchList]:
    return WatchList.objects.annotate(active_count=Count("entries", filter=Q(entries__active=True)))


def get_watch_list(*, code: str) -> WatchList:
    found = list_watch_lists().filter(code=code).first()
    if found is None:
        raise NotFound(_("Watch list not found."))
    return found


def list_entries(
    watch_list: WatchList, *, q: str = "", active: bool | None = True
) -> QuerySet[WatchListEntry]:
    entries = watch_list.entries.order_by("entry_id")
    if active is not None:
        entries = entries.filter(active=active)
    if q.strip():
        entries = entries.filter(Q(name__icontains=q.strip()) | Q(entry_id=q.strip()))
    return entries


def list_hits(
    principal: Principal, *, status: str | None = "open", subject_kind: str | None = None
) -> QuerySet[ScreeningHit]:
    """Hits in scope, newest first; hits on payments at institution level need institution-wide scope."""
    hits = scoped(
        ScreeningHit.objects.select_related("entry", "entry__watch_list", "decided_by", "branch"), principal
    )
    if status:
        hits = hits.filter(status=status)
    if subject_kind:
        hits = hits.filter(subject_kind=subject_kind)
    return hits


def get_hit(principal: Principal, *, hit_id: int) -> ScreeningHit:
    found = list_hits(principal, status=None).filter(pk=hit_id).first()
    if found is None:
        raise NotFound(_("Screening hit not found."))
    return found

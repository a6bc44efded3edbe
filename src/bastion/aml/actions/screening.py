"""Writes of watch-list screening (R5.6): lists and their imports, screening, hit decisions.

Names are screened at onboarding (in the customer's own transaction), again when a list changes
(every customer against the changed entries), and in real time for payments through the screening
API. A hit on a list that escalates at once (terrorist lists, or an entry categorised terrorist)
raises a top-score alert and notifies every AML officer immediately; any other hit waits for an
officer to confirm it (which raises an alert) or dismiss it with a reason that stays on file.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bastion.aml import permissions as perms
from bastion.aml.actions.cases import do_raise_alert
from bastion.aml.actions.common import choice, clean_text, require, require_person
from bastion.aml.choices import AlertSource, HitStatus, ScreeningTrigger, WatchListKind
from bastion.aml.matching import DEFAULT_THRESHOLD, EntryType, Hit, ListImportError, parse_csv, parse_xml
from bastion.aml.matching import ListEntry as Parsed
from bastion.aml.models import Customer, ScreeningHit, WatchList, WatchListEntry
from bastion.aml.services.screening import lists_changed, screening_index
from bastion.audit.actions import record_event
from bastion.platform.errors import Conflict, FieldError, NotFound

FORMATS = ("csv", "xml")
SLUG = "abcdefghijklmnopqrstuvwxyz0123456789-_"


@dataclass
class ImportResult:
    """What one import changed in a list."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0


def do_create_watch_list(*, code: str, name: str, kind: str, source: str = "", actor: Any) -> WatchList:
    """Create a watch list; terrorist lists escalate their hits at once."""
    require(actor, perms.MANAGE_WATCH_LISTS)
    code = clean_text(code, "code", 60).lower()
    if any(c not in SLUG for c in code):
        raise FieldError("code", _("Use lower-case letters, digits, hyphens and underscores."))
    kind = choice(kind, "kind", WatchListKind)
    with transaction.atomic():
        if WatchList.objects.filter(code=code).exists():
            raise FieldError("code", _("A list with this code exists."))
        created = WatchList.objects.create(code=code, name=clean_text(name, "name", 200), kind=kind,
                                           source=clean_text(source, "source", 200, required=False),
                                           escalate_at_once=kind == WatchListKind.TERRORIST)  # fmt: skip
        record_event(action="aml.create_watch_list", actor=actor, obj=created, after={"kind": kind})
    return created


def _parse(data: str | bytes, fmt: str, code: str) -> list[Parsed]:
    if fmt not in FORMATS:
        raise FieldError("format", _("Choose csv or xml."))
    try:
        entries = parse_csv(data, list_name=code) if fmt == "csv" else parse_xml(data, list_name=code)
    except ListImportError as exc:
        raise FieldError("file", str(exc)) from None
    seen: set[str] = set()
    for entry in entries:
        if entry.entry_id in seen:
            raise FieldError("file", _("Entry %(id)s appears twice.") % {"id": entry.entry_id})
        seen.add(entry.entry_id)
    return entries


def _fields(entry: Parsed) -> dict[str, Any]:
    return {"entry_type": entry.entry_type.value, "name": entry.primary_name[:300], "aliases": list(entry.aliases),
            "dates_of_birth": list(entry.dates_of_birth), "nationalities": list(entry.nationalities),
            "program": (entry.program or "")[:200], "category": (entry.category or "")[:60]}  # fmt: skip


def _upsert(watch_list: WatchList, entries: list[Parsed], *, replace: bool, result: ImportResult) -> None:
    existing = {e.entry_id: e for e in watch_list.entries.all()}
    now = timezone.now()
    for entry in entries:
        values = _fields(entry)
        row = existing.get(entry.entry_id)
        if row is None:
            WatchListEntry.objects.create(watch_list=watch_list, entry_id=entry.entry_id, **values)
            result.added.append(entry.entry_id)
        elif row.active and all(getattr(row, k) == v for k, v in values.items()):
            result.unchanged += 1
        else:
            for key, value in values.items():
                setattr(row, key, value)
            row.active, row.removed_at = True, None
            row.save()
            result.updated.append(entry.entry_id)
    if replace:
        gone = [e for e in existing.values() if e.active and e.entry_id not in {p.entry_id for p in entries}]
        for row in gone:
            row.active, row.removed_at = False, now
            row.save(update_fields=["active", "removed_at"])
            result.removed.append(row.entry_id)


def do_import_watch_list(
    *, code: str, data: str | bytes, fmt: str, replace: bool, actor: Any
) -> ImportResult:
    """Add or update a list's entries from a CSV or XML file; ``replace`` deactivates the missing ones."""
    require(actor, perms.MANAGE_WATCH_LISTS)
    parsed = _parse(data, fmt, code)
    if not parsed:
        raise FieldError("file", _("The file holds no entries."))
    result = ImportResult()
    with transaction.atomic():
        watch_list = WatchList.objects.select_for_update().filter(code=code).first()
        if watch_list is None:
            raise NotFound(_("Watch list not found."))
        _upsert(watch_list, parsed, replace=replace, result=result)
        watch_list.revision += 1
        watch_list.imported_at = timezone.now()
        watch_list.save(update_fields=["revision", "imported_at"])
        record_event(action="aml.import_watch_list", actor=actor, obj=watch_list,
                     after={"added": len(result.added), "updated": len(result.updated),
                            "removed": len(result.removed), "format": fmt})  # fmt: skip
        changed = result.added + result.updated
        # This transaction already sees the new entries; other processes notice the revision.
        lists_changed()
        transaction.on_commit(lists_changed)
        if changed:
            transaction.on_commit(lambda: _rescreen_later(code, changed))
    return result


def _rescreen_later(code: str, entry_ids: list[str]) -> None:
    from bastion.aml.tasks import rescreen_customers_task

    rescreen_customers_task(code, entry_ids)


def _escalate(hit: ScreeningHit, watch_list: WatchList, actor: Any) -> None:
    from bastion.aml.actions.reminders import officers
    from bastion.notify.actions import do_notify

    alert, _created = do_raise_alert(
        key=f"screening:{hit.pk}", source=AlertSource.SCREENING, code=watch_list.code, customer_no=hit.subject_ref
        if hit.subject_kind == "customer" else "", score=100, summary_zh=f"名单命中（立即上报）：{hit.explanation_zh}"[:500],
        summary_en=f"Watch-list hit, escalated at once: {hit.explanation_en}"[:500],
        details={"hit": hit.pk, "entry": hit.entry.entry_id, "list": watch_list.code}, branch_id=hit.branch_id,
        payment_ids=[hit.payment.payment_id] if hit.payment else [], actor=actor,
    )  # fmt: skip
    hit.alert, hit.escalated = alert, True
    hit.save(update_fields=["alert", "escalated"])
    do_notify(recipients=officers(), kind="aml.screening_escalation",
              subject=_("Terrorist-list hit: %(name)s") % {"name": hit.screened_name},
              body=hit.explanation_zh, link=f"/aml/screening/{hit.pk}/")  # fmt: skip


def record_hits(found: Iterable[Hit], *, subject_kind: str, subject_ref: str, screened_name: str, trigger: str,
                customer: Customer | None = None, payment: Any = None, branch_id: int | None = None,
                actor: Any = None) -> list[ScreeningHit]:  # fmt: skip
    """Store new hits (one per subject, name and entry) and escalate those that must be; inside a transaction."""
    lists = {w.code: w for w in WatchList.objects.all()}
    stored = []
    for hit in found:
        entry = WatchListEntry.objects.filter(watch_list__code=hit.list_name, entry_id=hit.entry_id).first()
        if entry is None or ScreeningHit.objects.filter(subject_kind=subject_kind, subject_ref=subject_ref,
                                                        screened_name=screened_name[:300], entry=entry).exists():  # fmt: skip
            continue
        row = ScreeningHit.objects.create(
            subject_kind=subject_kind, subject_ref=subject_ref, customer=customer, payment=payment, branch_id=branch_id,
            screened_name=screened_name[:300], entry=entry, score=round(hit.score), method=hit.method.value,
            matched_name=hit.matched_name[:300], explanation_zh=hit.explanation_zh[:1000],
            explanation_en=hit.explanation[:1000], trigger=trigger,
        )  # fmt: skip
        watch_list = lists[hit.list_name]
        if watch_list.escalate_at_once or entry.category.lower() == "terrorist":
            _escalate(row, watch_list, actor)
        stored.append(row)
    return stored


def screen_customer(
    customer: Customer, *, trigger: str, lists: Collection[str] | None = None, actor: Any = None
) -> list[ScreeningHit]:
    """Screen a customer's names (Chinese and Latin) with date of birth and nationality."""
    index = screening_index()
    kind = EntryType.PERSON if customer.kind == "natural_person" else EntryType.ORGANISATION
    stored = []
    for name in filter(None, {customer.name, customer.name_en}):
        found = index.screen(name, entry_type=kind, date_of_birth=customer.date_of_birth or None,
                             nationality=customer.nationality or None, lists=lists)  # fmt: skip
        stored += record_hits(found, subject_kind="customer", subject_ref=customer.customer_no, screened_name=name,
                              trigger=trigger, customer=customer, branch_id=customer.branch_id, actor=actor)  # fmt: skip
    return stored


def do_screen_customer(*, customer_id: int, actor: Any) -> list[ScreeningHit]:
    """Screen one customer now (a manual check)."""
    require(actor, perms.MANAGE_WATCH_LISTS)
    with transaction.atomic():
        customer = Customer.objects.select_for_update().filter(pk=customer_id).first()
        if customer is None:
            raise NotFound(_("Customer not found."))
        hits = screen_customer(customer, trigger=ScreeningTrigger.MANUAL, actor=actor)
        record_event(action="aml.screen_customer", actor=actor, obj=customer, after={"hits": len(hits)})
    return hits


def do_rescreen_customers(*, list_code: str, entry_ids: list[str]) -> int:
    """After a list update: screen every customer against the changed entries only; returns hits stored."""
    wanted = set(entry_ids)
    stored = 0
    for customer in Customer.objects.order_by("pk").iterator(chunk_size=500):
        with transaction.atomic():
            hits = screen_customer(customer, trigger=ScreeningTrigger.LIST_UPDATE, lists=[list_code])
            stored += sum(1 for h in hits if h.entry.entry_id in wanted)
    return stored


def do_screen_payment_names(*, names: list[dict[str, Any]], payment_id: str = "", threshold: float = DEFAULT_THRESHOLD,
                            actor: Any) -> list[tuple[dict[str, Any], list[ScreeningHit | Hit]]]:  # fmt: skip
    """Real-time screening of the names on a payment (payer, payee...); hits are stored against it."""
    from bastion.risk.models import StoredPayment

    require(actor, perms.SCREEN_NAMES)
    index = screening_index()
    payment = StoredPayment.objects.filter(payment_id=payment_id).first() if payment_id else None
    results: list[tuple[dict[str, Any], list[ScreeningHit | Hit]]] = []
    with transaction.atomic():
        for item in names:
            kind = EntryType(item["entry_type"]) if item.get("entry_type") else None
            found = index.screen(item["name"], entry_type=kind, threshold=threshold)
            stored: list[ScreeningHit | Hit] = list(found)
            if payment_id:
                stored = list(record_hits(found, subject_kind="payment", subject_ref=payment_id, screened_name=item["name"],
                                          trigger=ScreeningTrigger.PAYMENT, payment=payment,
                                          branch_id=payment.branch_id if payment else None, actor=actor)) or stored  # fmt: skip
            results.append((item, stored))
    return results


def do_decide_hit(*, hit_id: int, status: str, reason: str, actor: Any) -> ScreeningHit:
    """Confirm a hit as a true match (an alert follows) or dismiss it as a false positive, with reasons."""
    require(actor, perms.DECIDE_HITS)
    decider = require_person(actor)
    if status not in (HitStatus.CONFIRMED, HitStatus.DISMISSED):
        raise FieldError("status", _("Choose confirmed or dismissed."))
    reason = clean_text(reason, "reason", 2000)
    with transaction.atomic():
        hit = (
            # Lock the hit row only: PostgreSQL refuses FOR UPDATE on the nullable side of a join.
            ScreeningHit.objects.select_for_update(of=("self",))
            .select_related("entry__watch_list", "payment")
            .filter(pk=hit_id)
            .first()
        )
        if hit is None:
            raise NotFound(_("Screening hit not found."))
        if hit.status != HitStatus.OPEN:
            raise Conflict(_("This hit is already decided."))
        hit.status, hit.reason, hit.decided_by, hit.decided_at = status, reason, decider, timezone.now()
        hit.save(update_fields=["status", "reason", "decided_by", "decided_at"])
        if status == HitStatus.CONFIRMED and hit.alert_id is None:
            alert, _created = do_raise_alert(
                key=f"screening:{hit.pk}", source=AlertSource.SCREENING, code=hit.entry.watch_list.code,
                customer_no=hit.subject_ref if hit.subject_kind == "customer" else "", score=90,
                summary_zh=hit.explanation_zh[:500], summary_en=hit.explanation_en[:500], branch_id=hit.branch_id,
                details={"hit": hit.pk}, payment_ids=[hit.payment.payment_id] if hit.payment else [], actor=actor,
            )  # fmt: skip
            hit.alert = alert
            hit.save(update_fields=["alert"])
        record_event(
            action="aml.decide_screening_hit",
            actor=actor,
            obj=hit,
            after={"status": status, "reason": reason},
        )
    return hit

"""Pages of work orders whose total is counted only up to a cap (decision 0306).

Counting every match of "all orders" or of a common search term means reading a hundred thousand
index entries or more at a million orders, far more than the page itself costs. The queues count at
most :data:`COUNT_CAP` matches and say "more than 10,000" past that; the rows of a page are read with
``LIMIT``/``OFFSET`` through indexes that match each queue's ``ORDER BY``. Every page runs the same
queries whatever its size (one for the rows, one bounded count).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from bastion.platform.errors import FieldError
from bastion.platform.pagination import MAX_PAGE_SIZE, Page

COUNT_CAP = 10_000


@dataclass(frozen=True)
class OrderPage(Page[Any]):
    """A page whose ``total`` is exact, or the cap when more rows match (``total_exact`` False)."""

    total_exact: bool = True

    count_cap: int = COUNT_CAP

    @property
    def has_next(self) -> bool:
        # Past the cap the number of pages is unknown: a full page may have a next one.
        return super().has_next if self.total_exact else len(self.items) == self.page_size


def count_capped(rows: QuerySet[Any], *, cap: int) -> tuple[int, bool]:
    """``(count, exact)``: the number of ``rows`` (a ``values()`` queryset), or ``(cap, False)``.

    ``rows`` keeps its ordering: it can steer the plan of the bounded scan (see ``services``)."""
    # COUNT over a LIMITed subquery: the database stops after cap + 1 rows.
    counted = rows[: cap + 1].count()
    return (cap, False) if counted > cap else (counted, True)


def _check(page: int, page_size: int) -> None:
    if page < 1:
        raise FieldError("page", "page must be 1 or more")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise FieldError("page_size", f"page_size must be between 1 and {MAX_PAGE_SIZE}")


def _page(items: list[Any], rows: QuerySet[Any], *, page: int, page_size: int) -> OrderPage:
    cap = COUNT_CAP  # read now, not at import: tests lower it
    start = (page - 1) * page_size
    total, exact = count_capped(rows, cap=cap)
    if len(items) < page_size and (items or page == 1):
        total, exact = start + len(items), True  # the last page: the count is known past any cap
    return OrderPage(
        items=items, page=page, page_size=page_size, total=total, total_exact=exact, count_cap=cap
    )


def paginate_orders(queryset: QuerySet[Any], *, page: int = 1, page_size: int = 50) -> OrderPage:
    """The requested page with a capped total; a page past the end is empty, a bad size a 422."""
    _check(page, page_size)
    start = (page - 1) * page_size
    items = list(queryset[start : start + page_size])
    return _page(items, queryset.order_by().values("pk"), page=page, page_size=page_size)


def paginate_by_ids(
    ids: QuerySet[Any],
    orders: QuerySet[Any],
    *,
    page: int = 1,
    page_size: int = 50,
    count_ids: QuerySet[Any] | None = None,
) -> OrderPage:
    """A page read in two steps: the order ids of the page from ``ids`` (a flat ``values_list``
    already in display order, such as a search term's index entries), then those orders from
    ``orders``. ``count_ids`` (default ``ids``) is counted: the same ids, perhaps in an order that
    is cheaper to count in. The database never joins or sorts more than a page of orders, however
    many match (decision 0306)."""
    _check(page, page_size)
    start = (page - 1) * page_size
    wanted = list(ids[start : start + page_size])
    found = orders.in_bulk(wanted)
    items = [found[pk] for pk in wanted if pk in found]
    return _page(items, ids if count_ids is None else count_ids, page=page, page_size=page_size)

"""Page-number pagination with a hard cap, shared by the API and the console."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from django.db.models import QuerySet

from bastion.platform.errors import FieldError

T = TypeVar("T")
MAX_PAGE_SIZE = 200
DEFAULT_PAGE_SIZE = 50


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    page: int
    page_size: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def paginate(queryset: QuerySet, *, page: int = 1, page_size: int = DEFAULT_PAGE_SIZE) -> Page:
    """Slice a queryset; a page past the end is empty rather than an error, a bad size is a 422."""
    if page < 1:
        raise FieldError("page", "page must be 1 or more")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise FieldError("page_size", f"page_size must be between 1 and {MAX_PAGE_SIZE}")
    total = queryset.count()
    start = (page - 1) * page_size
    return Page(items=list(queryset[start : start + page_size]), page=page, page_size=page_size, total=total)

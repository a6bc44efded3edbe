"""Small pieces every API router shares: who is asking, permission checks, pagination.

Handlers stay thin: :func:`principal_of` names the caller, :func:`require_permission` refuses with
403 in the common error shape, :func:`page_of` slices an already branch-scoped queryset.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import Field

from bastion.platform.errors import PermissionDenied
from bastion.platform.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, paginate
from bastion.platform.ratelimit import check_rate
from bastion.platform.scoping import Principal

T = TypeVar("T")


class ErrorBody(Schema):
    code: str = Field(description="Stable machine-readable code, e.g. permission_denied, not_found.")
    message: str = Field(description="Human-readable, in the request's language.")
    fields: dict[str, list[str]] = Field(description="Messages per offending input field.")


class ErrorOut(Schema):
    """The one error shape of the API: ``{"error": {"code", "message", "fields"}}``."""

    error: ErrorBody


# Documented on every operation so the OpenAPI schema shows the error shape.
ERRORS: dict[int, Any] = {code: ErrorOut for code in (400, 401, 403, 404, 409, 422, 429)}


class Page(Schema):
    """The body of a paginated list: ``{items, page, page_size, total}`` (see :func:`page_of`)."""

    items: list[dict[str, Any]]
    page: int
    page_size: int
    total: int


class PageQuery(Schema):
    """``?page=&page_size=`` on every list endpoint."""

    page: int = Field(1, ge=1, description="1-based page number.")
    page_size: int = Field(
        DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE, description=f"Rows per page (1-{MAX_PAGE_SIZE})."
    )


def principal_of(request: HttpRequest) -> Any:
    """The authenticated caller: a :class:`User` (session) or an :class:`ApiToken` (bearer)."""
    return request.auth  # type: ignore[attr-defined]


def require_permission(principal: Principal, code: str) -> None:
    """Refuse with 403 unless the principal holds ``code``."""
    if not principal.has_permission(code):
        raise PermissionDenied(
            _("You lack the permission %(code)s.") % {"code": code}, code="permission_denied"
        )


def enforce_rate(request: HttpRequest, *, group: str, setting: str) -> None:
    """Count this request against the principal's budget in ``group`` (a ``BASTION_*`` rate); 429 past it."""

    def principal_key(group: str, request: HttpRequest) -> str:
        principal = principal_of(request)
        return f"{type(principal).__name__}:{principal.pk}"

    check_rate(request, group=group, key=principal_key, rate=f"setting:{setting}")


def page_of(
    queryset: QuerySet[Any],
    query: PageQuery,
    render: Callable[[Any], Any] | None = None,
) -> dict[str, Any]:
    """The response body of a list endpoint: ``{items, page, page_size, total}``."""
    page = paginate(queryset, page=query.page, page_size=query.page_size)
    items: Iterable[Any] = page.items
    return {
        "items": [render(item) for item in items] if render else list(items),
        "page": page.page,
        "page_size": page.page_size,
        "total": page.total,
    }

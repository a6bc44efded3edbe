"""Plumbing shared by console views: permission checks, domain errors on forms, paging, htmx."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers

from bastion.platform.errors import DomainError, NotFound
from bastion.platform.errors import PermissionDenied as DomainPermissionDenied
from bastion.platform.pagination import Page, paginate

View = TypeVar("View", bound=Callable[..., HttpResponse])
CONSOLE_PAGE_SIZE = 25


def console_view(permission: str | None = None) -> Callable[[View], View]:
    """Require a signed-in user (and ``permission``); domain NotFound/PermissionDenied become 404/403.

    Out-of-scope rows already answer NotFound from the scoping layer, so their existence is never
    disclosed by a 403.
    """

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if permission is not None and not request.user.has_permission(permission):  # type: ignore[union-attr]
                raise DjangoPermissionDenied(permission)
            try:
                return view(request, *args, **kwargs)
            except NotFound as exc:
                raise Http404(exc.message) from exc
            except DomainPermissionDenied as exc:
                raise DjangoPermissionDenied(exc.message) from exc

        return login_required(wrapped)  # type: ignore[return-value]

    return decorate


def apply_domain_error(form: forms.Form, exc: DomainError, aliases: dict[str, str] | None = None) -> None:
    """Put a domain refusal onto the form: on the field it names, else as a form-wide error."""
    aliases = aliases or {}
    if not exc.fields:
        form.add_error(None, exc.message)
        return
    for field_name, messages in exc.fields.items():
        name = aliases.get(field_name, field_name)
        form.add_error(name if name in form.fields else None, messages)


def page_of(
    request: HttpRequest, queryset: QuerySet[Any], *, page_size: int = CONSOLE_PAGE_SIZE
) -> Page[Any]:
    """The requested page of a queryset; a malformed page number shows the first page."""
    try:
        number = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        number = 1
    return paginate(queryset, page=number, page_size=page_size)


def is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def render_results(
    request: HttpRequest,
    full: str,
    partial: str,
    context: dict[str, Any],
    *,
    status: int = 200,
) -> HttpResponse:
    """A list page: htmx filter requests get only the results partial, everything else the page.

    History restores (back button after the cache was skipped) always get the whole page, and the
    response varies on ``HX-Request`` so no cache hands a partial to a full navigation.
    """
    htmx = getattr(request, "htmx", None)
    partial_wanted = bool(htmx) and not htmx.boosted and not htmx.history_restore_request  # type: ignore[union-attr]
    response = render(request, partial if partial_wanted else full, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response

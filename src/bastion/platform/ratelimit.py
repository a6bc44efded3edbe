"""Rate limits for Django views and API handlers, on django-ratelimit and the shared cache.

Two forms, one budget: :func:`rate_limit` decorates a Django view and answers 429 in the common error
shape; :func:`check_rate` is called inside a ninja handler (or an action's caller) and raises
:class:`RateLimited`, which the API's ``DomainError`` handler renders as 429. Rates read settings at
request time (``rate="setting:BASTION_RATE_LIMIT_LOGIN"``), so an operator's change and a test's
``override_settings`` both apply without a restart.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any, TypeVar, cast

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from django_ratelimit import ALL
from django_ratelimit.core import get_usage

from bastion.platform.errors import DomainError, rate_limited

V = TypeVar("V", bound=Callable[..., HttpResponse])
Key = str | Callable[[str, HttpRequest], str]
Rate = str | Callable[[str, HttpRequest], str]

_SETTING = "setting:"


class RateLimited(DomainError):
    """The caller spent its request budget for this group; try again after the window."""

    status = 429
    code = "rate_limited"

    def __init__(self, retry_after: int | None = None) -> None:
        super().__init__(str(_("Too many requests; wait a minute and try again.")))
        self.retry_after = retry_after


def _resolve_rate(rate: Rate) -> Rate:
    if isinstance(rate, str) and rate.startswith(_SETTING):
        name = rate.removeprefix(_SETTING)

        def from_settings(group: str, request: HttpRequest) -> str:
            return str(getattr(settings, name))

        return from_settings
    return rate


def _usage(
    request: HttpRequest, *, group: str, key: Key, rate: Rate, methods: Iterable[str] | Any
) -> dict[str, Any] | None:
    method = methods if methods is ALL else [m.upper() for m in methods]
    return get_usage(request, group=group, key=key, rate=_resolve_rate(rate), method=method, increment=True)


def check_rate(
    request: HttpRequest, *, group: str, key: Key = "ip", rate: Rate, methods: Iterable[str] | Any = ALL
) -> None:
    """Count this request against ``group``'s budget for ``key``; raise :class:`RateLimited` once spent."""
    usage = _usage(request, group=group, key=key, rate=rate, methods=methods)
    if usage is not None and usage["should_limit"]:
        raise RateLimited(retry_after=int(usage["time_left"]))


def rate_limit(
    *, group: str, key: Key = "ip", rate: Rate, methods: Iterable[str] | Any = ("POST",)
) -> Callable[[V], V]:
    """Decorate a Django view: over budget, it answers 429 ``rate_limited`` without running the view."""

    def decorate(view: V) -> V:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            usage = _usage(request, group=group, key=key, rate=rate, methods=methods)
            if usage is not None and usage["should_limit"]:
                response = rate_limited(request)
                response["Retry-After"] = str(int(usage["time_left"]))
                return response
            return view(request, *args, **kwargs)

        return cast(V, wrapper)

    return decorate

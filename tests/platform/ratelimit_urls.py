"""A URL map for the rate-limit tests: one Django view and one ninja handler, each limited."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.urls import path
from ninja import NinjaAPI

from bastion.api import on_domain_error
from bastion.platform.errors import DomainError
from bastion.platform.ratelimit import check_rate, rate_limit


@rate_limit(group="test.form", rate="setting:BASTION_RATE_LIMIT_LOGIN")
def limited_form(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})


limited_api = NinjaAPI(urls_namespace="ratelimit-test")
limited_api.add_exception_handler(DomainError, on_domain_error)


@limited_api.get("/ping")
def ping(request: HttpRequest) -> dict[str, bool]:
    check_rate(request, group="test.api", key="ip", rate="2/m")
    return {"ok": True}


urlpatterns = [path("form/", limited_form), path("api/", limited_api.urls)]

"""Template context for every console page: the institution, and the navigation the user may see."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from bastion.identity.models import Institution
from bastion.web.navigation import navigation_items


def _institution_name(request: HttpRequest) -> str:
    user = getattr(request, "user", None)
    branch = getattr(user, "home_branch", None) if user is not None and user.is_authenticated else None
    institution = branch.institution if branch is not None else Institution.objects.order_by("pk").first()
    if institution is None:
        return "Bastion"
    if getattr(request, "LANGUAGE_CODE", "").startswith("en") and institution.name_en:
        return institution.name_en
    return institution.name


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"navigation": [], "institution_name": _institution_name(request)}
    match = getattr(request, "resolver_match", None)
    current = match.url_name if match is not None and match.url_name else ""
    return {"navigation": navigation_items(user, current), "institution_name": _institution_name(request)}

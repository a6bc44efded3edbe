"""The unread-notifications link in the console header (``{% load notify_tags %}{% inbox_link %}``)."""

from __future__ import annotations

from typing import Any

from django import template

from bastion.notify import services

register = template.Library()


@register.inclusion_tag("notify/_inbox_link.html", takes_context=True)
def inbox_link(context: dict[str, Any]) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"show": False}
    return {"show": True, "unread": services.unread_count(user=user)}

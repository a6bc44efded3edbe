"""Small template helpers of the console."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    """``mapping[key]``, or an empty string when absent (templates cannot subscript by variable)."""
    try:
        return mapping.get(key, "")
    except AttributeError:
        return ""

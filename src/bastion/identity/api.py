"""Identity endpoints: branches, users, roles, approvals (filled in by the API shell work)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["identity"])

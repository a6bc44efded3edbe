"""Audit trail endpoints for auditors."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["audit"])

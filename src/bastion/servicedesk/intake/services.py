"""Reads of the intake channels (no side effects)."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet

from bastion.platform.scoping import Principal, scoped
from bastion.servicedesk.intake.choices import Direction, Outcome
from bastion.servicedesk.intake.models import IntakeMessage, WeChatReporter


def list_unsent_acknowledgements(*, older_than: datetime, limit: int = 200) -> list[int]:
    """Ids of acknowledgements never attempted although queued before ``older_than``."""
    return list(
        IntakeMessage.objects.filter(
            direction=Direction.OUTBOUND, outcome=Outcome.PENDING, attempts=0, received_at__lt=older_than
        )
        .order_by("received_at")
        .values_list("pk", flat=True)[:limit]
    )


def list_intake_messages(*, principal: Principal) -> QuerySet[IntakeMessage]:
    """The intake log inside the principal's branch scope, newest first."""
    return scoped(IntakeMessage.objects.select_related("branch"), principal)


def list_wechat_reporters(*, principal: Principal) -> QuerySet[WeChatReporter]:
    return scoped(WeChatReporter.objects.select_related("branch", "user"), principal)

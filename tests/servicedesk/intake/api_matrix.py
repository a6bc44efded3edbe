"""The intake endpoints in the authorisation matrix (see tests/api/matrix.py).

Everyone who sees work orders sees the intake log of their branches; registering WeChat followers
(and listing them, with their contacts) is the support supervisor's.
"""

from __future__ import annotations

from typing import Any

from tests.api.matrix import Case, permission_then_scope
from tests.servicedesk.api_matrix import VIEW

MANAGE_INTAKE = frozenset({"support_supervisor"})


def _binding(ids: dict[str, int]) -> dict[str, Any]:
    return {"openid": "oMatrixFollower000000000001", "display_name": "矩阵测试", "branch_id": ids["branch"]}


MATRIX: dict[tuple[str, str], Case] = {
    ("GET", "/servicedesk/intake/messages"): Case(None, permission_then_scope(VIEW, 200)),
    ("GET", "/servicedesk/intake/wechat-reporters"): Case(None, permission_then_scope(MANAGE_INTAKE, 200)),
    # The branch is in the body: outside the caller's scope it is a bad field (422).
    ("POST", "/servicedesk/intake/wechat-reporters"): Case(
        "branch", permission_then_scope(MANAGE_INTAKE, 201, out_of_scope=422), _binding
    ),
}
PATH_PARAMS: dict[str, str] = {}


def build_targets(api_world: Any) -> dict[str, dict[str, int]]:
    """Two logged messages and two WeChat followers at each branch (the lists need rows to scope)."""
    from django.utils import timezone

    from bastion.servicedesk.intake.models import IntakeMessage, WeChatReporter

    for side, branch in (("A", api_world.branch_a), ("B", api_world.branch_b)):
        for n in range(2):
            IntakeMessage.objects.create(
                channel="email",
                direction="in",
                external_id=f"<matrix-{side}-{n}@bank.example>",
                branch=branch,
                outcome="unrouted",
                sender_name="网点柜员",
                subject="ATM 卡钞",
                received_at=timezone.now(),
            )
            WeChatReporter.objects.create(
                openid=f"oMatrix{side}{n}", display_name=f"关注者{side}{n}", branch=branch
            )
    return {}


# --- lists and bad input (tests/api/test_scope_and_input.py) ---------------------------------------
LIST_BRANCH_OF: dict[str, Any] = {
    "/servicedesk/intake/messages": lambda item: item["branch_id"],
    "/servicedesk/intake/wechat-reporters": lambda item: item["branch_id"],
}
LIST_READERS = {
    "/servicedesk/intake/messages": "support_supervisor_a",
    "/servicedesk/intake/wechat-reporters": "support_supervisor_a",
}
BAD_INPUT: dict[tuple[str, str], list[tuple[Any, ...]]] = {
    ("POST", "/servicedesk/intake/wechat-reporters"): [
        (
            "/servicedesk/intake/wechat-reporters",
            lambda ids: {**_binding(ids), "openid": ""},
            "openid",
            "support_supervisor_a",
        ),
        (
            "/servicedesk/intake/wechat-reporters",
            lambda ids: {**_binding(ids), "branch_id": 999999},
            "branch_id",
            "support_supervisor_a",
        ),
        (
            "/servicedesk/intake/wechat-reporters",
            lambda ids: {**_binding(ids), "display_name": ""},
            "display_name",
            "support_supervisor_a",
        ),
    ],
}

"""The service-desk endpoints in the authorisation matrix (see tests/api/matrix.py).

Who may do what, written out by hand from R1.2: customer-service agents log and follow orders;
on-site and remote engineers work the orders assigned to them (as themselves: a token is not the
assigned engineer); the support supervisor dispatches, reassigns and sees the dashboards;
smart-counter staff and branch managers log and see their branch's orders; the emergency leader and
auditors read; administrators keep the system, not the orders.
"""

from __future__ import annotations

from typing import Any

from bastion.identity.models import User
from bastion.servicedesk.models import WorkOrder
from tests.api.matrix import Case, in_scope, permission_then_scope, role_of

VIEW = frozenset(
    {
        "customer_service_agent",
        "onsite_engineer",
        "remote_engineer",
        "support_supervisor",
        "smart_counter_operator",
        "smart_counter_manager",
        "branch_manager",
        "emergency_leader",
        "auditor",
    }
)
LOG = frozenset(
    {
        "customer_service_agent",
        "onsite_engineer",
        "remote_engineer",
        "support_supervisor",
        "smart_counter_operator",
        "smart_counter_manager",
        "branch_manager",
    }
)
DISPATCH = frozenset({"support_supervisor"})
DASHBOARD = frozenset(
    {"support_supervisor", "smart_counter_manager", "branch_manager", "emergency_leader", "auditor"}
)
# The target orders at branch A are assigned to onsite_engineer_a (none of the principals holds B's).
ASSIGNEE = "onsite_engineer_a"


def works_order(principal: str, target: str | None, as_token: bool) -> int:
    """Supervisors work any order in scope; engineers only their own, and only in person."""
    assert target is not None
    role = role_of(principal)
    if role not in VIEW:
        return 403
    if not in_scope(principal, target):
        return 404
    if role in DISPATCH:
        return 200
    if role in {"onsite_engineer", "remote_engineer"} and principal == ASSIGNEE and not as_token:
        return 200
    return 403


def _new_order(ids: dict[str, int]) -> dict[str, Any]:
    return {
        "branch_id": ids["branch"],
        "kind": "fault",
        "channel": "api",
        "title": "移动端报修：POS 无法联机",
        "symptoms": "刷卡后提示通讯失败",
    }


MATRIX: dict[tuple[str, str], Case] = {
    ("GET", "/servicedesk/work-orders"): Case(None, permission_then_scope(VIEW, 200)),
    # The branch is in the body: outside the caller's scope it is a bad field (422).
    ("POST", "/servicedesk/work-orders"): Case(
        "branch", permission_then_scope(LOG, 201, out_of_scope=422), _new_order
    ),
    ("GET", "/servicedesk/work-orders/{work_order_id}"): Case("work_order", permission_then_scope(VIEW, 200)),
    ("POST", "/servicedesk/work-orders/{work_order_id}/notes"): Case(
        "work_order", permission_then_scope(LOG, 201), lambda ids: {"text": "客户来电催办"}
    ),
    ("POST", "/servicedesk/work-orders/{work_order_id}/transition"): Case(
        "work_order", works_order, lambda ids: {"status": "acknowledged"}
    ),
    ("POST", "/servicedesk/work-orders/{work_order_id}/assign"): Case(
        "work_order",
        permission_then_scope(DISPATCH, 200),
        lambda ids: {"engineer_id": ids["engineer"], "reason": "熟悉该网点设备"},
    ),
    ("POST", "/servicedesk/work-orders/{work_order_id}/dispatch"): Case(
        "work_order", permission_then_scope(DISPATCH, 200)
    ),
    ("POST", "/servicedesk/work-orders/{work_order_id}/escalate"): Case(
        "work_order", works_order, lambda ids: {"reason": "需要二线支持"}
    ),
    ("POST", "/servicedesk/work-orders/{work_order_id}/postmortem"): Case(
        "resolved_order", works_order, lambda ids: {"root_cause": "模块老化", "prevention": "纳入季度巡检"}
    ),
    ("POST", "/servicedesk/work-orders/{work_order_id}/feedback"): Case(
        "resolved_order", permission_then_scope(LOG, 201), lambda ids: {"rating": 5, "comment": "回访满意"}
    ),
    ("GET", "/servicedesk/satisfaction"): Case(None, permission_then_scope(DASHBOARD, 200)),
}

PATH_PARAMS = {"work_order": "work_order_id", "resolved_order": "work_order_id"}


def build_targets(api_world: Any) -> dict[str, dict[str, int]]:
    users = api_world.world.users
    engineers = {"A": users["onsite_engineer"], "B": users["engineer_b"]}
    orders: dict[str, int] = {}
    resolved: dict[str, int] = {}
    for side, branch in (("A", api_world.branch_a), ("B", api_world.branch_b)):
        common = {
            "branch": branch,
            "kind": "fault",
            "channel": "phone",
            "priority": "p2",
            "assignee": engineers[side],
            "response_due_at": None,
        }
        orders[side] = WorkOrder.objects.create(title="矩阵测试工单", **common).pk
        resolved[side] = WorkOrder.objects.create(
            title="矩阵测试已解决工单", status="resolved", resolution_summary="已修复", **common
        ).pk
    return {
        "work_order": orders,
        "resolved_order": resolved,
        "engineer": {side: User.objects.get(pk=u.pk).pk for side, u in engineers.items()},
    }


# --- lists and bad input (tests/api/test_scope_and_input.py) ---------------------------------------
LIST_BRANCH_OF: dict[str, Any] = {"/servicedesk/work-orders": lambda item: item["branch"]["id"]}
NOT_LISTS = {"/servicedesk/satisfaction"}  # one summary per engineer, team and branch, not rows
LIST_READERS = {"/servicedesk/work-orders": "support_supervisor_a"}

_SUPERVISOR = "support_supervisor_a"


def _order_with(**changes: Any) -> Any:
    return lambda ids: {**_new_order(ids), **changes}


BAD_INPUT: dict[tuple[str, str], list[tuple[Any, ...]]] = {
    ("POST", "/servicedesk/work-orders"): [
        ("/servicedesk/work-orders", _order_with(title=""), "title", _SUPERVISOR),
        ("/servicedesk/work-orders", _order_with(kind="gossip"), "kind", _SUPERVISOR),
        ("/servicedesk/work-orders", _order_with(channel="fax"), "channel", _SUPERVISOR),
        ("/servicedesk/work-orders", _order_with(priority="p9"), "priority", _SUPERVISOR),
        ("/servicedesk/work-orders", _order_with(branch_id=999999), "branch_id", _SUPERVISOR),
        ("/servicedesk/work-orders", _order_with(device_id=999999), "device_id", _SUPERVISOR),
        ("/servicedesk/work-orders", _order_with(title="标" * 201), "title", _SUPERVISOR),
    ],
    ("POST", "/servicedesk/work-orders/{work_order_id}/notes"): [
        ("/servicedesk/work-orders/{work_order}/notes", {"text": ""}, "text", _SUPERVISOR),
        ("/servicedesk/work-orders/abc/notes", {"text": "x"}, "work_order_id", _SUPERVISOR),
    ],
    ("POST", "/servicedesk/work-orders/{work_order_id}/transition"): [
        ("/servicedesk/work-orders/{work_order}/transition", {"status": "teleported"}, "status", _SUPERVISOR),
        ("/servicedesk/work-orders/{work_order}/transition", {}, "status", _SUPERVISOR),
    ],
    ("POST", "/servicedesk/work-orders/{work_order_id}/assign"): [
        (
            "/servicedesk/work-orders/{work_order}/assign",
            {"engineer_id": 999999, "reason": "x"},
            "engineer_id",
            _SUPERVISOR,
        ),
        (
            "/servicedesk/work-orders/{work_order}/assign",
            lambda ids: {"engineer_id": ids["engineer"], "reason": ""},
            "reason",
            _SUPERVISOR,
        ),
    ],
    ("POST", "/servicedesk/work-orders/{work_order_id}/dispatch"): [
        ("/servicedesk/work-orders/abc/dispatch", None, "work_order_id", _SUPERVISOR),
    ],
    ("POST", "/servicedesk/work-orders/{work_order_id}/escalate"): [
        ("/servicedesk/work-orders/{work_order}/escalate", {"reason": ""}, "reason", _SUPERVISOR),
    ],
    ("POST", "/servicedesk/work-orders/{work_order_id}/postmortem"): [
        (
            "/servicedesk/work-orders/{resolved_order}/postmortem",
            {"root_cause": "", "prevention": "x"},
            "root_cause",
            _SUPERVISOR,
        ),
        (
            "/servicedesk/work-orders/{resolved_order}/postmortem",
            {"root_cause": "x"},
            "prevention",
            _SUPERVISOR,
        ),
    ],
    ("POST", "/servicedesk/work-orders/{work_order_id}/feedback"): [
        ("/servicedesk/work-orders/{resolved_order}/feedback", {"rating": 6}, "rating", _SUPERVISOR),
        ("/servicedesk/work-orders/{resolved_order}/feedback", {"rating": "good"}, "rating", _SUPERVISOR),
    ],
}

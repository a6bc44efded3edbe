"""The notify endpoints in the authorisation matrix (see tests/api/matrix.py).

Everyone has an inbox and channel preferences of their own (no permission needed); a token acts for
its owner. A notification is visible to its recipient only: anyone else gets 404. The delivery log
belongs to administrators, support supervisors and auditors, in their branch scope.
"""

from __future__ import annotations

from typing import Any

from bastion.notify.actions import do_notify
from tests.api.matrix import Case, permission_then_scope

DELIVERIES = frozenset({"administrator", "support_supervisor", "auditor"})
RECIPIENTS = {"A": "onsite_engineer_a", "B": "branch_manager_b"}


def everyone(ok: int) -> Any:
    return lambda principal, target, as_token: ok


def recipient_only(principal: str, target: str | None, as_token: bool) -> int:
    assert target is not None
    return 200 if RECIPIENTS[target] == principal else 404


MATRIX: dict[tuple[str, str], Case] = {
    ("GET", "/notifications"): Case(None, everyone(200)),
    ("GET", "/notifications/unread-count"): Case(None, everyone(200)),
    ("POST", "/notifications/read-all"): Case(None, everyone(200)),
    ("POST", "/notifications/{notification_id}/read"): Case("notification", recipient_only),
    ("GET", "/notifications/preferences"): Case(None, everyone(200)),
    ("PUT", "/notifications/preferences"): Case(
        None, everyone(200), body={"kind": "*", "channels": ["in_app"]}
    ),
    ("GET", "/notifications/deliveries"): Case(None, permission_then_scope(DELIVERIES, 200)),
}

PATH_PARAMS = {"notification": "notification_id"}


def build_targets(api_world: Any) -> dict[str, dict[str, int]]:
    users = api_world.world.users
    found = {}
    for target, name in (("A", "onsite_engineer"), ("B", "branch_manager_b")):
        (row,) = do_notify(
            recipients=[users[name]], kind="matrix", subject="工单已派发", body="", channels=["in_app"]
        )
        found[target] = row.pk
        # An e-mail per side fills the delivery log (its sending waits for a commit that never comes).
        do_notify(recipients=[users[name]], kind="matrix", subject="工单已派发", body="", channels=["email"])
    # A second in-app notice, so the engineer's inbox is a list of more than one row.
    do_notify(
        recipients=[users["onsite_engineer"]], kind="matrix", subject="SLA 预警", body="", channels=["in_app"]
    )
    return {"notification": found}


# --- lists and bad input (tests/api/test_scope_and_input.py) ---------------------------------------
def _recipient_branch(item: dict[str, Any]) -> int | None:
    from bastion.identity.models import User

    return User.objects.get(pk=item["recipient_id"]).home_branch_id


LIST_BRANCH_OF: dict[str, Any] = {
    "/notifications": None,  # one's own inbox: personal, not branch data
    "/notifications/deliveries": _recipient_branch,
}
NOT_LISTS = {"/notifications/preferences", "/notifications/unread-count"}
LIST_READERS = {"/notifications": "onsite_engineer_a"}

BAD_INPUT: dict[tuple[str, str], list[tuple[Any, ...]]] = {
    ("PUT", "/notifications/preferences"): [
        ("/notifications/preferences", {"kind": "*", "channels": []}, "channels"),
        ("/notifications/preferences", {"kind": "*", "channels": ["pigeon"]}, "channels.0"),
        ("/notifications/preferences", {"kind": "", "channels": ["in_app"]}, "kind"),
    ],
    ("POST", "/notifications/{notification_id}/read"): [
        ("/notifications/abc/read", None, "notification_id"),
    ],
    ("POST", "/notifications/read-all"): [],  # takes no input at all
}

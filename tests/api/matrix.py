"""Shared vocabulary of the authorisation matrix, and the per-app extensions it collects.

An app adds its endpoints to the matrix in ``tests/<app>/api_matrix.py``, which defines:

- ``MATRIX``: ``{(METHOD, path under /api/v1): Case}`` for each of its endpoints;
- ``PATH_PARAMS``: ``{target kind: path parameter name}`` for the kinds it adds;
- ``build_targets(api_world) -> {kind: {"A": id, "B": id}}``: one object of each kind at branch A
  and at branch B (``api_world.branch_a``/``branch_b``, ``api_world.world.users``), created once per
  module inside the matrix's rolled-back transaction.

Every ``{param}`` in a path whose kind is in the targets is filled with that kind's object at the
case's branch, so a path may name several objects.

For ``tests/api/test_scope_and_input.py`` it also defines, where it has such endpoints:

- ``LIST_BRANCH_OF``: ``{list path: item -> branch id}`` for every paginated list (``None`` when the
  rows are not branch data); every branch user must see only their own branch's rows;
- ``NOT_LISTS``: GET paths without a path parameter that are not paginated lists;
- ``LIST_READERS``: ``{list path: principal}`` when ``admin_hq`` may not read it;
- ``BAD_INPUT``: ``{(METHOD, path): [(url with {kind} placeholders, body or body(targets_at_a),
  field that the 4xx must name[, principal])]}`` for every write endpoint; the refused request
  must leave every Bastion table unchanged.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from bastion.identity.permissions import ROLES
from tests.api.conftest import INSTITUTION_WIDE

EXTENSION_APPS = ("devices", "servicedesk", "servicedesk.intake", "knowledge", "notify", "risk", "aml")


def extensions() -> list[ModuleType]:
    """The ``tests.<app>.api_matrix`` modules that exist."""
    found = []
    for app in EXTENSION_APPS:
        name = f"tests.{app}.api_matrix"
        if importlib.util.find_spec(f"tests.{app}") and importlib.util.find_spec(name):
            found.append(importlib.import_module(name))
    return found


# --- who holds what (R1.2), by role ----------------------------------------------------------------
EVERYONE = frozenset(ROLES)
VIEW_USERS = frozenset(
    {"administrator", "branch_manager", "support_supervisor", "compliance_officer", "auditor"}
)
MANAGE_USERS = frozenset({"administrator"})
REQUEST_GRANT = frozenset({"administrator", "branch_manager", "support_supervisor"})
MANAGE_TOKENS = frozenset({"administrator"})
AUDIT_VIEW = frozenset({"compliance_officer", "auditor"})
AUDIT_EXPORT = frozenset({"auditor"})


def role_of(principal: str) -> str:
    if principal in INSTITUTION_WIDE:
        return INSTITUTION_WIDE[principal]
    return principal.removesuffix("_a").removesuffix("_b")


def in_scope(principal: str, target: str) -> bool:
    if principal in INSTITUTION_WIDE:
        return True
    return principal.endswith("_" + target.lower())


def permission_then_scope(roles: frozenset[str], ok: int, *, out_of_scope: int = 404) -> Any:
    def expect(principal: str, target: str | None, as_token: bool) -> int:
        if role_of(principal) not in roles:
            return 403
        if target is not None and not in_scope(principal, target):
            return out_of_scope
        return ok

    return expect


def person_only(rule: Any) -> Any:
    """Tokens are refused (403 person_required) once the permission check passes."""

    def expect(principal: str, target: str | None, as_token: bool) -> int:
        status = rule(principal, target, False)
        return 403 if as_token else status

    return expect


@dataclass(frozen=True)
class Case:
    """One endpoint: what it targets, a valid body, and the expected status per principal."""

    target: str | None  # kind of object in the path or body, "A"/"B" variants are generated
    expect: Any
    body: Any = None
    query: str = ""

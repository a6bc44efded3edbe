"""Branch scope, enforced in one place.

Every list, detail, API endpoint and export reads rows through :func:`scoped` or
:func:`get_scoped_object`. A model says how it reaches its branch with ``branch_scope_path`` (for
example ``"branch"`` or ``"device__branch"``; ``"pk"`` for the branch model itself). Rows that belong
to no branch (institution-level records) are visible only to principals with institution-wide scope.
Rows outside the scope answer 404, not 403, so their existence is not disclosed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models import QuerySet

from bastion.platform.errors import NotFound

M = TypeVar("M", bound=models.Model)


@dataclass(frozen=True)
class BranchScope:
    """The branches a principal may see: all of them, or an explicit set."""

    all_branches: bool
    branch_ids: frozenset[int]

    def allows(self, branch_id: int | None) -> bool:
        if self.all_branches:
            return True
        return branch_id is not None and branch_id in self.branch_ids

    def intersect(self, other: BranchScope) -> BranchScope:
        if self.all_branches:
            return other
        if other.all_branches:
            return self
        return BranchScope(False, self.branch_ids & other.branch_ids)


NO_BRANCHES = BranchScope(False, frozenset())
ALL_BRANCHES = BranchScope(True, frozenset())


class Principal(Protocol):
    """Anything that acts: a signed-in user or an API token."""

    def branch_scope(self) -> BranchScope: ...

    def has_permission(self, code: str) -> bool: ...


def _path_for(model: type[models.Model], path: str | None) -> str:
    resolved = path or getattr(model, "branch_scope_path", None)
    if not resolved:
        raise TypeError(f"{model.__name__} declares no branch_scope_path; it cannot be scoped")
    return str(resolved)


def scoped(queryset: QuerySet[M], principal: Principal, *, path: str | None = None) -> QuerySet[M]:
    """Restrict ``queryset`` to the rows the principal's branch scope allows."""
    scope = principal.branch_scope()
    if scope.all_branches:
        return queryset
    field = _path_for(queryset.model, path)
    return queryset.filter(**{f"{field}__in": sorted(scope.branch_ids)})


def get_scoped_object(
    queryset: QuerySet[M], principal: Principal, *, path: str | None = None, **lookup: object
) -> M:
    """Fetch one row inside the principal's scope, or raise :class:`NotFound`."""
    try:
        return scoped(queryset, principal, path=path).get(**lookup)
    except ObjectDoesNotExist as exc:
        raise NotFound(f"{queryset.model._meta.verbose_name} not found") from exc

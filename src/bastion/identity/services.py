"""Reads of the identity app: no side effects except a token's last-used time."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from django.db import connection
from django.db.models import Model, Q, QuerySet
from django.utils import timezone

from bastion.identity.approvals import approval_kind, kinds_approvable_by
from bastion.identity.choices import ApprovalStatus
from bastion.identity.models import ApiToken, ApprovalRequest, Branch, Role, User
from bastion.platform.scoping import Principal, scoped

TOKEN_PREFIX = "bst"  # noqa: S105  (a public marker, not a secret)


def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


# The columns a principal needs. The rest (among them the owner's encrypted phone and TOTP secret,
# each an AES-GCM decryption) stay deferred and load only if something reads them.
_TOKEN_COLUMNS = {
    "id", "name", "prefix", "digest", "permissions", "all_branches", "owner_id",
    "expires_at", "revoked_at", "last_used_at",
}  # fmt: skip
_OWNER_COLUMNS = {
    "id",
    "username",
    "full_name",
    "is_active",
    "institution_wide",
    "home_branch_id",
    "locked_until",
}


class _Loader:
    """Builds a model instance from some of its columns as the ORM would: ``from_db`` and converters."""

    def __init__(self, model: type[Model], wanted: set[str]) -> None:
        self.model = model
        # ``from_db`` takes a subset of columns in the model's field order.
        fields = [f for f in model._meta.concrete_fields if f.attname in wanted]
        self.columns = [f.column for f in fields]
        self.attnames = [f.attname for f in fields]
        self.cols = [f.get_col(model._meta.db_table) for f in fields]
        self.converters = [
            connection.ops.get_db_converters(c) + c.get_db_converters(connection) for c in self.cols
        ]

    def build(self, values: tuple[Any, ...]) -> Any:
        converted = []
        for value, funcs, col in zip(values, self.converters, self.cols, strict=True):
            for func in funcs:
                value = func(value, col, connection)
            converted.append(value)
        return self.model.from_db(connection.alias, self.attnames, converted)


class _TokenQuery:
    """The prepared join of a token and its owner, built once per database vendor."""

    def __init__(self) -> None:
        self.tokens, self.owners = _Loader(ApiToken, _TOKEN_COLUMNS), _Loader(User, _OWNER_COLUMNS)
        qn = connection.ops.quote_name
        selected = [f"t.{qn(c)}" for c in self.tokens.columns] + [f"u.{qn(c)}" for c in self.owners.columns]
        self.sql = (
            f"SELECT {', '.join(selected)} FROM {qn(ApiToken._meta.db_table)} t "  # noqa: S608
            f"JOIN {qn(User._meta.db_table)} u ON u.{qn('id')} = t.{qn('owner_id')} WHERE t.{qn('prefix')} = %s"
        )


_token_queries: dict[str, _TokenQuery] = {}


def _token_by_prefix(prefix: str) -> ApiToken | None:
    """The token with its owner, by one prepared join.

    Every API call runs this; the equivalent ORM query spent about a millisecond of CPU compiling
    its SQL, more than the rest of a payment decision (docs/decisions/0032), and raw querysets still
    cost ~0.2 ms in per-query bookkeeping.
    """
    query = _token_queries.get(connection.vendor)
    if query is None:
        query = _token_queries[connection.vendor] = _TokenQuery()
    with connection.cursor() as cursor:
        cursor.execute(query.sql, [prefix])
        row = cursor.fetchone()
    if row is None:
        return None
    split = len(query.tokens.columns)
    token: ApiToken = query.tokens.build(row[:split])
    token.owner = query.owners.build(row[split:])
    return token


def authenticate_token(raw: str) -> ApiToken | None:
    """The usable token matching ``bst_<prefix>_<secret>``, or None. Constant-time digest compare."""
    parts = raw.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        return None
    token = _token_by_prefix(parts[1])
    if token is None or not hmac.compare_digest(token.digest, token_digest(raw.strip())):
        return None
    if not token.is_usable:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def list_branches(principal: Principal) -> QuerySet[Branch]:
    return scoped(Branch.objects.select_related("region", "calendar"), principal)


def list_users(principal: Principal) -> QuerySet[User]:
    return scoped(User.objects.select_related("home_branch").prefetch_related("user_roles__role"), principal)


def list_roles() -> QuerySet[Role]:
    return Role.objects.all()


def inbox_for(user: User) -> QuerySet[ApprovalRequest]:
    """Pending requests this user may decide: kinds they may approve, in their scope, not their own."""
    kinds = kinds_approvable_by(user)
    return (
        scoped(ApprovalRequest.objects.select_related("maker", "branch"), user)
        .filter(status=ApprovalStatus.PENDING, kind__in=kinds, expires_at__gt=timezone.now())
        .exclude(maker=user)
    )


def list_approvals(principal: Principal) -> QuerySet[ApprovalRequest]:
    """Requests the principal made, or may decide (in scope); newest first."""
    kinds = kinds_approvable_by(principal)
    made_by_me = Q(maker_id=getattr(principal, "pk", None)) if isinstance(principal, User) else Q(pk__in=[])
    return scoped(ApprovalRequest.objects.select_related("maker", "checker", "branch"), principal).filter(
        made_by_me | Q(kind__in=kinds)
    )


def describe_kind(kind: str) -> str:
    return str(approval_kind(kind).label)

"""Reads of the identity app: no side effects except a token's last-used time."""

from __future__ import annotations

import hashlib
import hmac

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from bastion.identity.approvals import approval_kind, kinds_approvable_by
from bastion.identity.choices import ApprovalStatus
from bastion.identity.models import ApiToken, ApprovalRequest, Branch, Role, User
from bastion.platform.scoping import Principal, scoped

TOKEN_PREFIX = "bst"  # noqa: S105  (a public marker, not a secret)


def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _token_by_prefix(prefix: str) -> ApiToken | None:
    """The token with its owner, by two prepared raw queries.

    Every API call runs this; the equivalent ORM query spent about a millisecond of CPU compiling
    its SQL, more than the rest of a payment decision (docs/decisions/0032).
    Raw querysets still apply each field's database converters.
    """
    qn = connection.ops.quote_name
    tokens = list(ApiToken.objects.raw(
        f"SELECT * FROM {qn(ApiToken._meta.db_table)} WHERE {qn('prefix')} = %s",  # noqa: S608
        [prefix],
    ))  # fmt: skip
    if not tokens:
        return None
    token = tokens[0]
    owners = list(User.objects.raw(
        f"SELECT * FROM {qn(User._meta.db_table)} WHERE {qn('id')} = %s", [token.owner_id]  # noqa: S608
    ))  # fmt: skip
    if not owners:
        return None
    token.owner = owners[0]
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

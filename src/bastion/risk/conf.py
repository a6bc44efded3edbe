"""Settings of the risk service, read from the environment (defaults fit the embedded setup).

``BASTION_RISK_SCORER`` says where payments are scored (docs/decisions/0501):

* ``unix:/path/to/socket`` (default ``unix:$BASTION_HOME/risk-scorer.sock``) or ``tcp:host:port``:
  the single ``bastion risk-scorer`` process that owns all partitions;
* ``inline``: the calling process itself owns all partitions. Only for a single process that is the
  only writer (the test suite uses it); never for several web workers.
"""

from __future__ import annotations

import hashlib
import hmac
import os

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

DEFAULT_PARTITIONS = 8


def partitions() -> int:
    """Account-hash partitions: NATS subjects, worker processes, and feature-state snapshots."""
    value = int(
        getattr(settings, "BASTION_RISK_PARTITIONS", os.environ.get("BASTION_RISK_PARTITIONS", "0")) or 0
    )
    return value if value > 0 else DEFAULT_PARTITIONS


def scorer_address() -> str:
    explicit = getattr(settings, "BASTION_RISK_SCORER", None) or os.environ.get("BASTION_RISK_SCORER", "")
    if explicit:
        return str(explicit)
    if getattr(settings, "TESTING", False):
        return "inline"
    return f"unix:{settings.BASTION_HOME / 'risk-scorer.sock'}"


def scorer_authkey() -> bytes:
    """Shared by web processes and the scorer (same environment); proves callers hold the secret key."""
    return hmac.new(settings.SECRET_KEY.encode(), b"bastion.risk.scorer", hashlib.sha256).digest()


def snapshot_every() -> int:
    """Payments per partition between feature-state snapshots."""
    return int(os.environ.get("BASTION_RISK_SNAPSHOT_EVERY", "50000"))


def snapshot_seconds() -> float:
    """A partition that changed is snapshotted at least this often."""
    return float(os.environ.get("BASTION_RISK_SNAPSHOT_SECONDS", "300"))


def group_commit_seconds() -> float:
    """How long the scorer waits for more payments before storing a batch (0: never waits)."""
    raw = os.environ.get("BASTION_RISK_GROUP_COMMIT_MS", "1")
    try:
        milliseconds = float(raw)
    except ValueError:
        milliseconds = -1.0
    if not 0 <= milliseconds <= 100:
        raise ImproperlyConfigured(f"BASTION_RISK_GROUP_COMMIT_MS must be 0-100 milliseconds, not {raw!r}")
    return milliseconds / 1000


def ruleset_check_seconds() -> float:
    """How often a scorer or worker asks which rule-set version is active (docs/decisions/0505)."""
    return float(os.environ.get("BASTION_RISK_RULESET_CHECK_SECONDS", "1"))


def nats_url() -> str:
    return os.environ.get("BASTION_NATS_URL", "nats://127.0.0.1:4222")


def stream_name() -> str:
    """JetStream stream of payments (subjects ``<prefix>.payments.<partition>``)."""
    return os.environ.get("BASTION_RISK_STREAM", "BASTION_RISK")


def subject_prefix() -> str:
    return os.environ.get("BASTION_RISK_SUBJECT_PREFIX", "bastion.risk")


def hold_review_minutes() -> int:
    """Minutes within which a held payment is to be reviewed (the customer is waiting)."""
    return int(os.environ.get("BASTION_RISK_HOLD_REVIEW_MINUTES", "120"))


def review_minutes() -> int:
    """Minutes within which an allowed-but-flagged payment is to be reviewed."""
    return int(os.environ.get("BASTION_RISK_REVIEW_MINUTES", str(24 * 60)))

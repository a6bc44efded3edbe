"""Chain verification off the request path: nightly, and whenever an auditor asks."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from bastion.audit.actions import do_record_chain_verification


@db_periodic_task(crontab(hour="2", minute="15"))
def verify_audit_chain_nightly() -> bool:
    """Recompute the chain every night; a broken chain shows on the console's chain page."""
    return do_record_chain_verification(actor=None).ok


@db_task()
def verify_audit_chain_for(user_id: int) -> bool:
    """Recompute the chain at an auditor's request (a full read can take minutes on a large trail)."""
    from bastion.identity.models import User

    return do_record_chain_verification(actor=User.objects.filter(pk=user_id).first()).ok

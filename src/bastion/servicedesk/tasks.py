"""Queue tasks of the service desk: SLA stages fired at their exact instants (scheduled with an eta)."""

from __future__ import annotations

from huey.contrib.djhuey import db_task

from bastion.servicedesk.actions.sla import do_fire_sla_stage


@db_task(retries=3, retry_delay=30)
def fire_sla_stage(work_order_id: int, clock: str, stage: str, sequence: int = 0) -> bool:
    """Fire an SLA warning, breach or reminder if it is still due (idempotent: late or twice is safe)."""
    return do_fire_sla_stage(work_order_id=work_order_id, clock=clock, stage=stage, sequence=sequence)

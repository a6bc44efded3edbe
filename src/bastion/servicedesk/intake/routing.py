"""Where an inbound message belongs: its branch, its device, and the order it answers (reads only)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.conf import settings

from bastion.devices.models import Device
from bastion.identity.models import Branch, User
from bastion.servicedesk.intake.choices import IntakeChannel
from bastion.servicedesk.intake.email import ParsedMail
from bastion.servicedesk.intake.models import IntakeMessage, sender_key
from bastion.servicedesk.models import WorkOrder
from bastion.servicedesk.services import find_by_external_ref

# Asset tags are short codes of letters, digits and dashes ("ATM-SH-0001"); a body may mention many
# words like that, so the candidates are looked up in one query against the branch's devices.
_TAG_CANDIDATE = re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9][A-Za-z0-9_-]{2,39}(?![A-Za-z0-9_-])")
_MAX_TAG_CANDIDATES = 500


def parse_branch_map(text: str) -> dict[str, str]:
    """``"desk-sh@bank.cn=sh-pudong, desk-bj@bank.cn=bj-haidian"`` -> address -> branch code."""
    mapping: dict[str, str] = {}
    for item in text.split(","):
        address, sep, code = item.partition("=")
        if not item.strip():
            continue
        if not sep or not address.strip() or not code.strip():
            raise ValueError(
                f"BASTION_INTAKE_MAIL_BRANCHES entry {item.strip()!r} is not address=branch-code"
            )
        mapping[address.strip().lower()] = code.strip()
    return mapping


def _branch_by_code(code: str) -> Branch | None:
    return Branch.objects.filter(code=code, is_active=True).first() if code else None


def mail_branch(mail: ParsedMail) -> tuple[Branch | None, str]:
    """The branch for a new e-mail and why: the address it was sent to, the sender's branch, the default."""
    mapping = parse_branch_map(settings.BASTION_INTAKE_MAIL_BRANCHES)
    for recipient in mail.recipients:
        branch = _branch_by_code(mapping.get(recipient, ""))
        if branch is not None:
            return branch, f"recipient {recipient}"
    if mail.sender_address:
        users = list(
            User.objects.filter(
                email__iexact=mail.sender_address, is_active=True, home_branch__is_active=True
            ).select_related("home_branch")[:2]
        )
        # Two staff sharing one address say nothing reliable about the branch.
        if len(users) == 1 and users[0].home_branch is not None:
            return users[0].home_branch, f"sender {users[0].get_username()}"
    branch = _branch_by_code(settings.BASTION_INTAKE_MAIL_DEFAULT_BRANCH)
    return branch, ("default branch" if branch else "")


def device_in_text(branch_id: int, texts: Iterable[str]) -> Device | None:
    """The first device of the branch whose asset tag appears (as a whole word) in the texts."""
    candidates: list[str] = []
    for text in texts:
        for token in _TAG_CANDIDATE.findall(text or ""):
            candidates.extend((token, token.upper()))
            if len(candidates) >= _MAX_TAG_CANDIDATES:
                break
    if not candidates:
        return None
    found = {d.asset_tag: d for d in Device.objects.filter(branch_id=branch_id, asset_tag__in=candidates)}
    return next((found[c] for c in candidates if c in found), None)


def _order(order_id: int | None) -> WorkOrder | None:
    return WorkOrder.objects.filter(pk=order_id).first() if order_id else None


def thread_target(mail: ParsedMail) -> WorkOrder | None:
    """The order a reply belongs to: by the Message-IDs it answers, else an ``[WO-n]`` subject tag."""
    for message_id in mail.thread_ids:
        known = (
            IntakeMessage.objects.filter(
                channel=IntakeChannel.EMAIL, external_id=message_id, work_order_id__isnull=False
            )
            .values_list("work_order_id", flat=True)
            .first()
        )
        order = _order(known) or find_by_external_ref(external_ref=message_id)
        if order is not None:
            return order
    for number in mail.order_numbers:
        order = _order(number)
        if order is not None:
            return order
    return None


def last_wechat_order(openid: str) -> WorkOrder | None:
    """The order this follower's most recent message opened or joined, if any."""
    order_id = (
        IntakeMessage.objects.filter(
            channel=IntakeChannel.WECHAT, sender_key=sender_key(openid), work_order_id__isnull=False
        )
        .order_by("-received_at", "-pk")
        .values_list("work_order_id", flat=True)
        .first()
    )
    return _order(order_id)

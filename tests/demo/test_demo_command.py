"""`bastion demo` loads a realistic organisation, is idempotent and prints how to log in."""

from __future__ import annotations

from io import StringIO

import pyotp
from django.core.management import call_command
from django.test import override_settings

from bastion.audit.services import verify_chain
from bastion.identity.models import ApprovalRequest, Branch, Role, User
from bastion.platform.models import CalendarDay


@override_settings(BASTION_FIELD_KEYS="k1:" + "A" * 43 + "=")
def test_demo_loads_everything_once_and_prints_login(db, tmp_path):
    with override_settings(BASTION_HOME=tmp_path):
        out = StringIO()
        call_command("demo", stdout=out)
        call_command("demo", stdout=StringIO())  # a second run changes nothing
    printed = out.getvalue()
    password = (tmp_path / "demo-password").read_text().strip()
    assert f"Password (every demo user): {password}" in printed
    assert "http://127.0.0.1:8000/" in printed
    assert Branch.objects.count() == 8
    assert len({b.city for b in Branch.objects.all()}) >= 5
    assert User.objects.count() == 19
    # Every role of R1.2 is held by somebody.
    held = set(Role.objects.filter(user_assignments__isnull=False).values_list("code", flat=True))
    assert held == set(Role.objects.values_list("code", flat=True))
    admin = User.objects.get(username="admin")
    assert admin.check_password(password)
    assert admin.totp_secret in printed and pyotp.TOTP(admin.totp_secret).now().isdigit()
    # One request of each kind the demo stages waits for a second person.
    pending = ApprovalRequest.objects.filter(status="pending")
    assert sorted(pending.values_list("kind", flat=True)) == [
        "devices.procurement",
        "devices.retirement",
        "identity.role_grant",
    ]
    assert CalendarDay.objects.filter(date="2026-02-17", kind="holiday").exists()  # 春节
    assert verify_chain().ok

"""Personal data: masking formats, encrypted columns, clear reads audited, key rotation."""

from __future__ import annotations

import base64
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings

from bastion.audit.models import AuditEvent
from bastion.identity.models import User
from bastion.platform.crypto import DecryptionError, blind_index, decrypt, encrypt
from bastion.platform.masking import mask_account, mask_id_number, mask_name, mask_phone
from bastion.platform.pii import present_pii, present_pii_fields

K1 = "k1:" + base64.urlsafe_b64encode(b"1" * 32).decode()
K2 = "k2:" + base64.urlsafe_b64encode(b"2" * 32).decode()


def _raw(user: User, column: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM identity_user WHERE id = %s", [user.pk])
        return str(cursor.fetchone()[0])


def _reseal_everyone_under_k1() -> int:
    """Rewrite every encrypted value under the test ring's k1; returns how many values that is."""
    users = list(User.objects.all())  # decrypted with the installation's own ring
    with override_settings(BASTION_FIELD_KEYS=K1):
        for user in users:
            user.save(update_fields=["phone", "totp_secret"])
    return sum(bool(u.phone) + bool(u.totp_secret) for u in users)


def _set_raw(user: User, column: str, value: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE identity_user SET {column} = %s WHERE id = %s", [value, user.pk])


@pytest.mark.parametrize(
    ("masker", "value", "expected"),
    [
        (mask_id_number, "110101199003071234", "110***********1234"),
        (mask_id_number, "11010119900307123X", "110***********123X"),
        (mask_phone, "13812345678", "138****5678"),
        (mask_account, "6222021234561234", "6222 **** **** 1234"),
        (mask_account, "6222 0212 3456 1234", "6222 **** **** 1234"),
        (mask_account, "6222021234567891234", "6222 **** **** **** 1234"),
        (mask_name, "张三丰", "张**"),
        (mask_phone, "12345", "*****"),
    ],
)
def test_masking_formats(masker, value: str, expected: str) -> None:
    assert masker(value) == expected


@pytest.mark.django_db
def test_encrypted_column_holds_no_plaintext_and_reads_back(world) -> None:
    user = world.users["onsite_engineer"]
    user.phone = "13812345678"
    user.save(update_fields=["phone"])
    raw = _raw(user, "phone")
    assert raw.startswith("enc1:") and "13812345678" not in raw
    assert User.objects.get(pk=user.pk).phone == "13812345678"
    user.save(update_fields=["phone"])
    assert _raw(user, "phone") != raw  # a fresh nonce each time: equal values do not look equal


@pytest.mark.django_db
def test_tampered_or_moved_ciphertext_fails_authentication(world) -> None:
    user = world.users["onsite_engineer"]
    user.phone = "13812345678"
    user.save(update_fields=["phone"])
    raw = _raw(user, "phone")
    prefix, kid, payload = raw.split(":", 2)
    flipped = payload[:20] + ("A" if payload[20] != "A" else "B") + payload[21:]
    _set_raw(user, "phone", f"{prefix}:{kid}:{flipped}")
    with pytest.raises(DecryptionError):
        User.objects.get(pk=user.pk)
    _set_raw(user, "phone", f"{prefix}:{kid}:@@not-base64")
    with pytest.raises(DecryptionError):
        User.objects.get(pk=user.pk)
    _set_raw(user, "phone", "")
    _set_raw(user, "totp_secret", raw)  # a phone ciphertext copied into another column
    with pytest.raises(DecryptionError, match="tampered, or wrong key/column"):
        User.objects.get(pk=user.pk)
    with pytest.raises(DecryptionError):
        decrypt(encrypt("x", context="identity.User.phone"), context="identity.User.totp_secret")


@pytest.mark.django_db
def test_present_pii_masks_for_most_and_audits_clear_reads(world) -> None:
    subject = world.users["onsite_engineer"]
    engineer, compliance = world.users["engineer_b"], world.users["compliance_officer"]
    shown = present_pii(value="13812345678", kind="phone", principal=engineer, obj=subject, field="phone")
    assert shown == "138****5678"
    assert not AuditEvent.objects.filter(action__startswith="read.").exists()
    clear = present_pii(value="13812345678", kind="phone", principal=compliance, obj=subject, field="phone")
    assert clear == "13812345678"
    event = AuditEvent.objects.get(action="read.pii.phone")
    assert (event.actor_label, event.object_id, event.extra) == (
        compliance.username,
        str(subject.pk),
        {"fields": ["phone"]},
    )
    assert present_pii(value="", kind="phone", principal=compliance) == ""
    assert AuditEvent.objects.filter(action__startswith="read.").count() == 1  # nothing shown, nothing logged
    with pytest.raises(ValueError, match="unknown personal-data kind"):
        present_pii(value="x", kind="blood_type", principal=engineer)


@pytest.mark.django_db
def test_present_pii_fields_one_event_per_record(world) -> None:
    subject = world.users["onsite_engineer"]
    subject.phone, subject.full_name = "13812345678", "张三丰"
    subject.save(update_fields=["phone", "full_name"])
    fields = {"phone": "phone", "full_name": "name"}
    masked = present_pii_fields(obj=subject, fields=fields, principal=world.users["branch_manager"])
    assert masked == {"phone": "138****5678", "full_name": "张**"}
    clear = present_pii_fields(obj=subject, fields=fields, principal=world.users["aml_officer"])
    assert clear == {"phone": "13812345678", "full_name": "张三丰"}
    event = AuditEvent.objects.get(action="read.pii.record")
    assert event.extra == {"fields": ["full_name", "phone"]}


@pytest.mark.django_db
def test_rotate_field_keys_reencrypts_under_the_primary_key(world) -> None:
    for name in ("onsite_engineer", "remote_engineer"):
        User.objects.filter(pk=world.users[name].pk).update(phone="13900001111")
    sealed = _reseal_everyone_under_k1()
    with override_settings(BASTION_FIELD_KEYS=K1):
        key_before = blind_index("13900001111", context="identity.User.phone")
    subject = world.users["onsite_engineer"]
    assert _raw(subject, "phone").startswith("enc1:k1:")
    with override_settings(BASTION_FIELD_KEYS=f"{K2},{K1}"):
        assert User.objects.get(pk=subject.pk).phone == "13900001111"  # k1 still decrypts
        assert blind_index("13900001111", context="identity.User.phone") == key_before  # anchor unchanged
        dry = StringIO()
        call_command("rotate_field_keys", "--dry-run", stdout=dry)
        assert "k1=" in dry.getvalue() and "would re-encrypt" in dry.getvalue()
        assert _raw(subject, "phone").startswith("enc1:k1:")
        out = StringIO()
        call_command("rotate_field_keys", "--batch-size", "3", stdout=out)
    text = out.getvalue()
    assert "identity.User.phone" in text and "identity.User.totp_secret" in text
    assert f"key k1: {sealed} value(s) before rotation" in text
    assert f"re-encrypted {sealed} value(s) under key k2" in text
    assert _raw(subject, "phone").startswith("enc1:k2:")
    with override_settings(BASTION_FIELD_KEYS=K2):  # k1 retired: everything still reads
        assert User.objects.get(pk=subject.pk).phone == "13900001111"
        assert all(u.totp_secret for u in User.objects.filter(pk__in=[u.pk for u in world.users.values()]))
    event = AuditEvent.objects.get(action="platform.field_keys_rotated")
    assert event.extra["primary_key_id"] == "k2"
    assert event.extra["values_by_key_id_before"] == {"k1": sealed}
    assert (event.extra["reencrypted"], event.extra["failures"]) == (sealed, 0)
    again = StringIO()
    with override_settings(BASTION_FIELD_KEYS=f"{K2},{K1}"):
        call_command("rotate_field_keys", stdout=again)
    assert f"key k2: {sealed} value(s)" in again.getvalue()
    assert "re-encrypted 0 value(s)" in again.getvalue()


@pytest.mark.django_db
def test_rotate_field_keys_reports_a_moved_ciphertext_and_exits_non_zero(world) -> None:
    subject = world.users["onsite_engineer"]
    User.objects.filter(pk=subject.pk).update(phone="13900001111")
    _reseal_everyone_under_k1()
    with override_settings(BASTION_FIELD_KEYS=K1):
        _set_raw(world.users["remote_engineer"], "phone", _raw(subject, "totp_secret"))
    with override_settings(BASTION_FIELD_KEYS=f"{K2},{K1}"):
        out = StringIO()
        with pytest.raises(CommandError, match="1 value"):
            call_command("rotate_field_keys", stdout=out)
        assert f"identity.User.phone pk={world.users['remote_engineer'].pk}" in out.getvalue()
        assert _raw(subject, "phone").startswith("enc1:k2:")  # the good rows were rotated
        assert _raw(world.users["remote_engineer"], "phone").startswith("enc1:k1:")  # the bad one left alone

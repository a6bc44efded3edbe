"""Masking of personal data for roles that do not need the clear value."""

from __future__ import annotations


def mask_id_number(value: str) -> str:
    """Resident ID: keep the first 3 and last 4 characters (``110***********1234``)."""
    v = value.strip()
    if len(v) <= 7:
        return "*" * len(v)
    return v[:3] + "*" * (len(v) - 7) + v[-4:]


def mask_phone(value: str) -> str:
    """Mobile number: keep the first 3 and last 4 digits (``138****5678``)."""
    v = value.strip()
    if len(v) <= 7:
        return "*" * len(v)
    return v[:3] + "*" * (len(v) - 7) + v[-4:]


def mask_account(value: str) -> str:
    """Card or account number in groups of four, middle groups hidden (``6222 **** **** 1234``)."""
    digits = "".join(value.split())
    if len(digits) <= 8:
        return "*" * len(digits)
    head, tail = digits[:4], digits[-4:]
    hidden = len(digits) - 8
    middle_groups = ["****"] * max(1, -(-hidden // 4))
    return " ".join([head, *middle_groups, tail])


def mask_name(value: str) -> str:
    """Personal name: keep the family name (first character), hide the rest (``张**``)."""
    v = value.strip()
    return v[:1] + "*" * (len(v) - 1) if len(v) > 1 else v


def mask_address(value: str) -> str:
    """Address: keep the first six characters (province and city), hide the rest."""
    v = value.strip()
    return v[:6] + "*" * min(8, max(0, len(v) - 6))


def mask_date(value: str) -> str:
    """Date of birth: keep the year (``1990-**-**``)."""
    v = value.strip()
    return v[:4] + "-**-**" if len(v) >= 4 else "*" * len(v)


MASKERS = {
    "id_number": mask_id_number,
    "phone": mask_phone,
    "account": mask_account,
    "name": mask_name,
    "address": mask_address,
    "date": mask_date,
}

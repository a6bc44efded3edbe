"""Keep the system roles in the database in step with the permission registry."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_migrate
from django.dispatch import receiver


@receiver(post_migrate)
def sync_system_roles(sender: Any, using: str = "default", **kwargs: Any) -> None:
    if getattr(sender, "label", None) != "identity":
        return
    from bastion.identity.models import Role
    from bastion.identity.permissions import ROLES

    for definition in ROLES.values():
        Role.objects.using(using).update_or_create(
            code=definition.code,
            defaults={
                "name_zh": definition.name_zh,
                "name_en": definition.name_en,
                "privileged": definition.privileged,
                "permissions": sorted(definition.permissions),
                "system": True,
            },
        )

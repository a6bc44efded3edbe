"""Seed the engine's shipped default rule set as version 1, active."""

from __future__ import annotations

from importlib import resources
from typing import Any

from django.db import migrations
from django.utils import timezone


def seed(apps: Any, schema_editor: Any) -> None:
    version = apps.get_model("risk", "RuleSetVersion")
    if version.objects.exists():
        return
    # The text is copied into the database: later engine releases may change their default file,
    # but version 1 must stay what it was when decisions were made by it.
    text = resources.files("bastion.engine").joinpath("rulesets/default.toml").read_text(encoding="utf-8")
    now = timezone.now()
    version.objects.create(
        number=1,
        name="default",
        text=text,
        status="active",
        note="Shipped default rule set (bastion.engine rulesets/default.toml).",
        created_at=now,
        activated_at=now,
    )


class Migration(migrations.Migration):
    dependencies = [("risk", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

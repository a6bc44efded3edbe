"""The console import through the Django test client: check, then confirm; scope and permission."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from bastion.devices.models import Device
from tests.devices.import_files import csv_bytes, good_zh_rows
from tests.web.conftest import sign_in

pytestmark = pytest.mark.django_db


def test_check_then_confirm_imports_the_checked_file(world, client, settings):
    client.cookies["bastion_language"] = "en"
    sign_in(client, world.users["support_supervisor"])
    upload = SimpleUploadedFile("a.csv", csv_bytes(good_zh_rows(world.branch_a.code)))
    page = client.post("/devices/import/", {"file": upload}).content.decode()
    assert 'id="import-errors"' not in page and "Import 3 devices" in page
    assert not Device.objects.exists()
    kept = (
        Path(settings.BASTION_HOME) / "device-imports" / f"{client.session['devices_import']['token']}.upload"
    )
    assert kept.is_file()
    response = client.post("/devices/import/confirm/", {"valid_rows_only": "0"})
    assert response.status_code == 302 and response["Location"] == "/devices/"
    assert Device.objects.count() == 3
    assert not kept.exists()
    # A second confirmation finds nothing to import.
    response = client.post("/devices/import/confirm/", follow=True)
    assert "upload it again" in response.content.decode()


def test_only_importers_see_the_page(world, client):
    sign_in(client, world.users["onsite_engineer"])
    assert client.get("/devices/import/").status_code == 403
    assert "/devices/import/" not in client.get("/devices/").content.decode()

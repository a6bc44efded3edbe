"""Bulk import of devices (R2.1) through the API and the CLI, with real CSV and XLSX files."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from bastion.audit.models import AuditEvent
from bastion.devices.models import Device, LifecycleEvent
from tests.api.conftest import session_client
from tests.devices.helpers import make_device
from tests.devices.import_files import (
    ZH_HEADERS,
    csv_bytes,
    good_zh_rows,
    rows_with_errors,
    xlsx_bytes,
    xlsx_en_rows,
)

pytestmark = pytest.mark.django_db
URL = "/api/v1/devices/import"


def _client(user):
    """An English-speaking session (messages are compared in English)."""
    client = session_client(user)
    client.cookies["bastion_language"] = "en"
    return client


def _upload(client, name: str, content: bytes, **flags: str):
    return client.post(URL, {"file": SimpleUploadedFile(name, content), **flags})


def test_csv_with_chinese_headers_imports_everything_with_dependencies(world):
    client = _client(world.users["support_supervisor"])
    content = csv_bytes(good_zh_rows(world.branch_a.code), encoding="gb18030")  # Excel's Chinese CSV
    response = _upload(client, "网点设备.csv", content)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["rows"], body["imported"], body["skipped_rows"], body["errors"]) == (3, 3, 0, [])
    switch = Device.objects.get(asset_tag="IMP-SW-01")
    atm = Device.objects.get(asset_tag="IMP-ATM-001")
    kiosk = Device.objects.get(asset_tag="IMP-KSK-001")
    assert atm.upstream == switch and kiosk.upstream == switch
    assert (atm.device_class, kiosk.device_class, switch.device_class) == ("atm", "kiosk", "network")
    assert str(kiosk.install_date) == "2022-05-06" and atm.location == "大堂东侧"
    assert atm.lifecycle_state == "in_service" and atm.branch == world.branch_a
    assert set(body["device_ids"]) == {atm.pk, kiosk.pk, switch.pk}
    event = LifecycleEvent.objects.get(device=atm)
    assert event.to_state == "in_service" and "网点设备.csv" in event.note
    audit = AuditEvent.objects.get(action="devices.import_devices")
    assert audit.branch_id == world.branch_a.pk and audit.extra["imported"] == 3


def test_xlsx_with_english_headers_and_date_cells(world):
    client = _client(world.users["administrator"])
    response = _upload(client, "estate.xlsx", xlsx_bytes(xlsx_en_rows(world.branch_a.code)))
    assert response.status_code == 200, response.content
    pos = Device.objects.get(asset_tag="IMP-POS-001")
    assert pos.device_class == "pos" and pos.serial_number == "880001"
    assert (str(pos.install_date), str(pos.warranty_until)) == ("2023-01-09", "2026-01-08")
    assert Device.objects.get(asset_tag="IMP-SC-001").device_class == "smart_counter"


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_errors_import_nothing_and_name_row_and_column(world, kind):
    make_device(world.branch_a, asset_tag="IMP-TAKEN")
    rows = rows_with_errors(world.branch_a.code, world.branch_b.code)
    rows.append(["IMP-TAKEN", "取款机", "atm", "御银", "H22N", "YY0105", world.branch_a.code, "", "", ""])
    content = csv_bytes(rows) if kind == "csv" else xlsx_bytes(rows)
    client = _client(world.users["support_supervisor"])  # branch A only
    before = (Device.objects.count(), AuditEvent.objects.count())
    response = _upload(client, f"devices.{kind}", content)
    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert error["code"] == "import_rejected"
    fields = error["fields"]
    assert set(fields) == {
        "rows[3].device_class",
        "rows[3].install_date",
        "rows[4].branch",
        "rows[5].asset_tag",
        "rows[6].asset_tag",
    }
    assert fields["rows[3].device_class"] == ["设备类别: Unknown device class toaster."]
    assert "row 2" in fields["rows[5].asset_tag"][0]
    assert (Device.objects.count(), AuditEvent.objects.count()) == before

    # The same file with valid_rows_only imports row 2 and reports the rest.
    response = _upload(client, f"devices.{kind}", content, valid_rows_only="true")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["rows"], body["valid_rows"], body["imported"], body["skipped_rows"]) == (5, 1, 1, 4)
    assert {(e["row"], e["column"]) for e in body["errors"]} == {
        (3, "设备类别"),
        (3, "安装日期"),
        (4, "网点代码"),
        (5, "资产编号"),
        (6, "资产编号"),
    }
    assert Device.objects.filter(asset_tag="IMP-ATM-101", serial_number="YY0101").exists()
    assert not Device.objects.filter(asset_tag="IMP-ATM-103").exists()


def test_dependency_on_a_bad_row_fails_with_it_and_dry_run_writes_nothing(world):
    code = world.branch_a.code
    rows = [
        ZH_HEADERS,
        ["IMP-SW-09", "交换机", "network", "H3C", "S5130", "H3C0009", code, "", "2040-01-01x", ""],
        ["IMP-ATM-009", "取款机", "atm", "日立", "HT-2845", "HT0009", code, "", "", "IMP-SW-09"],
        ["IMP-ATM-010", "取款机", "atm", "日立", "HT-2845", "HT0010", code, "", "", "IMP-ATM-009"],
        ["IMP-ATM-011", "取款机", "atm", "NCR", "SS22", "NCR0011", code, "", "", "NOPE"],
    ]
    client = _client(world.users["support_supervisor"])
    response = _upload(client, "deps.csv", csv_bytes(rows), dry_run="1")
    assert response.status_code == 200
    body = response.json()
    assert body["dry_run"] and body["imported"] == 0 and body["valid_rows"] == 0
    by_row = {e["row"]: e for e in body["errors"]}
    assert by_row[3]["field"] == "upstream" and "row 2" in by_row[3]["message"]
    assert "network equipment or a server" in by_row[4]["message"]
    assert "NOPE" in by_row[5]["message"]
    assert not Device.objects.filter(asset_tag__startswith="IMP-").exists()


def test_dependency_on_a_registered_switch(world):
    switch = make_device(world.branch_a, device_class="network", asset_tag="SW-EXIST-01", name="交换机")
    other = make_device(world.branch_b, device_class="network", asset_tag="SW-OTHER-01", name="交换机")
    code = world.branch_a.code
    rows = [
        ZH_HEADERS,
        ["IMP-ATM-201", "取款机", "atm", "恒银", "CB-M50", "CY0201", code, "", "", "SW-EXIST-01"],
        ["IMP-ATM-202", "取款机", "atm", "恒银", "CB-M50", "CY0202", code, "", "", other.asset_tag],
    ]
    client = _client(world.users["administrator"])
    response = _upload(client, "deps.csv", csv_bytes(rows), valid_rows_only="true")
    assert response.status_code == 200, response.content
    assert [(e["row"], e["field"]) for e in response.json()["errors"]] == [(3, "upstream")]
    assert Device.objects.get(asset_tag="IMP-ATM-201").upstream == switch


def test_lifecycle_steps_under_dual_control_cannot_be_imported(world):
    code = world.branch_a.code
    rows = [
        [
            "Asset tag",
            "Name",
            "Device class",
            "Vendor",
            "Model",
            "Serial number",
            "Branch code",
            "Lifecycle state",
        ],
        ["IMP-ATM-301", "ATM", "atm", "NCR", "SS22", "N301", code, "Under maintenance"],
        ["IMP-ATM-302", "ATM", "atm", "NCR", "SS22", "N302", code, "已报废"],
        ["IMP-ATM-303", "ATM", "atm", "NCR", "SS22", "N303", code, "procurement approved"],
        ["IMP-ATM-304", "ATM", "atm", "NCR", "SS22", "N304", code, "retirement_approved"],
    ]
    response = _upload(
        _client(world.users["support_supervisor"]), "s.csv", csv_bytes(rows), valid_rows_only="1"
    )
    assert response.status_code == 200, response.content
    assert sorted(e["row"] for e in response.json()["errors"]) == [3, 4, 5]
    assert Device.objects.get().lifecycle_state == "maintenance"


def test_blank_rows_keep_the_spreadsheet_numbering(world):
    code = world.branch_a.code
    rows = [
        ZH_HEADERS,
        ["IMP-ATM-401", "取款机", "atm", "NCR", "SS22", "N401", code, "", "", ""],
        [None] * len(ZH_HEADERS),
        ["IMP-ATM-402", "取款机", "toaster", "NCR", "SS22", "N402", code, "", "", ""],
    ]
    response = _upload(_client(world.users["support_supervisor"]), "b.xlsx", xlsx_bytes(rows))
    assert set(response.json()["error"]["fields"]) == {"rows[4].device_class"}


def test_whole_file_problems_are_never_imported(world):
    client = _client(world.users["support_supervisor"])
    rows = [["资产编号", "设备名称", "颜色"], ["IMP-1", "x", "红"]]
    response = _upload(client, "bad.csv", csv_bytes(rows), valid_rows_only="true")
    assert response.status_code == 422
    fields = response.json()["error"]["fields"]
    assert "rows[1].row" in fields  # the unknown column 颜色
    assert "rows[1].vendor" in fields  # a required column is missing
    response = _upload(client, "bad.xlsx", b"PK\x03\x04 not really a workbook")
    assert response.status_code == 422 and "file" in response.json()["error"]["fields"]
    assert client.post(URL, {"valid_rows_only": "true"}).json()["error"]["fields"] == {
        "file": ["Attach a CSV or XLSX file."]
    }
    response = _upload(client, "a.csv", csv_bytes(good_zh_rows(world.branch_a.code)), valid_rows_only="maybe")
    assert "valid_rows_only" in response.json()["error"]["fields"]
    assert not Device.objects.filter(asset_tag__startswith="IMP-").exists()


def test_json_body_with_base64_file(world):
    client = _client(world.users["administrator"])
    content = base64.b64encode(xlsx_bytes(xlsx_en_rows(world.branch_a.code))).decode()
    response = client.post(URL, {"filename": "estate.xlsx", "file": content}, content_type="application/json")
    assert response.status_code == 200 and response.json()["imported"] == 2
    response = client.post(URL, {"filename": "x.csv", "file": "%%%"}, content_type="application/json")
    assert response.status_code == 422 and "file" in response.json()["error"]["fields"]


def test_engineers_may_not_import(world):
    client = _client(world.users["onsite_engineer"])
    response = _upload(client, "a.csv", csv_bytes(good_zh_rows(world.branch_a.code)))
    assert response.status_code == 403
    assert not Device.objects.exists()


# --- the command line ------------------------------------------------------------------------------
def _write(tmp_path: Path, name: str, content: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


def test_cli_imports_a_workbook(world, tmp_path):
    path = _write(tmp_path, "estate.xlsx", xlsx_bytes(xlsx_en_rows(world.branch_a.code)))
    out = StringIO()
    call_command("devices-import", str(path), stdout=out)
    assert "2 device(s) imported" in out.getvalue()
    assert Device.objects.filter(asset_tag__in=["IMP-POS-001", "IMP-SC-001"]).count() == 2
    assert AuditEvent.objects.get(action="devices.import_devices").channel == "cli"


def test_cli_refuses_a_file_with_errors_and_prints_the_table(world, tmp_path):
    rows = rows_with_errors(world.branch_a.code, "no-such-branch")
    path = _write(tmp_path, "devices.csv", csv_bytes(rows))
    out = StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("devices-import", str(path), stdout=out)
    printed = out.getvalue()
    assert "Unknown device class toaster" in printed and "Unknown branch no-such-branch" in printed
    assert not Device.objects.exists()

    out = StringIO()
    with pytest.raises(CommandError, match="3 row"):  # imported, but still a non-zero exit
        call_command("devices-import", str(path), "--valid-rows-only", stdout=out)
    assert "1 device(s) imported" in out.getvalue()
    assert list(Device.objects.values_list("asset_tag", flat=True)) == ["IMP-ATM-101"]


def test_cli_as_a_user_keeps_their_branch_scope(world, tmp_path):
    path = _write(tmp_path, "b.csv", csv_bytes(good_zh_rows(world.branch_b.code)))
    with pytest.raises(CommandError):
        call_command(
            "devices-import",
            str(path),
            "--user",
            world.users["support_supervisor"].username,
            stdout=StringIO(),
        )
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("devices-import", str(tmp_path / "missing.csv"), stdout=StringIO())
    assert not Device.objects.exists()


def test_cli_process_exits_non_zero_with_the_error_table(tmp_path):
    """The real ``bastion`` process: a file with a foreign column is refused with exit status 1."""
    path = _write(tmp_path, "bad.csv", csv_bytes([["资产编号", "颜色"], ["IMP-1", "红"]]))
    env = {**os.environ, "BASTION_HOME": str(tmp_path / "home"), "LANG": "C.UTF-8", "COLUMNS": "120"}
    env.pop("BASTION_DATABASE_URL", None)
    (tmp_path / "home").mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "bastion.cli", "devices-import", str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 1, result.stderr
    assert "Unknown column 颜色" in result.stdout and "Errors in the file" in result.stdout
    assert "nothing was imported" in result.stderr

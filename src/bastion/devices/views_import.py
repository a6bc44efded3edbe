"""Console bulk import of devices: upload, see the per-row error report, confirm.

The first step checks the file (a dry run) and keeps it under BASTION_HOME/device-imports under a
random name remembered in the session; the confirmation imports that very file, so the user
confirms what they saw. Files older than a day are removed at each upload.
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bastion.devices import permissions as perms
from bastion.devices.actions.importing import ImportRejected, ImportReport, do_import_devices
from bastion.devices.importing import COLUMNS
from bastion.platform.errors import DomainError
from bastion.web.http import console_view

SESSION_KEY = "devices_import"
KEEP_SECONDS = 24 * 3600


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Device file (CSV or XLSX)"))


def _folder() -> Path:
    folder = Path(settings.BASTION_HOME) / "device-imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _forget_old(folder: Path) -> None:
    cutoff = time.time() - KEEP_SECONDS
    for path in folder.glob("*.upload"):
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)


def _context(request: HttpRequest, **extra: object) -> dict[str, object]:
    return {
        "columns": COLUMNS,
        "breadcrumbs": [(_("Devices"), reverse("devices:device_list")), (_("Import devices"), "")],
        **extra,
    }


@console_view(perms.IMPORT)
def device_import(request: HttpRequest) -> HttpResponse:
    """GET: the upload form and the column list. POST: check the file and show the report."""
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method != "POST" or not form.is_valid():
        return render(request, "devices/device_import.html", _context(request, form=form))
    upload = form.cleaned_data["file"]
    content = upload.read()
    report = do_import_devices(filename=upload.name, content=content, dry_run=True, actor=request.user)
    folder = _folder()
    _forget_old(folder)
    token = secrets.token_urlsafe(16)
    (folder / f"{token}.upload").write_bytes(content)
    request.session[SESSION_KEY] = {"token": token, "filename": upload.name}
    return render(request, "devices/device_import.html", _context(request, form=UploadForm(), report=report))


@console_view(perms.IMPORT)
def device_import_confirm(request: HttpRequest) -> HttpResponse:
    """Import the checked file: all rows, or the valid rows only when the user chose so."""
    if request.method != "POST":
        return redirect("devices:device_import")
    kept = request.session.get(SESSION_KEY) or {}
    path = _folder() / f"{kept.get('token', '')}.upload"
    if not kept.get("token") or not path.is_file():
        messages.error(request, _("The checked file is no longer here; upload it again."))
        return redirect("devices:device_import")
    valid_rows_only = request.POST.get("valid_rows_only") == "1"
    try:
        report: ImportReport = do_import_devices(
            filename=kept["filename"],
            content=path.read_bytes(),
            valid_rows_only=valid_rows_only,
            actor=request.user,
        )
    except ImportRejected:
        # The registry changed since the check (someone registered a tag meanwhile): show it afresh.
        report = do_import_devices(
            filename=kept["filename"], content=path.read_bytes(), dry_run=True, actor=request.user
        )
        messages.error(request, _("The file has errors now; nothing was imported."))
        return render(
            request, "devices/device_import.html", _context(request, form=UploadForm(), report=report)
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("devices:device_import")
    path.unlink(missing_ok=True)
    del request.session[SESSION_KEY]
    messages.success(
        request,
        _("%(n)d device(s) imported from %(file)s; %(skipped)d row(s) skipped.")
        % {"n": report.imported, "file": report.filename, "skipped": report.skipped_rows},
    )
    return redirect("devices:device_list")

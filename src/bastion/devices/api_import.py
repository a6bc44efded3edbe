"""``POST /api/v1/devices/import``: bulk import of devices from a CSV or XLSX file (R2.1).

The file comes as ``multipart/form-data`` (field ``file``, flags ``valid_rows_only`` and
``dry_run``), or as JSON ``{"filename", "file": base64, "valid_rows_only", "dry_run"}`` for clients
that only speak JSON. The handler is mounted by :mod:`bastion.devices.api`. The body is read after the permission check, so a caller without the
permission is told 403 whatever they sent.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Schema

from bastion.devices import permissions as perms
from bastion.devices.actions.importing import do_import_devices
from bastion.devices.importing import MAX_BYTES
from bastion.platform.api_helpers import principal_of, require_permission
from bastion.platform.errors import FieldError

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}
_FLAGS = {
    "valid_rows_only": {"type": "boolean", "description": "import the rows without errors, skip the rest"},
    "dry_run": {"type": "boolean", "description": "check and report only; nothing is written"},
}
BODY_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}, **_FLAGS},
                }
            },
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["filename", "file"],
                    "properties": {
                        "filename": {"type": "string", "example": "devices.xlsx"},
                        "file": {"type": "string", "format": "byte", "description": "the file, base64"},
                        **_FLAGS,
                    },
                }
            },
        },
    }
}


class ImportErrorOut(Schema):
    row: int
    column: str
    field: str
    message: str


class ImportOut(Schema):
    filename: str
    rows: int
    valid_rows: int
    imported: int
    skipped_rows: int
    dry_run: bool
    device_ids: list[int]
    errors: list[ImportErrorOut]


def _flag(raw: Any, name: str) -> bool:
    if isinstance(raw, bool):
        return raw
    text = "" if raw is None else str(raw).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise FieldError(name, _("Give true or false."))


def _read_body(request: HttpRequest) -> tuple[str, bytes, dict[str, Any]]:
    """The file's name and bytes and the raw flags, from a multipart form or a JSON body."""
    if (request.content_type or "").startswith("multipart/form-data"):
        upload = request.FILES.get("file")
        if upload is None:
            raise FieldError("file", _("Attach a CSV or XLSX file."))
        if upload.size and upload.size > MAX_BYTES:
            raise FieldError("file", _("The file is larger than 5 MB."))
        return upload.name or "upload.csv", upload.read(), dict(request.POST.items())
    try:
        body = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError) as exc:
        raise FieldError("body", _("Send the file as multipart/form-data or as JSON.")) from exc
    if not isinstance(body, dict):
        raise FieldError("body", _("Send the file as multipart/form-data or as JSON."))
    encoded = body.get("file")
    if not isinstance(encoded, str) or not encoded:
        raise FieldError("file", _("Attach a CSV or XLSX file."))
    try:
        content = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise FieldError("file", _("The file is not valid base64.")) from exc
    filename = body.get("filename")
    if not isinstance(filename, str) or not filename.strip():
        raise FieldError("filename", _("This field is required."))
    return filename.strip()[:200], content, body


def import_devices(request: HttpRequest) -> dict[str, Any]:
    """Check the file and register its devices in one transaction.

    A file with errors imports nothing (422 ``import_rejected``; ``fields`` names each bad cell as
    ``rows[ROW].FIELD``, rows numbered as in a spreadsheet) unless ``valid_rows_only`` is true: then
    the valid rows are imported and ``errors`` reports the others. The columns are listed in the
    user guide (docs/guide/en/devices.md); Chinese or English headers are accepted.
    """
    principal = principal_of(request)
    require_permission(principal, perms.IMPORT)
    filename, content, flags = _read_body(request)
    report = do_import_devices(
        filename=filename,
        content=content,
        valid_rows_only=_flag(flags.get("valid_rows_only"), "valid_rows_only"),
        dry_run=_flag(flags.get("dry_run"), "dry_run"),
        actor=principal,
    )
    return report.as_dict()

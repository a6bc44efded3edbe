"""Uploads are checked by what they are, not what they claim to be: real content type, name, size.

The content is sniffed with ``filetype`` (magic numbers); the extension must agree with it; CSV,
which has no magic number, must be text (UTF-8 or GB18030, as Chinese spreadsheet exports often are)
that parses as delimited rows. XLSX is also opened as a ZIP and checked for a workbook part and a sane
decompressed size, so a renamed archive or a ZIP bomb goes no further.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from pathlib import PurePath
from typing import IO, Any

import filetype
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from bastion.platform.errors import FieldError

EXTENSIONS = {
    "csv": {".csv"},
    "xlsx": {".xlsx"},
    "pdf": {".pdf"},
    "png": {".png"},
    "jpeg": {".jpg", ".jpeg"},
}
# filetype's name for each kind it can recognise.
_SNIFFED = {"xlsx": "xlsx", "pdf": "pdf", "png": "png", "jpg": "jpeg"}
_HEAD_BYTES = 64 * 1024
_CSV_ENCODINGS = ("utf-8-sig", "gb18030")
# An XLSX may inflate this many times its upload size before we call it a bomb.
_MAX_XLSX_INFLATION = 100


def _read_head(file: Any) -> bytes:
    file.seek(0)
    head = file.read(_HEAD_BYTES)
    file.seek(0)
    return bytes(head)


def _looks_like_csv(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    for encoding in _CSV_ENCODINGS:
        try:
            # Not final: the head may stop inside a multi-byte character.
            text = codecs.getincrementaldecoder(encoding)().decode(head, final=False)
        except UnicodeDecodeError:
            continue
        if any(ord(ch) < 32 and ch not in "\t\r\n" for ch in text):
            return False
        lines = text.splitlines()[:50]
        if len(lines) > 1 and len(text) == len(head):
            lines = lines[:-1]  # the last line may be cut off by the head
        try:
            rows = list(csv.reader(io.StringIO("\n".join(lines))))
        except csv.Error:
            return False
        return bool(rows)
    return False


def _check_xlsx(file: Any, size: int, field: str) -> None:
    file.seek(0)
    try:
        with zipfile.ZipFile(file) as archive:
            names = set(archive.namelist())
            inflated = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise FieldError(field, _("The workbook is damaged.")) from None
    finally:
        file.seek(0)
    if "xl/workbook.xml" not in names:
        raise FieldError(field, _("The file is not an Excel workbook."))
    if inflated > max(size, 1) * _MAX_XLSX_INFLATION:
        raise FieldError(field, _("The workbook expands to an implausible size."))


def _size_of(file: Any) -> int:
    size = getattr(file, "size", None)
    if size is None:
        file.seek(0, io.SEEK_END)
        size = file.tell()
        file.seek(0)
    return int(size)


def validate_upload(
    file: IO[bytes] | Any,
    *,
    allowed: set[str],
    max_bytes: int | None = None,
    field: str = "file",
) -> str:
    """Return the file's real kind (one of ``allowed``) or raise :class:`FieldError` naming ``field``."""
    unknown = allowed - set(EXTENSIONS)
    if unknown:
        raise ValueError(f"unsupported upload kinds {sorted(unknown)}; known: {sorted(EXTENSIONS)}")
    limit = settings.BASTION_UPLOAD_MAX_BYTES if max_bytes is None else max_bytes
    size = _size_of(file)
    if size == 0:
        raise FieldError(field, _("The file is empty."))
    if size > limit:
        raise FieldError(field, _("The file is larger than %(limit)s.") % {"limit": filesizeformat(limit)})
    suffix = PurePath(getattr(file, "name", "") or "").suffix.lower()
    claimed = next((kind for kind, suffixes in EXTENSIONS.items() if suffix in suffixes), None)
    accepted = ", ".join(sorted(allowed))
    if claimed is None or claimed not in allowed:
        raise FieldError(field, _("Only these file types are accepted: %(kinds)s.") % {"kinds": accepted})
    head = _read_head(file)
    guess = filetype.guess(head)
    actual = _SNIFFED.get(guess.extension) if guess else None
    if actual is None and guess is None and _looks_like_csv(head):
        actual = "csv"
    if actual != claimed:
        raise FieldError(
            field, _("The file's content does not match its .%(ext)s name.") % {"ext": suffix.lstrip(".")}
        )
    if actual == "xlsx":
        _check_xlsx(file, size, field)
    return actual

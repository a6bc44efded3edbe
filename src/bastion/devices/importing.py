"""Reading and checking a device import file (R2.1): CSV or XLSX, Chinese or English headers.

Read-only: :func:`check_file` turns the bytes of a file into rows ready to create and a per-row
error report; :func:`bastion.devices.actions.importing.do_import_devices` writes them. Rows are
numbered as a spreadsheet shows them (the header is row 1, the first device row 2), and an error
names the column as the file spells it, so a user finds the cell at once.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bastion.devices.choices import DeviceClass, LifecycleState
from bastion.devices.models import Device
from bastion.identity.models import Branch
from bastion.platform.scoping import scoped

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 10_000
FILE_ROW = 1  # file-level problems (headers, encoding) are reported against the header row


@dataclass(frozen=True)
class Column:
    """One column of the import format: its key, its headers in both languages, and its limits."""

    key: str
    en: str
    zh: str
    required: bool = False
    max_length: int = 0


# The documented column set (docs/guide/*/devices.md). Either header, or the key itself, is accepted.
COLUMNS = (
    Column("asset_tag", "Asset tag", "资产编号", True, 40),
    Column("name", "Name", "设备名称", True, 120),
    Column("device_class", "Device class", "设备类别", True),
    Column("vendor", "Vendor", "厂商", True, 80),
    Column("model", "Model", "型号", True, 80),
    Column("serial_number", "Serial number", "序列号", True, 80),
    Column("branch", "Branch code", "网点代码", True),
    Column("location", "Location", "安装位置", False, 200),
    Column("install_date", "Install date", "安装日期"),
    Column("warranty_until", "Warranty until", "保修截止日期"),
    Column("end_of_support", "End of support", "停止支持日期"),
    Column("software_version", "Software version", "软件版本", False, 60),
    Column("lifecycle_state", "Lifecycle state", "生命周期状态"),
    Column("upstream", "Network dependency", "上联设备"),
)
DATE_KEYS = ("install_date", "warranty_until", "end_of_support")
# An estate being imported is already running: rows without a lifecycle state are in service.
DEFAULT_STATE = LifecycleState.IN_SERVICE
# Steps that dual control guards (procurement and retirement approval, scrapping after appraisal)
# cannot be entered by an import: the registry would hold approvals nobody gave.
IMPORTABLE_STATES = frozenset(
    {
        LifecycleState.ARRIVED,
        LifecycleState.COMMISSIONING,
        LifecycleState.IN_SERVICE,
        LifecycleState.MAINTENANCE,
    }
)
UPSTREAM_CLASSES = (DeviceClass.NETWORK, DeviceClass.SERVER)
_EMPTY_FILE = gettext_lazy("The file has no header row.")


@dataclass(frozen=True)
class RowError:
    """A problem with one cell (or one row, ``field`` empty) of the file."""

    row: int
    column: str  # the header as the file spells it
    field: str  # the column key (``asset_tag``...) or "" for the whole row/file
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "field": self.field, "message": self.message}


@dataclass
class ParsedRow:
    """A device row after checking; ``values`` holds the typed values ``do_create_device`` takes."""

    row: int
    values: dict[str, Any]
    upstream_tag: str = ""
    upstream_id: int | None = None  # when the dependency is already registered
    errors: list[RowError] = field(default_factory=list)


@dataclass
class CheckedFile:
    """The outcome of checking a file: rows (valid or not) and file-level errors."""

    filename: str
    rows: list[ParsedRow] = field(default_factory=list)
    file_errors: list[RowError] = field(default_factory=list)

    @property
    def errors(self) -> list[RowError]:
        return [*self.file_errors, *(e for r in self.rows for e in r.errors)]

    @property
    def valid_rows(self) -> list[ParsedRow]:
        return [] if self.file_errors else [r for r in self.rows if not r.errors]

    @property
    def invalid_row_count(self) -> int:
        return sum(1 for r in self.rows if r.errors)


# --- reading ----------------------------------------------------------------------------------------
def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # spreadsheets store numeric serials and tags as floats
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _read_csv(content: bytes) -> list[list[str]]:
    # Excel on Chinese Windows saves CSV as GB18030 (GBK); everything else as UTF-8, maybe with BOM.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any byte sequence
        raise ValueError(_("The file is neither UTF-8 nor GB18030 text."))
    return [[c.strip() for c in row] for row in csv.reader(io.StringIO(text, newline=""))]


def _read_xlsx(content: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged or foreign file
        raise ValueError(_("The file is not a readable XLSX workbook.")) from exc
    try:
        sheet = book.worksheets[0]
        return [[_cell_text(c) for c in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()


def read_table(filename: str, content: bytes) -> list[list[str]]:
    """The file's cells as text, by its name: ``.xlsx`` is a workbook (first sheet), else CSV."""
    if len(content) > MAX_BYTES:
        raise ValueError(_("The file is larger than 5 MB."))
    if filename.lower().endswith(".xlsx") or content[:2] == b"PK":
        return _read_xlsx(content)
    if filename.lower().endswith(".xls"):
        raise ValueError(_("Old .xls workbooks are not supported: save the file as .xlsx or CSV."))
    return _read_csv(content)


# --- checking ---------------------------------------------------------------------------------------
def _header_index() -> dict[str, Column]:
    index: dict[str, Column] = {}
    for column in COLUMNS:
        for name in (column.key, column.en, column.zh):
            index[name.strip().lower()] = column
    return index


def _labels(choices: Any) -> dict[str, str]:
    """Value, English label and Chinese label of each choice, lower-cased, to its value."""
    found: dict[str, str] = {}
    for value, label in choices.choices:
        found[value.lower()] = value
        for language in ("en", "zh-hans"):
            with translation.override(language):
                found[str(label).strip().lower()] = value
    return found


def _parse_date(text: str) -> date:
    """2026-03-05, 2026/3/5, 2026.03.05 or 20260305 (the forms Chinese spreadsheets use)."""
    normal = text.replace("/", "-").replace(".", "-")
    parts = normal.split("-")
    if len(parts) == 1 and len(normal) == 8:
        parts = [normal[:4], normal[4:6], normal[6:]]
    if len(parts) != 3 or not all(p.isdigit() for p in parts) or len(parts[0]) != 4:
        raise ValueError(text)
    return date(int(parts[0]), int(parts[1]), int(parts[2]))


class _Checker:
    """Checks rows one by one against the registry, the actor's branches and each other."""

    def __init__(self, *, actor: Any) -> None:
        branches = Branch.objects.filter(is_active=True)
        if actor is not None:
            branches = scoped(branches, actor, path="pk")
        self.branches = {b.code.lower(): b for b in branches}
        self.classes = _labels(DeviceClass)
        self.states = _labels(LifecycleState)
        self.seen_tags: dict[str, int] = {}
        self.seen_serials: dict[tuple[str, str], int] = {}

    def check(self, row_number: int, cells: dict[Column, tuple[str, str]]) -> ParsedRow:
        parsed = ParsedRow(row=row_number, values={})

        def fail(column: Column, header: str, message: str) -> None:
            parsed.errors.append(RowError(row_number, header, column.key, message))

        for column, (header, text) in cells.items():
            if column.required and not text:
                fail(column, header, _("This field is required."))
            elif column.max_length and len(text) > column.max_length:
                fail(column, header, _("At most %(n)d characters.") % {"n": column.max_length})
            elif text:
                self._typed(parsed, column, header, text, fail)
        values = parsed.values
        values.setdefault("lifecycle_state", DEFAULT_STATE)
        tag = values.get("asset_tag")
        if tag:
            if tag.lower() in self.seen_tags:
                fail(
                    COLUMNS[0],
                    cells[COLUMNS[0]][0],
                    _("Asset tag repeats row %(row)d.") % {"row": self.seen_tags[tag.lower()]},
                )
            self.seen_tags.setdefault(tag.lower(), row_number)
        serial = (values.get("vendor", "").lower(), values.get("serial_number", "").lower())
        if all(serial):
            if serial in self.seen_serials:
                column = next(c for c in COLUMNS if c.key == "serial_number")
                fail(
                    column,
                    cells[column][0],
                    _("Vendor and serial number repeat row %(row)d.") % {"row": self.seen_serials[serial]},
                )
            self.seen_serials.setdefault(serial, row_number)
        return parsed

    def _typed(self, parsed: ParsedRow, column: Column, header: str, text: str, fail: Any) -> None:
        key = column.key
        if key == "device_class":
            if text.lower() not in self.classes:
                fail(column, header, _("Unknown device class %(value)s.") % {"value": text})
            else:
                parsed.values[key] = self.classes[text.lower()]
        elif key == "lifecycle_state":
            state = self.states.get(text.lower())
            if state is None:
                fail(column, header, _("Unknown lifecycle state %(value)s.") % {"value": text})
            elif state not in IMPORTABLE_STATES:
                message = _(
                    "Devices are imported only as arrived, commissioning, in service or under maintenance."
                )
                fail(column, header, message)
            else:
                parsed.values[key] = state
        elif key == "branch":
            branch = self.branches.get(text.lower())
            if branch is None:
                fail(column, header, _("Unknown branch %(value)s.") % {"value": text})
            else:
                parsed.values["branch_id"] = branch.pk
        elif key in DATE_KEYS:
            try:
                parsed.values[key] = _parse_date(text)
            except ValueError:
                fail(column, header, _("Not a date (use YYYY-MM-DD): %(value)s.") % {"value": text})
        elif key == "upstream":
            parsed.upstream_tag = text
        else:
            parsed.values[key] = text


def _registry_conflicts(rows: list[ParsedRow], headers: dict[str, str]) -> None:
    """Asset tags and vendor serial numbers that the registry already holds."""
    tags = {r.values["asset_tag"] for r in rows if r.values.get("asset_tag")}
    taken = {t.lower() for t in Device.objects.filter(asset_tag__in=tags).values_list("asset_tag", flat=True)}
    serials = {r.values["serial_number"] for r in rows if r.values.get("serial_number")}
    registered = {
        (v.lower(), s.lower())
        for v, s in Device.objects.filter(serial_number__in=serials).values_list("vendor", "serial_number")
    }
    for row in rows:
        tag = row.values.get("asset_tag", "")
        if tag and tag.lower() in taken:
            message = _("A device with asset tag %(tag)s exists.") % {"tag": tag}
            row.errors.append(RowError(row.row, headers["asset_tag"], "asset_tag", message))
        key = (row.values.get("vendor", "").lower(), row.values.get("serial_number", "").lower())
        if all(key) and key in registered:
            message = _("A device of this vendor with this serial number exists.")
            row.errors.append(RowError(row.row, headers["serial_number"], "serial_number", message))


def _resolve_upstreams(rows: list[ParsedRow], header: str) -> None:
    """Each network dependency names a switch or server of the same branch, registered or in the file.

    A row whose dependency is a row with errors cannot be imported alone either; this is repeated
    until nothing changes, so chains (kiosk > floor switch > core switch) fail together.
    """
    by_tag = {r.values["asset_tag"].lower(): r for r in rows if r.values.get("asset_tag")}
    wanted = {r.upstream_tag for r in rows if r.upstream_tag}
    registered = {
        d.asset_tag.lower(): d
        for d in Device.objects.filter(asset_tag__in=wanted).only(
            "pk", "asset_tag", "branch_id", "device_class"
        )
    }

    def fail(row: ParsedRow, message: str) -> None:
        row.errors.append(RowError(row.row, header, "upstream", message))

    for row in rows:
        tag = row.upstream_tag.lower()
        if not tag:
            continue
        target = by_tag.get(tag)
        known = registered.get(tag)
        branch_id, device_class = (
            (target.values.get("branch_id"), target.values.get("device_class"))
            if target is not None
            else (known.branch_id, known.device_class)
            if known is not None
            else (None, None)
        )
        if target is None and known is None:
            fail(
                row,
                _("No device with asset tag %(tag)s in the registry or the file.")
                % {"tag": row.upstream_tag},
            )
        elif target is row:
            fail(row, _("A device cannot depend on itself."))
        elif branch_id != row.values.get("branch_id"):
            fail(row, _("The network dependency must be a device of the same branch."))
        elif device_class not in UPSTREAM_CLASSES:
            fail(row, _("A device can depend only on network equipment or a server."))
        elif target is None and known is not None:
            row.upstream_id = known.pk
    changed = True
    while changed:
        changed = False
        for row in rows:
            target = by_tag.get(row.upstream_tag.lower()) if row.upstream_tag else None
            if target is not None and target.errors and not row.errors:
                fail(row, _("The network dependency (row %(row)d) has errors.") % {"row": target.row})
                changed = True
    _refuse_loops(rows, by_tag, fail)


def _refuse_loops(rows: list[ParsedRow], by_tag: dict[str, ParsedRow], fail: Any) -> None:
    for row in rows:
        seen = {id(row)}
        node = by_tag.get(row.upstream_tag.lower()) if row.upstream_tag else None
        while node is not None:
            if id(node) in seen:
                if not row.errors:
                    fail(row, _("The network dependency would form a loop."))
                break
            seen.add(id(node))
            node = by_tag.get(node.upstream_tag.lower()) if node.upstream_tag else None


def check_file(*, filename: str, content: bytes, actor: Any) -> CheckedFile:
    """Read and check an import file without writing anything."""
    checked = CheckedFile(filename=filename)
    try:
        table = read_table(filename, content)
    except ValueError as exc:
        checked.file_errors.append(RowError(FILE_ROW, "", "file", str(exc)))
        return checked
    # Blank rows are skipped but keep their numbers, so row N is still the spreadsheet's row N.
    numbered = [(n, row) for n, row in enumerate(table, start=1) if any(cell for cell in row)]
    if not numbered:
        checked.file_errors.append(RowError(FILE_ROW, "", "file", str(_EMPTY_FILE)))
        return checked
    index = _header_index()
    positions: dict[Column, tuple[int, str]] = {}
    header_row, headers_found = numbered[0]
    for position, header in enumerate(headers_found):
        if not header:
            continue
        column = index.get(header.strip().lower())
        if column is None:
            message = _("Unknown column %(name)s.") % {"name": header}
            checked.file_errors.append(RowError(header_row, header, "", message))
        elif column in positions:
            message = _("The column appears twice.")
            checked.file_errors.append(RowError(header_row, header, column.key, message))
        else:
            positions[column] = (position, header)
    for column in COLUMNS:
        if column.required and column not in positions:
            message = _("The required column is missing.")
            checked.file_errors.append(RowError(header_row, column.en, column.key, message))
    body = numbered[1:]
    if len(body) > MAX_ROWS:
        message = _("At most %(n)d devices per file.") % {"n": MAX_ROWS}
        checked.file_errors.append(RowError(FILE_ROW, "", "file", message))
    if checked.file_errors:
        return checked
    checker = _Checker(actor=actor)
    for number, cells in body:
        values = {
            column: (header, cells[position].strip() if position < len(cells) else "")
            for column, (position, header) in positions.items()
        }
        checked.rows.append(checker.check(number, values))
    headers = {c.key: positions.get(c, (0, c.en))[1] for c in COLUMNS}
    _registry_conflicts(checked.rows, headers)
    _resolve_upstreams(checked.rows, headers["upstream"])
    for row in checked.rows:
        row.errors.sort(key=lambda e: [c.key for c in COLUMNS].index(e.field) if e.field in headers else 99)
    return checked

# mypy: disallow-untyped-defs
"""List import parsers: CSV, Bastion XML and the UN Security Council consolidated list XML.

Pure functions from text (or bytes) to ``ListEntry`` objects. A bad record stops the import
with a ``ListImportError`` naming the line and the column or element, because a silently
skipped sanctions entry is worse than a failed import.

CSV (UTF-8, a byte-order mark is tolerated), header row required, column names case-insensitive:

=============  ========  ==============================================================
column         required  content
=============  ========  ==============================================================
id             yes       entry id, unique within the list
list           no*       list name (*required unless ``list_name=`` is passed)
type           yes       person / individual or organisation / organization / entity
name           yes       primary name
aliases        no        further names separated by ``|``
date_of_birth  no        ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``, several separated by ``|``
nationality    no        codes or country names separated by ``|``
program        no        sanctions programme
category       no        e.g. terrorist, sanctions, pep, internal
=============  ========  ==============================================================

Bastion XML::

    <watchlist name="internal">
      <entry id="B-1" type="person" program="..." category="terrorist">
        <name>张伟</name> <alias>Zhang Wei</alias> <dob>1970-03-02</dob> <nationality>CN</nationality>
      </entry>
    </watchlist>

UN consolidated list: ``CONSOLIDATED_LIST/INDIVIDUALS/INDIVIDUAL`` and ``.../ENTITIES/ENTITY``
with ``DATAID``, ``FIRST_NAME``..``FOURTH_NAME``, ``NAME_ORIGINAL_SCRIPT``, ``UN_LIST_TYPE``,
``*_ALIAS/ALIAS_NAME``, ``INDIVIDUAL_DATE_OF_BIRTH/(DATE|YEAR)`` and ``NATIONALITY/VALUE``.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from xml.sax import SAXException
from xml.sax.handler import ContentHandler
from xml.sax.xmlreader import AttributesImpl, Locator

import defusedxml.sax
from defusedxml import DefusedXmlException

from .model import EntryType, ListEntry

_COLUMNS = ("id", "list", "type", "name", "aliases", "date_of_birth", "nationality", "program", "category")
_REQUIRED = ("id", "type", "name")
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
# UN lists whose designations are terrorism-related; everything else is "sanctions".
_UN_TERRORIST_LISTS = frozenset({"al-qaida", "isil (da'esh) & al-qaida", "taliban"})


class ListImportError(ValueError):
    """A list file that cannot be imported; ``line`` and ``column`` say where."""

    def __init__(self, message: str, *, line: int | None = None, column: str | None = None) -> None:
        where = ", ".join(
            part for part in (f"line {line}" if line else "", f"column {column}" if column else "") if part
        )
        super().__init__(f"{where}: {message}" if where else message)
        self.line = line
        self.column = column
        self.reason = message


def _text(data: str | bytes) -> str:
    if isinstance(data, bytes):
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            line = data[: error.start].count(b"\n") + 1
            raise ListImportError(f"not UTF-8 (byte {error.start})", line=line) from error
    return data.removeprefix("\ufeff")


def _split(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split("|") if part.strip())


def _dates(values: tuple[str, ...], *, line: int, column: str) -> tuple[str, ...]:
    for value in values:
        if not _DATE.match(value):
            raise ListImportError(
                f"date {value!r} is not YYYY, YYYY-MM or YYYY-MM-DD", line=line, column=column
            )
    return values


def _entry_type(value: str, *, line: int, column: str) -> EntryType:
    try:
        return EntryType.parse(value)
    except ValueError as error:
        raise ListImportError(str(error), line=line, column=column) from error


def _header(row: list[str]) -> dict[str, int]:
    header = {name.strip().casefold(): number for number, name in enumerate(row)}
    for name in header:
        if name not in _COLUMNS:
            raise ListImportError(f"unknown column {name!r} (known: {', '.join(_COLUMNS)})", line=1)
    for name in _REQUIRED:
        if name not in header:
            raise ListImportError(f"required column {name!r} is missing", line=1)
    return header


def parse_csv(data: str | bytes, *, list_name: str | None = None) -> list[ListEntry]:
    """Parse a CSV watch list (columns in the module docstring)."""
    reader = csv.reader(io.StringIO(_text(data), newline=""))
    try:
        header = _header(next(reader))
    except StopIteration:
        raise ListImportError("the file is empty", line=1) from None
    if "list" not in header and list_name is None:
        raise ListImportError("no 'list' column and no list_name given", line=1)
    entries: list[ListEntry] = []
    seen: set[tuple[str, str]] = set()
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            entry = _csv_entry(row, header, reader.line_num, list_name)
            if entry.key in seen:
                raise ListImportError(f"duplicate id {entry.entry_id!r}", line=reader.line_num, column="id")
            seen.add(entry.key)
            entries.append(entry)
    except csv.Error as error:
        raise ListImportError(f"malformed CSV: {error}", line=reader.line_num) from error
    return entries


def _csv_entry(row: list[str], header: dict[str, int], line: int, list_name: str | None) -> ListEntry:
    if len(row) > len(header):
        raise ListImportError(f"{len(row)} fields, the header has {len(header)}", line=line)

    def cell(name: str) -> str:
        number = header.get(name)
        return row[number].strip() if number is not None and number < len(row) else ""

    for name in _REQUIRED:
        if not cell(name):
            raise ListImportError("required value is empty", line=line, column=f"{header[name] + 1} ({name})")
    listed = cell("list") or list_name
    if not listed:
        raise ListImportError("required value is empty", line=line, column=f"{header['list'] + 1} (list)")
    kind = _entry_type(cell("type"), line=line, column=f"{header['type'] + 1} (type)")
    dob_column = f"{header.get('date_of_birth', 0) + 1} (date_of_birth)"
    return ListEntry(
        entry_id=cell("id"),
        list_name=listed,
        entry_type=kind,
        primary_name=cell("name"),
        aliases=_split(cell("aliases")),
        dates_of_birth=_dates(_split(cell("date_of_birth")), line=line, column=dob_column),
        nationalities=_split(cell("nationality")),
        program=cell("program") or None,
        category=cell("category") or None,
    )


# -- XML ------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Node:
    tag: str
    attrs: dict[str, str]
    line: int
    text: str = ""
    children: list[_Node] = field(default_factory=list)

    def all(self, tag: str) -> list[_Node]:
        return [c for c in self.children if c.tag == tag]

    def first(self, tag: str) -> _Node | None:
        return next((c for c in self.children if c.tag == tag), None)

    def value(self, tag: str) -> str:
        node = self.first(tag)
        return node.text.strip() if node is not None else ""


class _TreeBuilder(ContentHandler):
    """Builds a small element tree that remembers the line each element starts on."""

    def __init__(self) -> None:
        super().__init__()
        self.root: _Node | None = None
        self._stack: list[_Node] = []
        self._where: Locator | None = None

    def setDocumentLocator(self, locator: Locator) -> None:
        self._where = locator

    def startElement(self, name: str, attrs: AttributesImpl) -> None:
        line = self._where.getLineNumber() if self._where is not None else 0
        node = _Node(name, {k: attrs.getValue(k) for k in attrs.getNames()}, line or 0)
        if self._stack:
            self._stack[-1].children.append(node)
        else:
            self.root = node
        self._stack.append(node)

    def endElement(self, name: str) -> None:
        self._stack.pop()

    def characters(self, content: str) -> None:
        if self._stack:
            self._stack[-1].text += content


def _parse_tree(data: str | bytes) -> _Node:
    raw = data if isinstance(data, bytes) else data.encode("utf-8")
    builder = _TreeBuilder()
    try:
        defusedxml.sax.parseString(raw, builder)
    except SAXException as error:
        line = getattr(error, "getLineNumber", lambda: None)()
        raise ListImportError(f"malformed XML: {error.getMessage()}", line=line) from error
    except DefusedXmlException as error:
        raise ListImportError(f"forbidden XML construct: {error}") from error
    assert builder.root is not None
    return builder.root


def parse_xml(data: str | bytes, *, list_name: str | None = None) -> list[ListEntry]:
    """Parse either XML shape, recognised by the root element."""
    root = _parse_tree(data)
    if root.tag == "CONSOLIDATED_LIST":
        return _un_entries(root, list_name or "UN")
    if root.tag == "watchlist":
        return _bastion_entries(root, list_name)
    raise ListImportError(
        f"unknown root element <{root.tag}> (expected watchlist or CONSOLIDATED_LIST)", line=root.line
    )


def parse_bastion_xml(data: str | bytes, *, list_name: str | None = None) -> list[ListEntry]:
    """Parse the Bastion watch-list XML (shape in the module docstring)."""
    root = _parse_tree(data)
    if root.tag != "watchlist":
        raise ListImportError(f"root element is <{root.tag}>, expected <watchlist>", line=root.line)
    return _bastion_entries(root, list_name)


def parse_un_xml(data: str | bytes, *, list_name: str = "UN") -> list[ListEntry]:
    """Parse the UN Security Council consolidated list XML."""
    root = _parse_tree(data)
    if root.tag != "CONSOLIDATED_LIST":
        raise ListImportError(f"root element is <{root.tag}>, expected <CONSOLIDATED_LIST>", line=root.line)
    return _un_entries(root, list_name)


def _bastion_entries(root: _Node, list_name: str | None) -> list[ListEntry]:
    listed = list_name or root.attrs.get("name", "").strip()
    if not listed:
        raise ListImportError(
            "<watchlist> needs a name attribute (or pass list_name)", line=root.line, column="name"
        )
    entries = []
    for node in root.all("entry"):
        entry_id = node.attrs.get("id", "").strip()
        if not entry_id:
            raise ListImportError("<entry> without id", line=node.line, column="id")
        name = node.value("name")
        if not name:
            raise ListImportError(f"entry {entry_id!r} has no <name>", line=node.line, column="name")
        kind = _entry_type(node.attrs.get("type", ""), line=node.line, column="type")
        dobs = tuple(n.text.strip() for n in node.all("dob") if n.text.strip())
        entries.append(
            ListEntry(
                entry_id=entry_id,
                list_name=listed,
                entry_type=kind,
                primary_name=name,
                aliases=tuple(n.text.strip() for n in node.all("alias") if n.text.strip()),
                dates_of_birth=_dates(dobs, line=node.line, column="dob"),
                nationalities=tuple(n.text.strip() for n in node.all("nationality") if n.text.strip()),
                program=node.attrs.get("program") or None,
                category=node.attrs.get("category") or None,
            )
        )
    return entries


def _un_name(node: _Node) -> str:
    parts = (node.value(tag) for tag in ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME"))
    return " ".join(p for p in parts if p)


def _un_dates(node: _Node) -> tuple[str, ...]:
    dates: list[str] = []
    for birth in node.all("INDIVIDUAL_DATE_OF_BIRTH"):
        value = birth.value("DATE")[:10] or birth.value("YEAR")
        if value:
            dates.extend(_dates((value,), line=birth.line, column="INDIVIDUAL_DATE_OF_BIRTH"))
    return tuple(dates)


def _un_entry(node: _Node, kind: EntryType, list_name: str) -> ListEntry:
    data_id = node.value("DATAID")
    if not data_id:
        raise ListImportError(f"<{node.tag}> without DATAID", line=node.line, column="DATAID")
    name = _un_name(node)
    if not name:
        raise ListImportError(
            f"<{node.tag}> {data_id} has no FIRST_NAME", line=node.line, column="FIRST_NAME"
        )
    alias_tag = "INDIVIDUAL_ALIAS" if kind is EntryType.PERSON else "ENTITY_ALIAS"
    aliases = [a.value("ALIAS_NAME") for a in node.all(alias_tag)]
    original = node.value("NAME_ORIGINAL_SCRIPT")
    if original:
        aliases.append(original)
    un_list = node.value("UN_LIST_TYPE")
    nationality_node = node.first("NATIONALITY")
    nationalities = tuple(v.text.strip() for v in nationality_node.all("VALUE")) if nationality_node else ()
    return ListEntry(
        entry_id=data_id,
        list_name=list_name,
        entry_type=kind,
        primary_name=name,
        aliases=tuple(dict.fromkeys(a for a in aliases if a and a != name)),
        dates_of_birth=_un_dates(node),
        nationalities=tuple(n for n in nationalities if n),
        program=un_list or None,
        category="terrorist" if un_list.casefold() in _UN_TERRORIST_LISTS else "sanctions",
    )


def _un_entries(root: _Node, list_name: str) -> list[ListEntry]:
    entries: list[ListEntry] = []
    for group, tag, kind in (
        ("INDIVIDUALS", "INDIVIDUAL", EntryType.PERSON),
        ("ENTITIES", "ENTITY", EntryType.ORGANISATION),
    ):
        for container in root.all(group):
            entries.extend(_un_entry(node, kind, list_name) for node in container.all(tag))
    return entries

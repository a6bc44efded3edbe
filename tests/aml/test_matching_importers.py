"""List import parsers: CSV, Bastion XML and UN consolidated list XML, and their errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from bastion.aml.matching import (
    EntryType,
    ListImportError,
    ScreeningIndex,
    parse_bastion_xml,
    parse_csv,
    parse_un_xml,
    parse_xml,
)

FIXTURES = Path(__file__).parent / "fixtures"
HEADER = "id,list,type,name,aliases,date_of_birth,nationality,program,category\n"


def test_csv_fixture_with_bom() -> None:
    entries = parse_csv((FIXTURES / "watchlist.csv").read_bytes())
    assert [e.entry_id for e in entries] == ["C-1", "C-2", "C-3"]
    first = entries[0]
    assert first.aliases == ("Zhang Wei", "Wei Zhang")
    assert first.dates_of_birth == ("1970-03-02",) and first.nationalities == ("CN",)
    assert entries[1].entry_type is EntryType.ORGANISATION and entries[1].program is None
    assert entries[2].entry_type is EntryType.PERSON and entries[2].category == "terrorist"
    index = ScreeningIndex.build(entries)
    assert [h.entry_id for h in index.screen("Ali Muhammad")] == ["C-3"]
    assert [h.entry_id for h in index.screen("Jinlong Maoyi Youxian Gongsi")] == ["C-2"]


def test_csv_list_name_argument_and_blank_lines() -> None:
    entries = parse_csv("id,type,name\n\nX1,person,李娜\n", list_name="pep")
    assert [(e.list_name, e.entry_id) for e in entries] == [("pep", "X1")]


@pytest.mark.parametrize(
    ("text", "line", "column", "fragment"),
    [
        (HEADER + "A1,l,person,Zhang Wei\nA2,l,robot,Li Na\n", 3, "3 (type)", "unknown entry type 'robot'"),
        (HEADER + "A1,l,person,\n", 2, "4 (name)", "required value is empty"),
        (HEADER + "A1,l,person,Li Na,,03/02/1970\n", 2, "6 (date_of_birth)", "is not YYYY"),
        (HEADER + "A1,l,person,Li Na\nA1,l,person,Wang Fang\n", 3, "id", "duplicate id 'A1'"),
        (HEADER + "A1,l,person,Li Na,,,,,,extra\n", 2, None, "10 fields"),
        ("id,type,colour\n", 1, None, "unknown column 'colour'"),
        ("id,type\n", 1, None, "required column 'name' is missing"),
        ("id,type,name\nA1,person,Li Na\n", 1, None, "no 'list' column"),
        ("", 1, None, "empty"),
    ],
)
def test_csv_errors_name_line_and_column(text: str, line: int, column: str | None, fragment: str) -> None:
    with pytest.raises(ListImportError) as caught:
        parse_csv(text)
    assert caught.value.line == line
    assert caught.value.column == column
    assert fragment in str(caught.value)
    assert str(caught.value).startswith(f"line {line}")


def test_csv_rejects_bytes_that_are_not_utf8() -> None:
    with pytest.raises(ListImportError, match="line 2: not UTF-8"):
        parse_csv(HEADER.encode() + "A1,l,person,张伟\n".encode("gb18030"))


def test_un_consolidated_list_fixture() -> None:
    entries = parse_un_xml((FIXTURES / "un_consolidated_sample.xml").read_bytes())
    by_id = {e.entry_id: e for e in entries}
    badri = by_id["9100001"]
    assert badri.primary_name == "MUHAMMAD ABDUL RAHIM AL-BADRI"
    assert badri.aliases == ("Mohammed Abdul Raheem al-Badri", "Abu Rahim", "محمد عبد الرحيم البدري")
    assert badri.dates_of_birth == ("1971-07-28",) and badri.nationalities == ("Iraq",)
    assert (badri.program, badri.category, badri.list_name) == ("Al-Qaida", "terrorist", "UN")
    zhang = by_id["9100002"]
    assert zhang.dates_of_birth == ("1968",) and "张伟" in zhang.aliases and zhang.category == "sanctions"
    dragon = by_id["9200001"]
    assert dragon.entry_type is EntryType.ORGANISATION and dragon.aliases[0] == "Jinlong Maoyi Youxian Gongsi"

    index = ScreeningIndex.build(entries)
    assert [h.entry_id for h in index.screen("Muhammad Abdul Rahim al Badri")] == ["9100001"]
    assert [h.entry_id for h in index.screen("張偉")] == ["9100002"]
    hit = index.screen("金龙贸易有限公司")[0]
    assert hit.entry_id == "9200001" and hit.matched_alias and hit.score == 100
    assert [h.entry_id for h in index.screen("Golden Dragon Trading Company Limited")] == ["9200001"]


def test_bastion_xml_fixture_and_autodetection() -> None:
    data = (FIXTURES / "bastion_watchlist.xml").read_text(encoding="utf-8")
    entries = parse_bastion_xml(data)
    assert [(e.list_name, e.entry_id, e.entry_type) for e in entries] == [
        ("internal", "B-1", EntryType.PERSON),
        ("internal", "B-2", EntryType.ORGANISATION),
    ]
    assert entries[0].aliases == ("Shan Wei",) and entries[0].program == "fraud-blocklist"
    assert parse_xml(data) == entries
    assert parse_xml((FIXTURES / "un_consolidated_sample.xml").read_bytes())[0].entry_id == "9100001"
    index = ScreeningIndex.build(entries)
    assert [h.entry_id for h in index.screen("单伟")] == ["B-1"]


@pytest.mark.parametrize(
    ("text", "line", "column", "fragment"),
    [
        (
            '<watchlist name="x">\n<entry type="person"><name>A B</name></entry>\n</watchlist>',
            2,
            "id",
            "without id",
        ),
        (
            '<watchlist name="x">\n\n<entry id="1" type="person"></entry></watchlist>',
            3,
            "name",
            "has no <name>",
        ),
        (
            '<watchlist name="x"><entry id="1" type="alien"><name>A</name></entry></watchlist>',
            1,
            "type",
            "alien",
        ),
        (
            '<watchlist>\n<entry id="1" type="person"><name>A</name></entry></watchlist>',
            1,
            "name",
            "name attribute",
        ),
        (
            '<watchlist name="x">\n<entry id="1" type="person">\n<name>A</name><dob>1970/01/01</dob></entry></watchlist>',
            2,
            "dob",
            "is not YYYY",
        ),
        (
            '<watchlist name="x">\n<entry id="1" type="person">\n<name>A</name>\n</watchlist>',
            4,
            None,
            "malformed XML",
        ),
        ("<catalogue/>", 1, None, "unknown root element <catalogue>"),
    ],
)
def test_xml_errors_name_line_and_field(text: str, line: int, column: str | None, fragment: str) -> None:
    with pytest.raises(ListImportError) as caught:
        parse_xml(text)
    assert (caught.value.line, caught.value.column) == (line, column)
    assert fragment in str(caught.value)


def test_un_xml_errors() -> None:
    text = "<CONSOLIDATED_LIST><INDIVIDUALS>\n<INDIVIDUAL><FIRST_NAME>A</FIRST_NAME></INDIVIDUAL>"
    with pytest.raises(ListImportError, match="line 2, column DATAID: <INDIVIDUAL> without DATAID"):
        parse_un_xml(text + "</INDIVIDUALS></CONSOLIDATED_LIST>")
    with pytest.raises(ListImportError, match="expected <CONSOLIDATED_LIST>"):
        parse_un_xml('<watchlist name="x"/>')


def test_xml_entity_expansion_is_refused() -> None:
    bomb = '<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "aaaa">]><watchlist name="&a;"/>'
    with pytest.raises(ListImportError, match="forbidden XML construct"):
        parse_xml(bomb)

"""Watch-list name matching for AML screening: pure Python, no Django.

Typical use::

    from bastion.aml.matching import ScreeningIndex, parse_csv

    index = ScreeningIndex.build(parse_csv(text, list_name="internal"))
    for hit in index.screen("Wei Zhang", entry_type=EntryType.PERSON):
        print(hit.score, hit.matched_name, hit.method, hit.explanation)

Names are compared across simplified/traditional characters, pinyin (with or without tones and
spaces), name order, case, punctuation and diacritics, and Latin spelling variants; see
docs/decisions/0620-aml-name-matching.md.
"""

from .importers import ListImportError, parse_bastion_xml, parse_csv, parse_un_xml, parse_xml
from .index import DEFAULT_THRESHOLD, ScreeningIndex
from .model import EntryType, Hit, ListEntry, MatchMethod

__all__ = [
    "DEFAULT_THRESHOLD",
    "EntryType",
    "Hit",
    "ListEntry",
    "ListImportError",
    "MatchMethod",
    "ScreeningIndex",
    "parse_bastion_xml",
    "parse_csv",
    "parse_un_xml",
    "parse_xml",
]

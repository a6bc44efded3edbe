# mypy: disallow-untyped-defs
"""Value types of the screening engine: list entries, match methods and hits.

Everything here is immutable and free of Django so that the index can be built in a worker, a
command or a test without settings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


class EntryType(StrEnum):
    """What a list entry names: a natural person or an organisation (entity, vessel owner...)."""

    PERSON = "person"
    ORGANISATION = "organisation"

    @classmethod
    def parse(cls, text: str) -> EntryType:
        """Accept the spellings found in real lists (individual/entity, organization)."""
        value = text.strip().casefold()
        if value in {"person", "individual", "p", "natural person", "个人"}:
            return cls.PERSON
        if value in {"organisation", "organization", "entity", "org", "o", "company", "机构", "企业"}:
            return cls.ORGANISATION
        raise ValueError(f"unknown entry type {text!r} (expected person or organisation)")


class MatchMethod(StrEnum):
    """How a query name was brought to the list name; a hit lists every step that was needed."""

    EXACT = "exact"
    TRADITIONAL_SIMPLIFIED = "traditional_to_simplified"
    PINYIN = "pinyin"
    ALTERNATIVE_READING = "alternative_reading"
    TRANSPOSITION = "transposition"
    PHONETIC = "phonetic"
    FUZZY = "fuzzy"

    @property
    def label_en(self) -> str:
        """Human-readable English label used in explanations."""
        return _LABELS[self][0]

    @property
    def label_zh(self) -> str:
        """Human-readable Chinese label used in explanations."""
        return _LABELS[self][1]


_LABELS: dict[MatchMethod, tuple[str, str]] = {
    MatchMethod.EXACT: ("identical after normalisation", "规范化后完全一致"),
    MatchMethod.TRADITIONAL_SIMPLIFIED: ("traditional characters converted to simplified", "繁体转简体"),
    MatchMethod.PINYIN: ("compared through pinyin", "按拼音比对"),
    MatchMethod.ALTERNATIVE_READING: ("alternative reading of a polyphonic character", "多音字的另一读音"),
    MatchMethod.TRANSPOSITION: ("name order swapped", "姓名顺序调换"),
    MatchMethod.PHONETIC: ("same phonetic key", "发音键相同"),
    MatchMethod.FUZZY: ("spelling variant (edit-distance similarity)", "拼写相近（编辑距离相似度）"),
}


# Chinese wording of the secondary adjustments (``filters``), keyed by their English text.
_ADJUSTMENTS_ZH = {
    "date of birth equal": "出生日期一致",
    "year of birth equal": "出生年份一致",
    "date of birth within one year": "出生日期相差一年以内",
    "date of birth differs": "出生日期不同",
    "nationality equal": "国籍一致",
    "nationality differs": "国籍不同",
}


def _adjustment_zh(note: str) -> str:
    text, _, points = note.partition(" (")
    return (
        f"{_ADJUSTMENTS_ZH.get(text, text)}（{points.rstrip(')')}）"
        if points
        else _ADJUSTMENTS_ZH.get(text, text)
    )


@dataclass(frozen=True, slots=True)
class ListEntry:
    """One record of a sanctions or internal list.

    ``dates_of_birth`` hold ISO dates or their prefixes ("1970", "1970-03", "1970-03-02") because
    lists often know only the year. ``nationalities`` are compared case-insensitively as given
    (use ISO 3166 codes or the list's own country names consistently).
    """

    entry_id: str
    list_name: str
    entry_type: EntryType
    primary_name: str
    aliases: tuple[str, ...] = ()
    dates_of_birth: tuple[str, ...] = ()
    nationalities: tuple[str, ...] = ()
    program: str | None = None
    category: str | None = None

    def __post_init__(self) -> None:
        if not self.entry_id.strip():
            raise ValueError("entry_id must not be empty")
        if not self.primary_name.strip():
            raise ValueError(f"entry {self.entry_id}: primary_name must not be empty")
        for value in self.dates_of_birth:
            if not _DATE.match(value):
                raise ValueError(f"entry {self.entry_id}: date of birth {value!r} is not YYYY[-MM[-DD]]")

    @property
    def key(self) -> tuple[str, str]:
        """Identity inside an index: ids are unique per list, not across lists."""
        return (self.list_name, self.entry_id)

    @property
    def names(self) -> tuple[str, ...]:
        """Primary name first, then the aliases."""
        return (self.primary_name, *self.aliases)


@dataclass(frozen=True, slots=True)
class Hit:
    """One list entry that matched a screened name, with the reasons.

    ``query_form`` and ``entry_form`` are the normalised strings that were compared (pinyin
    syllables, simplified characters or folded Latin words); ``adjustments`` are the secondary
    (date of birth, nationality) score changes already included in ``score``.
    """

    entry_id: str
    list_name: str
    entry_type: EntryType
    score: float
    matched_name: str
    matched_alias: bool
    method: MatchMethod
    methods: tuple[MatchMethod, ...]
    query: str
    query_form: str
    entry_form: str
    name_score: float
    adjustments: tuple[str, ...] = field(default=())
    program: str | None = None
    category: str | None = None

    @property
    def explanation(self) -> str:
        """Why this entry matched, in English."""
        kind = "alias" if self.matched_alias else "primary name"
        steps = "; ".join(m.label_en for m in self.methods)
        text = (
            f"{self.list_name} entry {self.entry_id} matched on its {kind} {self.matched_name!r}: "
            f"query {self.query!r} normalised to {self.query_form!r}, list name to {self.entry_form!r}; "
            f"method {self.method.value} ({steps}); name score {self.name_score:g}"
        )
        if self.adjustments:
            text += f"; adjustments: {', '.join(self.adjustments)}"
        return f"{text}; score {self.score:g}."

    @property
    def explanation_zh(self) -> str:
        """Why this entry matched, in Chinese."""
        kind = "别名" if self.matched_alias else "主名称"
        steps = "；".join(m.label_zh for m in self.methods)
        text = (
            f"命中名单 {self.list_name} 条目 {self.entry_id} 的{kind}「{self.matched_name}」："
            f"查询名称「{self.query}」规范化为「{self.query_form}」，名单名称规范化为「{self.entry_form}」；"
            f"匹配方式 {self.method.value}（{steps}）；姓名得分 {self.name_score:g}"
        )
        if self.adjustments:
            text += f"；调整：{'，'.join(_adjustment_zh(a) for a in self.adjustments)}"
        return f"{text}；总分 {self.score:g}。"

"""Property tests: a name matches itself in every rendering, and screening is order-free."""

from __future__ import annotations

import opencc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypinyin import Style, lazy_pinyin

from bastion.aml.matching import EntryType, ListEntry, ScreeningIndex
from bastion.aml.matching.chinese import SURNAME_READINGS

# Common surnames without a special surname reading, and common given-name characters.
SURNAMES = [
    c
    for c in "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭萧田董袁潘于"
    if c not in SURNAME_READINGS
]
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华文玲建辉红鹏宇晓志海飞婷雪国林小俊丹春斌波宁欣佳成峰"
S2T = opencc.OpenCC("s2t")

han_names = st.builds(
    lambda surname, given: surname + "".join(given),
    st.sampled_from(SURNAMES),
    st.lists(st.sampled_from(GIVEN), min_size=1, max_size=2),
)


def renderings(han: str) -> list[str]:
    family, given = han[0], han[1:]

    def spelled(style: Style) -> tuple[str, str]:
        return "".join(lazy_pinyin(family, style=style)), "".join(lazy_pinyin(given, style=style))

    plain, marks, numbers = spelled(Style.NORMAL), spelled(Style.TONE), spelled(Style.TONE3)
    return [
        han,
        S2T.convert(han),
        f"{plain[0].title()} {plain[1].title()}",
        f"{plain[1].title()} {plain[0].upper()}",
        f"{plain[0].upper()}, {plain[1].title()}",
        f"{marks[0]} {marks[1]}",
        f"{numbers[0]} {numbers[1]}",
        "".join(plain),
    ]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(han_names)
def test_a_han_name_matches_itself_in_every_rendering(han: str) -> None:
    index = ScreeningIndex.build([ListEntry("x", "p", EntryType.PERSON, han)])
    for query in renderings(han):
        hits = index.screen(query, entry_type=EntryType.PERSON)
        assert [h.entry_id for h in hits] == ["x"], (han, query)
        assert hits[0].query_form and hits[0].entry_form and hits[0].explanation


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.text(alphabet="abcdefghijklmnoprstuvyz", min_size=3, max_size=9),
        min_size=2,
        max_size=4,
        unique=True,
    )
)
def test_a_latin_name_matches_itself_case_punctuation_and_order_free(words: list[str]) -> None:
    name = " ".join(w.title() for w in words)
    index = ScreeningIndex.build([ListEntry("x", "p", EntryType.PERSON, name)])
    for query in (name, name.upper(), f"{words[-1].upper()}, {' '.join(words[:-1])}", "-".join(words)):
        assert "x" in [h.entry_id for h in index.screen(query)], query


@settings(max_examples=25, deadline=None)
@given(st.lists(han_names, min_size=1, max_size=8, unique=True))
def test_incremental_adds_equal_a_bulk_build(names: list[str]) -> None:
    entries = [ListEntry(f"e{i}", "p", EntryType.PERSON, n) for i, n in enumerate(names)]
    bulk = ScreeningIndex.build(entries)
    grown = ScreeningIndex.build([])
    for entry in entries:
        grown.add([entry])
    for name in names:
        assert [(h.entry_id, h.score) for h in bulk.screen(name)] == [
            (h.entry_id, h.score) for h in grown.screen(name)
        ]

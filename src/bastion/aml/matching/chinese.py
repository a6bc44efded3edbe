# mypy: disallow-untyped-defs
"""Chinese names: traditional to simplified, surname splitting and pinyin readings.

Readings come from pypinyin's single-character dictionary (its first, most common reading), read
once per character and cached: names are not phrases, so pypinyin's phrase segmentation adds cost
without improving given names, while polyphonic *surnames* need the surname reading, which a
general-purpose dictionary gets wrong (单 is "dan" as a word, "shan" as a surname). The surname
table below fixes those; the ordinary reading is kept as an alternative (a list may have
romanised the name naively).
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

import opencc
from pypinyin.pinyin_dict import pinyin_dict

_T2S = opencc.OpenCC("t2s")

# Surname readings that differ from the character's most common reading, and surnames whose
# common reading is right but which other tools often misread. Source: standard surname usage.
SURNAME_READINGS: dict[str, tuple[str, ...]] = {
    "单": ("shan",),
    "曾": ("zeng",),
    "解": ("xie",),
    "区": ("ou",),
    "仇": ("qiu",),
    "朴": ("piao",),
    "查": ("zha",),
    "盖": ("ge",),
    "乐": ("yue", "le"),
    "重": ("chong",),
    "缪": ("miao",),
    "翟": ("zhai",),
    "折": ("she",),
    "秘": ("bi",),
    "覃": ("qin",),
    "召": ("shao",),
    "员": ("yun",),
    "句": ("gou",),
    "种": ("chong",),
    "能": ("nai",),
    "华": ("hua",),
    "纪": ("ji",),
    "黑": ("he",),
    "宓": ("mi",),
    "繁": ("po",),
    "过": ("guo",),
    "牟": ("mou",),
    "祭": ("zhai",),
    "阚": ("kan",),
    "藏": ("zang",),
    "薄": ("bo",),
    "柏": ("bai",),
    "都": ("du",),
    "盛": ("sheng",),
    "尉": ("wei",),
    "冼": ("xian",),
    "洗": ("xian",),
    "恽": ("yun",),
    "隗": ("wei",),
    "莘": ("shen",),
    "沈": ("shen",),
    "长孙": ("zhang", "sun"),
    "尉迟": ("yu", "chi"),
    "万俟": ("mo", "qi"),
    "单于": ("chan", "yu"),
    "澹台": ("tan", "tai"),
}

# Two-character family names: the split between family and given name decides which orders
# count as a transposition ("Ouyang Xiu" and "Xiu Ouyang").
COMPOUND_SURNAMES = frozenset(
    [
        "欧阳",
        "司马",
        "诸葛",
        "上官",
        "东方",
        "皇甫",
        "公孙",
        "慕容",
        "宇文",
        "司徒",
        "夏侯",
        "端木",
        "独孤",
        "南宫",
        "轩辕",
        "呼延",
        "令狐",
        "长孙",
        "尉迟",
        "万俟",
        "单于",
        "澹台",
        "百里",
        "东郭",
        "西门",
        "第五",
        "钟离",
        "闻人",
        "赫连",
        "拓跋",
        "公羊",
        "濮阳",
        "申屠",
        "太史",
    ]
)


# The most common family names (about 85 % of the population): a Latin name whose first or last
# word is one of their readings and which is entirely pinyin is treated as a Chinese name.
COMMON_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)


def to_simplified(text: str) -> str:
    """Traditional (and variant) characters to simplified, via OpenCC's t2s tables."""
    converted: str = _T2S.convert(text)  # opencc ships no type hints
    return converted


def is_han(char: str) -> bool:
    """CJK unified ideographs, extensions A-F and compatibility ideographs."""
    code = ord(char)
    return (
        0x4E00 <= code <= 0x9FFF
        or 0x3400 <= code <= 0x4DBF
        or 0x20000 <= code <= 0x2EBEF
        or 0xF900 <= code <= 0xFAFF
        or 0x30000 <= code <= 0x3134F
    )


def _toneless(reading: str) -> str:
    # NFKD splits tone marks and the diaeresis of ü off the vowel; "ü" becomes plain "u", the way
    # passports and most lists write it when they do not use "yu" or "v".
    return "".join(c for c in unicodedata.normalize("NFKD", reading) if not unicodedata.combining(c))


@lru_cache(maxsize=65536)
def char_reading(char: str) -> str:
    """Toneless pinyin of one character (its most common reading), or the character itself."""
    readings = pinyin_dict.get(ord(char))
    if not readings:
        return char
    return _toneless(readings.split(",", 1)[0])


def surname_length(han: str) -> int:
    """How many leading characters of a Han personal name are the family name."""
    if len(han) >= 3 and han[:2] in COMPOUND_SURNAMES:
        return 2
    return 1 if han else 0


def surname_readings(surname: str) -> list[tuple[tuple[str, ...], bool]]:
    """Readings of a family name: (syllables, is_alternative). The surname reading comes first."""
    ordinary = tuple(char_reading(c) for c in surname)
    special = SURNAME_READINGS.get(surname)
    if special is None:
        return [(ordinary, False)]
    readings: list[tuple[tuple[str, ...], bool]]
    if len(surname) == 1:
        readings = [((special[0],), False), *(((r,), True) for r in special[1:])]
    else:
        readings = [(special, False)]
    if all(ordinary != r for r, _ in readings):
        readings.append((ordinary, True))
    return readings


@lru_cache(maxsize=1)
def pinyin_syllables() -> frozenset[str]:
    """Every toneless pinyin syllable pypinyin knows, without the vowel-less interjections."""
    found: set[str] = set()
    for value in pinyin_dict.values():
        for reading in value.split(","):
            syllable = _toneless(reading)
            if syllable.isascii() and any(v in syllable for v in "aeiou"):
                found.add(syllable)
    return frozenset(found)


@lru_cache(maxsize=262144)
def segment_pinyin(word: str) -> tuple[str, ...] | None:
    """Split a Latin word into pinyin syllables, or None if it is not pinyin.

    Fewest syllables wins and, among equals, the longest first syllable, so "xian" stays one
    syllable and "zhangwei" becomes zhang + wei; ties are deterministic, which is what matters:
    query and list names are segmented by the same rule.
    """
    syllables = pinyin_syllables()
    size = len(word)
    best: list[tuple[str, ...] | None] = [None] * (size + 1)
    best[size] = ()
    for start in range(size - 1, -1, -1):
        for end in range(min(size, start + 6), start, -1):
            rest = best[end]
            if rest is None or word[start:end] not in syllables:
                continue
            option = (word[start:end], *rest)
            current = best[start]
            if current is None or len(option) < len(current):
                best[start] = option
    return best[0]


@lru_cache(maxsize=1)
def surname_pinyin() -> frozenset[str]:
    """Pinyin of common and compound family names ("wang", "zhang", "ouyang", "shan")."""
    found = {char_reading(c) for c in COMMON_SURNAMES}
    found.update("".join(char_reading(c) for c in name) for name in COMPOUND_SURNAMES)
    found.update("".join(reading) for reading in SURNAME_READINGS.values())
    return frozenset(found)

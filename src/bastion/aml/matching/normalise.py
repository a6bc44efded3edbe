# mypy: disallow-untyped-defs
"""Turn a person or organisation name into the normalised form the index compares.

A name becomes *groups* (words: Latin words folded to lower-case ASCII, a Han personal name
becomes family-name pinyin + given-name pinyin) and, when every group is pinyin, *syllables*.
Han names also keep their simplified characters, so that two Han names can be compared as
characters and not only as sounds.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from .chinese import (
    char_reading,
    is_han,
    segment_pinyin,
    surname_length,
    surname_pinyin,
    surname_readings,
    to_simplified,
)
from .model import EntryType

# Letters NFKD does not decompose into ASCII.
_SPECIAL = str.maketrans({"ß": "ss", "æ": "ae", "ø": "o", "đ": "d", "ł": "l", "ı": "i", "þ": "th", "œ": "oe"})
_DOTTED_ABBREVIATION = re.compile(r"\b(?:[^\W\d_]\.){2,}")
_TONE_DIGIT = re.compile(r"(?<=[a-z])[1-5](?![0-9])")
_NAME_DOTS = "·•・‧⋅"
_TITLES = frozenset({"mr", "mrs", "ms", "miss", "dr", "prof", "sir", "madam"})
# The Arabic article carries no identity ("Al-Rashid" = "Rashid") but would inflate word-level
# similarity of different surnames ("Al-Ghamdi" / "Al-Hashimi"); "bin" and "abu" do carry it.
_PARTICLES = frozenset({"al", "el"})
_UMLAUT = re.compile(r"(?<=[ln])(?:v|yu)")
_ORG_STOPWORDS = frozenset({"the", "and", "of", "und", "et", "y"})

# Legal forms, matched at the end of an organisation name (longest phrase first). The class is
# what is compared: "Co., Ltd." and "Company Limited" are both "limited".
_LEGAL_PHRASES: dict[tuple[str, ...], str] = {
    **{(w,): "limited" for w in ("ltd", "limited", "llc", "gmbh", "ooo", "bhd", "pte", "pty", "sarl", "srl")},
    **{(w,): "company" for w in ("co", "company", "gongsi")},
    **{(w,): "corporation" for w in ("corp", "corporation", "inc", "incorporated")},
    **{
        (w,): "joint_stock"
        for w in ("plc", "jsc", "pjsc", "ojsc", "cjsc", "ag", "sa", "spa", "nv", "oao", "zao")
    },
    **{(w,): "partnership" for w in ("llp", "lp")},
    ("co", "ltd"): "limited",
    ("company", "limited"): "limited",
    ("pte", "ltd"): "limited",
    ("pty", "ltd"): "limited",
    ("sdn", "bhd"): "limited",
    ("youxian", "gongsi"): "limited",
    ("youxian", "zeren", "gongsi"): "limited",
    ("gufen", "youxian", "gongsi"): "joint_stock",
    ("limited", "liability", "company"): "limited",
    ("public", "limited", "company"): "joint_stock",
}
_HAN_LEGAL_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("股份有限公司", "joint_stock"),
    ("有限责任公司", "limited"),
    ("有限公司", "limited"),
    ("公司", "company"),
)


@dataclass(frozen=True, slots=True)
class NameForm:
    """The comparable form of one name.

    ``han`` is set when the name (its core, for organisations) is written in Han characters only;
    such forms are ``han_derived`` and their groups/syllables are pinyin. ``traditional`` records
    that OpenCC changed the characters, so a hit can say so.
    """

    kind: EntryType
    groups: tuple[str, ...]
    syllables: tuple[str, ...] | None
    han: str | None
    traditional: bool
    legal: frozenset[str]
    # Groups joined without spaces: "Zhang Wei", "zhangwei" and "ZHANG-Wei" agree here. Stored,
    # not derived, because every comparison reads it.
    compact: str = field(init=False, compare=False)
    # Pinyin of a Chinese name (Han-derived, or Latin that is all pinyin with a family name at one
    # end): such names are compared syllable by syllable, see ``scoring``.
    chinese: bool = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "compact", "".join(self.groups))
        object.__setattr__(self, "chinese", self.han is not None or _looks_chinese(self))

    @property
    def han_derived(self) -> bool:
        """Whether the groups are a pinyin rendering of Han characters."""
        return self.han is not None

    @property
    def signature(self) -> str:
        """Identity of the form in the index: equal signatures compare identically."""
        origin = "H" if self.han_derived else "L"
        syllables = " ".join(self.syllables) if self.syllables is not None else "-"
        legal = ",".join(sorted(self.legal))
        return f"{self.kind.value[0]}{origin}|{' '.join(self.groups)}|{syllables}|{legal}"

    @property
    def display(self) -> str:
        """Normalised form shown in explanations."""
        parts = self.syllables if self.syllables is not None and self.han_derived else self.groups
        return self.shown(parts)

    def shown(self, parts: tuple[str, ...]) -> str:
        """Words or syllables as shown in explanations, with the legal form of an organisation
        ("golden dragon trading [limited]")."""
        text = " ".join(parts)
        return f"{text} [{'+'.join(sorted(self.legal))}]" if self.legal else text


def _looks_chinese(form: NameForm) -> bool:
    syllables, groups = form.syllables, form.groups
    if syllables is None:
        return False
    if form.kind is EntryType.ORGANISATION:
        return True
    if len(syllables) > 4 or len(groups) > 3:
        return False
    ends = {groups[0], groups[-1]} if len(groups) > 1 else {syllables[0], syllables[-1]}
    return not ends.isdisjoint(surname_pinyin())


@dataclass(frozen=True, slots=True)
class Variant:
    """A form of a name with its reading penalty (alternative readings of polyphonic surnames)."""

    form: NameForm
    alternative: bool


def fold_latin(text: str) -> str:
    """Lower-case ASCII-ish text: tone marks and diacritics removed, special letters spelled out."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_SPECIAL))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().translate(_SPECIAL)


def _runs(text: str) -> list[str]:
    """Split into Han runs and alphanumeric Latin words; everything else separates."""
    runs: list[str] = []
    current: list[str] = []
    han_run = False
    for char in text:
        han = is_han(char)
        if han or char.isalnum():
            if current and han != han_run:
                runs.append("".join(current))
                current = []
            current.append(char)
            han_run = han
        elif current:
            runs.append("".join(current))
            current = []
    if current:
        runs.append("".join(current))
    return runs


def _prepare(text: str, kind: EntryType) -> tuple[str, bool]:
    """NFKC (full-width letters), traditional to simplified, abbreviations, case and tone digits."""
    text = unicodedata.normalize("NFKC", text)
    simplified = to_simplified(text) if any(is_han(c) for c in text) else text
    converted = simplified != text
    text = _DOTTED_ABBREVIATION.sub(lambda m: m.group(0).replace(".", ""), simplified)
    text = text.replace("'", "").replace("’", "")
    folded = "".join(c if is_han(c) else fold_latin(c) for c in text)
    if kind is EntryType.PERSON:
        # Tone numbers ("zhang1 wei3") only in personal names: "A1 Trading" must keep its digit.
        folded = _TONE_DIGIT.sub("", folded)
    return folded, converted


def _strip_legal(words: list[str]) -> tuple[list[str], frozenset[str]]:
    """Remove trailing legal-form phrases; return the core words and the legal classes."""
    classes: set[str] = set()
    stripped = True
    while stripped and len(words) > 1:
        stripped = False
        for size in (3, 2, 1):
            tail = tuple(words[-size:])
            if len(words) > size and tail in _LEGAL_PHRASES:
                classes.add(_LEGAL_PHRASES[tail])
                words = words[:-size]
                stripped = True
                break
    return words, frozenset(classes)


def _strip_han_legal(han: str) -> tuple[str, frozenset[str]]:
    for suffix, legal_class in _HAN_LEGAL_SUFFIXES:
        if han.endswith(suffix) and len(han) > len(suffix):
            return han[: -len(suffix)], frozenset({legal_class})
    return han, frozenset()


def _umlaut_spelling(word: str) -> str:
    """Pinyin ü written "v" or "yu" after l/n (lvchun, Lyu) becomes "u", as in the Han readings,
    but only when that turns a non-pinyin word into pinyin ("Manyu" stays as it is)."""
    if segment_pinyin(word) is not None or ("v" not in word and "yu" not in word):
        return word
    plain = _UMLAUT.sub("u", word)
    return plain if segment_pinyin(plain) is not None else word


def _latin_syllables(groups: list[str]) -> tuple[str, ...] | None:
    syllables: list[str] = []
    for group in groups:
        parts = segment_pinyin(group)
        if parts is None:
            return None
        syllables.extend(parts)
    return tuple(syllables)


def _han_person(han: str, converted: bool) -> list[Variant]:
    """Variants of a Han personal name: family-name reading(s) x the given name's reading."""
    if any(d in han for d in _NAME_DOTS):
        # Transliterated foreign names (约翰·史密斯): each part is a group, no surname rule.
        parts = [p for p in re.split(f"[{_NAME_DOTS}]", han) if p]
        groups = tuple("".join(char_reading(c) for c in p) for p in parts)
        syllables = tuple(char_reading(c) for p in parts for c in p)
        core = "".join(parts)
        return [Variant(NameForm(EntryType.PERSON, groups, syllables, core, converted, frozenset()), False)]
    split = surname_length(han)
    given = tuple(char_reading(c) for c in han[split:])
    variants = []
    for family, alternative in surname_readings(han[:split]):
        groups = ("".join(family), "".join(given)) if given else ("".join(family),)
        form = NameForm(EntryType.PERSON, groups, family + given, han, converted, frozenset())
        variants.append(Variant(form, alternative))
    return variants


def name_variants(text: str, kind: EntryType) -> list[Variant]:
    """All comparable forms of a name, the preferred reading first; empty if nothing is left."""
    prepared, converted = _prepare(text, kind)
    runs = _runs(prepared)
    if kind is EntryType.PERSON:
        runs = [r for r in runs if r not in _TITLES and r not in _PARTICLES] or runs
        if runs and all(is_han(c) for r in runs for c in r):
            han = "".join(runs) if len(runs) == 1 else "·".join(runs)
            return _han_person(han, converted)
    legal: frozenset[str] = frozenset()
    if kind is EntryType.ORGANISATION:
        runs = [r for r in runs if r not in _ORG_STOPWORDS] or runs
        if len(runs) == 1 and is_han(runs[0][0]):
            core, legal = _strip_han_legal(runs[0])
            syllables = tuple(char_reading(c) for c in core)
            form = NameForm(kind, syllables, syllables, core, converted, legal)
            return [Variant(form, False)]
        runs, legal = _strip_legal(runs)
    groups: list[str] = []
    for run in runs:
        if is_han(run[0]):
            groups.append("".join(char_reading(c) for c in run))
        else:
            groups.append(_umlaut_spelling(run))
    if not groups:
        return []
    form = NameForm(kind, tuple(groups), _latin_syllables(groups), None, converted, legal)
    return [Variant(form, False)]


_PHONETIC_DIGRAPHS = (
    ("sch", "s"),
    ("ph", "f"),
    ("ck", "k"),
    ("kh", "k"),
    ("gh", "g"),
    ("dh", "d"),
    ("th", "t"),
    ("sh", "s"),
    ("zh", "j"),
    ("ch", "c"),
    ("ks", "x"),
    ("cs", "x"),
    ("qu", "k"),
)
_PHONETIC_LETTERS = str.maketrans({"q": "k", "z": "s", "v": "w", "c": "k"})


@lru_cache(maxsize=262144)
def phonetic_key(word: str) -> str:
    """A consonant skeleton used for spelling variants of Latin names (Bastion's own rule).

    Doubled letters collapse, digraphs map to one letter (ph=f, kh=k, ks=x...), vowels and a 'h'
    that does not precede a vowel drop out, and a leading vowel becomes 'a'. Mohammed, Muhammad
    and Mohamed give "mhmd"; Aleksandr and Alexander give "alxndr"; Mahmoud gives "md" (kept
    apart from Mohammed because the 'h' there precedes a consonant).
    """
    if not word.isalpha() or not word.isascii():
        return word
    text = re.sub(r"(.)\1+", r"\1", word)
    for digraph, letter in _PHONETIC_DIGRAPHS:
        text = text.replace(digraph, letter)
    text = text.translate(_PHONETIC_LETTERS)
    out: list[str] = ["a" if text[0] in "aeiouy" else text[0]]
    for index in range(1, len(text)):
        char = text[index]
        if char in "aeiouyw":
            continue
        if char == "h" and (index + 1 >= len(text) or text[index + 1] not in "aeiou"):
            continue
        if out[-1] != char:
            out.append(char)
    return "".join(out)

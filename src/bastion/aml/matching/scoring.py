# mypy: disallow-untyped-defs
"""Compare a prepared query with one normalised list name and say how they match.

Score scale (0-100) and the reasoning behind each step:

* equal compact forms: 100 (same script) or ``CROSS_SCRIPT_SCORE`` when one side is Han and the
  other Latin pinyin - a romanisation cannot say which characters were meant;
* the same name in another order (family name first or last, "ZHANG, Wei"): minus
  ``TRANSPOSITION_PENALTY``;
* otherwise a fuzzy score: the mean similarity of aligned groups (rapidfuzz's normalised Indel
  ratio), lifted to ``PHONETIC_FLOOR`` when two Latin words share a phonetic key and similar
  letters. When both names are pinyin of Chinese names (Han, or Latin with a family name at one
  end), syllables are compared one by one: a different syllable keeps half its letter similarity
  between two Han names (张文 is another person than 张伟) and 85 % with a Latin side (it may be
  a typo), and words whose syllable structure differs ("yang" / "yunyang") keep 75 %.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import permutations

from rapidfuzz.distance import Indel

from .chinese import segment_pinyin
from .model import MatchMethod
from .normalise import NameForm, phonetic_key

CROSS_SCRIPT_SCORE = 96.0
HOMOPHONE_SCORE = 90.0
TRANSPOSITION_PENALTY = 3.0
ALTERNATIVE_READING_PENALTY = 4.0
PHONETIC_FLOOR = 90.0
EXTRA_GROUP_PENALTY = 5.0
HAN_SYLLABLE_WEIGHT = 0.5
LATIN_SYLLABLE_WEIGHT = 0.85
SYLLABLE_STRUCTURE_WEIGHT = 0.75
PHONETIC_MIN_RATIO = 60.0
LEGAL_FORM_PENALTY = 3.0


@dataclass(frozen=True, slots=True)
class Comparison:
    """Outcome of comparing a query form with a list form, before per-record checks.

    ``pending_han`` means both sides are Han and their pinyin agrees: whether the characters
    agree too (exact) or not (homophone) is decided per list record.
    """

    score: float
    methods: tuple[MatchMethod, ...]
    query_form: str
    entry_form: str
    pending_han: bool = False


@dataclass(slots=True)
class PreparedQuery:
    """A query form with what every comparison needs precomputed once."""

    form: NameForm
    rotations: dict[str, bool]
    sorted_groups: tuple[str, ...]
    sorted_syllables: tuple[str, ...] | None
    phonetic: tuple[str, ...]
    _similarity: dict[tuple[str, str, float | None], tuple[float, bool]] = field(default_factory=dict)

    @classmethod
    def of(cls, form: NameForm) -> PreparedQuery:
        """Precompute rotations (family name first or last) and sorted keys of a query form."""
        rotations: dict[str, bool] = {form.compact: False}
        for parts in (form.groups, form.syllables or ()):
            for shift in range(1, min(len(parts), 5)):
                rotations.setdefault("".join(parts[shift:] + parts[:shift]), True)
        syllables = tuple(sorted(form.syllables)) if form.syllables is not None else None
        return cls(
            form=form,
            rotations=rotations,
            sorted_groups=tuple(sorted(form.groups)),
            sorted_syllables=syllables,
            phonetic=tuple(phonetic_key(g) for g in form.groups),
        )

    def similarity(self, mine: str, theirs: str, *, syllable_weight: float | None) -> tuple[float, bool]:
        """Similarity of two groups (0-100) and whether the phonetic key lifted it; pinyin
        semantics when ``syllable_weight`` is given (see ``_pinyin_similarity``)."""
        key = (mine, theirs, syllable_weight)
        cached = self._similarity.get(key)
        if cached is None:
            if syllable_weight is None:
                cached = _latin_similarity(mine, theirs)
            else:
                cached = _pinyin_similarity(mine, theirs, syllable_weight)
            self._similarity[key] = cached
        return cached


def _latin_similarity(mine: str, theirs: str) -> tuple[float, bool]:
    """Letter similarity, lifted for spelling variants with one phonetic key (Mohammed/Muhammad).
    The lift needs similar letters and lengths: a consonant skeleton alone is too coarse."""
    if mine == theirs:
        return 100.0, False
    ratio = Indel.normalized_similarity(mine, theirs) * 100.0
    key = phonetic_key(mine)
    lifted = (
        PHONETIC_MIN_RATIO <= ratio < PHONETIC_FLOOR
        and min(len(mine), len(theirs)) >= 4
        and abs(len(mine) - len(theirs)) <= 2
        and len(key) >= 3
        and key == phonetic_key(theirs)
    )
    return (PHONETIC_FLOOR, True) if lifted else (ratio, False)


def _pinyin_similarity(mine: str, theirs: str, weight: float) -> tuple[float, bool]:
    """Similarity of two pinyin words: syllable by syllable when both split into as many
    syllables, reduced when their syllable structure differs ("yang" / "yunyang"); letter
    similarity when one of them is not pinyin (a typo such as "xiaomng")."""
    if mine == theirs:
        return 100.0, False
    ours, other = segment_pinyin(mine), segment_pinyin(theirs)
    ratio = Indel.normalized_similarity(mine, theirs) * 100.0
    if ours is None or other is None:
        return ratio, False
    if len(ours) != len(other):
        return ratio * SYLLABLE_STRUCTURE_WEIGHT, False
    total = sum(
        100.0 if a == b else Indel.normalized_similarity(a, b) * 100.0 * weight
        for a, b in zip(ours, other, strict=True)
    )
    return total / len(ours), False


def _base(query: NameForm, entry: NameForm) -> tuple[float, tuple[MatchMethod, ...], bool]:
    """Score and methods of an exact agreement, depending on the scripts involved."""
    if query.han_derived and entry.han_derived:
        return 100.0, (), True
    if query.han_derived or entry.han_derived:
        return CROSS_SCRIPT_SCORE, (MatchMethod.PINYIN,), False
    return 100.0, (MatchMethod.EXACT,), False


def _exact(query: PreparedQuery, entry: NameForm) -> Comparison | None:
    """Equal compact forms, in the given order or transposed."""
    transposed = query.rotations.get(entry.compact)
    if transposed is None:
        groups, syllables = entry.groups, entry.syllables
        same_groups = (
            len(groups) > 1
            and len(groups) == len(query.sorted_groups)
            and query.sorted_groups == tuple(sorted(groups))
        )
        same_syllables = (
            syllables is not None
            and query.sorted_syllables is not None
            and len(syllables) > 1
            and len(syllables) == len(query.sorted_syllables)
            and query.sorted_syllables == tuple(sorted(syllables))
        )
        if not (same_groups or same_syllables):
            return None
        transposed = True
    score, methods, pending = _base(query.form, entry)
    if transposed:
        score -= TRANSPOSITION_PENALTY
        methods = (*methods, MatchMethod.TRANSPOSITION)
    return Comparison(score, methods, query.form.display, entry.display, pending)


def _syllable_score(query: PreparedQuery, entry: tuple[str, ...], weight: float) -> tuple[float, bool]:
    """Best mean syllable similarity over rotations of the query syllables (same count)."""
    mine = query.form.syllables or ()
    best, best_moved = 0.0, False
    for shift in range(len(mine)):
        rotated = mine[shift:] + mine[:shift]
        total = 0.0
        for a, b in zip(rotated, entry, strict=True):
            total += 100.0 if a == b else Indel.normalized_similarity(a, b) * 100.0 * weight
        score = total / len(entry) - (TRANSPOSITION_PENALTY if shift else 0.0)
        if score > best:
            best, best_moved = score, shift > 0
    return best, best_moved


def _orders(size: int) -> list[tuple[tuple[int, ...], bool]]:
    """Word orders tried for equal word counts (all for up to three words, else rotations),
    each with whether it differs from the given order."""
    if size <= 3:
        orders = list(permutations(range(size)))
    else:
        orders = [tuple((i + shift) % size for i in range(size)) for shift in range(size)]
    return [(order, order != tuple(range(size))) for order in orders]


_ORDERS = {size: _orders(size) for size in range(1, 9)}


def _group_score(
    query: PreparedQuery, entry: tuple[str, ...], *, syllable_weight: float | None
) -> tuple[float, bool, bool]:
    """Best group alignment: (score, transposed, phonetic key used)."""
    mine = query.form.groups
    if len(mine) == len(entry) and len(mine) in _ORDERS:
        # Similarity matrix once, then every order is a sum of lookups.
        matrix = [
            [query.similarity(word, theirs, syllable_weight=syllable_weight) for theirs in entry]
            for word in mine
        ]
        best: tuple[float, bool, bool] = (0.0, False, False)
        for order, moved in _ORDERS[len(mine)]:
            total = 0.0
            for position, index in enumerate(order):
                total += matrix[index][position][0]
            score = total / len(mine) - (TRANSPOSITION_PENALTY if moved else 0.0)
            if score > best[0]:
                lifted = any(matrix[index][position][1] for position, index in enumerate(order))
                best = (score, moved, lifted)
        return best
    if min(len(mine), len(entry)) < 2:
        return 0.0, False, False
    # Different word counts (a missing middle name): align the shorter side greedily.
    shorter, longer, mine_shorter = (mine, entry, True) if len(mine) < len(entry) else (entry, mine, False)
    free = list(range(len(longer)))
    total, phonetic = 0.0, False
    for word in shorter:
        scored = [
            (
                query.similarity(word, longer[j], syllable_weight=syllable_weight)
                if mine_shorter
                else query.similarity(longer[j], word, syllable_weight=syllable_weight),
                j,
            )
            for j in free
        ]
        (sim, lifted), j = max(scored, key=lambda item: item[0][0])
        free.remove(j)
        total += sim
        phonetic = phonetic or lifted
    return total / len(shorter) - EXTRA_GROUP_PENALTY * (len(longer) - len(shorter)), False, phonetic


def compare(query: PreparedQuery, entry: NameForm) -> Comparison | None:
    """Compare a query with a list name form; None if they share nothing worth scoring."""
    exact = _exact(query, entry)
    if exact is not None:
        return exact
    form = query.form
    han_involved = form.han_derived or entry.han_derived
    methods: list[MatchMethod] = [MatchMethod.PINYIN] if han_involved else []
    # Pinyin semantics when a Han name is involved or both names read as Chinese names.
    mine, theirs = form.syllables, entry.syllables
    pinyin = mine is not None and theirs is not None and (han_involved or (form.chinese and entry.chinese))
    # Two Han names that differ in a syllable differ in a character: another name. With a Latin
    # side the syllable may be a typo ("Xiulin" for "Xiuling"), so it keeps more of its letters.
    weight = HAN_SYLLABLE_WEIGHT if form.han_derived and entry.han_derived else LATIN_SYLLABLE_WEIGHT
    if pinyin and mine is not None and theirs is not None and len(mine) == len(theirs):
        # Pinyin against pinyin: syllables are the unit, no letter-level fuzziness across them.
        score, moved = _syllable_score(query, theirs, weight)
        phonetic = False
        shown_query, shown_entry = form.shown(mine), entry.shown(theirs)
    else:
        score, moved, phonetic = _group_score(query, entry.groups, syllable_weight=weight if pinyin else None)
        shown_query, shown_entry = form.shown(form.groups), entry.shown(entry.groups)
    if moved:
        methods.append(MatchMethod.TRANSPOSITION)
    if phonetic:
        methods.append(MatchMethod.PHONETIC)
    methods.append(MatchMethod.FUZZY)
    if form.legal and entry.legal and form.legal != entry.legal:
        score -= LEGAL_FORM_PENALTY
    return Comparison(round(max(score, 0.0), 1), tuple(methods), shown_query, shown_entry)

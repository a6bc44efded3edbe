# mypy: disallow-untyped-defs
"""Blocking keys: the few strings under which a name form is filed, so a query scores a handful
of candidates instead of the whole list.

* ``g``/``s``: the sorted groups and the sorted pinyin syllables - every exact match and every
  transposition ("Wei Zhang", "Xiao Ming Zhang", "zhangwei") shares one of them;
* ``d``: the compact form and all its one-letter deletions (a symmetric deletion neighbourhood):
  two forms one edit apart always share one. List names file one order, queries look up every
  rotation, so a typo in a transposed name is still found;
* ``p``/``q``: pairs of phonetic keys of Latin words (one key for one-word names), for spelling
  variants further than one edit (Mohammed/Muhammad, Aleksandr/Alexander).

Every key starts with the entry type, so person and organisation names never meet.
"""

from __future__ import annotations

from itertools import combinations

from .normalise import NameForm, phonetic_key
from .scoring import PreparedQuery

MAX_DELETION_LENGTH = 24
MIN_DELETION_LENGTH = 4
MAX_PHONETIC_GROUPS = 6


def _deletions(prefix: str, compact: str, into: set[str]) -> None:
    into.add(f"{prefix}d|{compact}")
    text = compact[:MAX_DELETION_LENGTH]
    if len(text) < MIN_DELETION_LENGTH:
        return
    for index in range(len(text)):
        into.add(f"{prefix}d|{text[:index]}{text[index + 1 :]}")


def _phonetic(prefix: str, form: NameForm, into: set[str]) -> None:
    if form.han_derived:
        return  # Pinyin of Han names is covered by syllable and deletion keys.
    keys = [phonetic_key(g) for g in form.groups[:MAX_PHONETIC_GROUPS]]
    if len(keys) == 1:
        if len(keys[0]) >= 3:
            into.add(f"{prefix}q|{keys[0]}")
        return
    usable = sorted({k for k in keys if len(k) >= 2})
    for first, second in combinations(usable, 2):
        into.add(f"{prefix}p|{first}|{second}")


def _exact(prefix: str, groups: tuple[str, ...], syllables: tuple[str, ...] | None) -> list[str]:
    keys = [f"{prefix}g|{' '.join(groups)}"]
    if syllables is not None and syllables != groups:
        keys.append(f"{prefix}s|{' '.join(syllables)}")
    return keys


def entry_keys(form: NameForm) -> list[str]:
    """Keys a list name form is filed under."""
    prefix = form.kind.value[0]
    syllables = tuple(sorted(form.syllables)) if form.syllables is not None else None
    keys = set(_exact(prefix, tuple(sorted(form.groups)), syllables))
    _deletions(prefix, form.compact, keys)
    _phonetic(prefix, form, keys)
    return list(keys)


def query_keys(query: PreparedQuery) -> tuple[list[str], list[str]]:
    """Keys a query looks up: (exact keys, fuzzy keys). Fuzzy keys may be skipped when too common."""
    form = query.form
    prefix = form.kind.value[0]
    exact = _exact(prefix, query.sorted_groups, query.sorted_syllables)
    fuzzy: set[str] = set()
    for rotation in query.rotations:
        _deletions(prefix, rotation, fuzzy)
    _phonetic(prefix, form, fuzzy)
    fuzzy.difference_update(exact)
    return exact, list(fuzzy)

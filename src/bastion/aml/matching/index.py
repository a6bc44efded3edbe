# mypy: disallow-untyped-defs
"""The in-memory screening index: list names filed under blocking keys, scored on demand.

Layout, chosen for a million entries in about a gigabyte (measured: docs/performance.md):

* every distinct normalised name form is stored once (``_Form``) with the list records that
  carry it - 张伟, 张维 and "Zhang Wei" of many entries share two forms, so a common name is
  scored once per query, not once per entry;
* the blocking keys are 64-bit string hashes in one sorted numpy array with a parallel array of
  form ids (12 bytes a posting, looked up with vectorised ``searchsorted`` calls). A hash
  collision only adds a candidate, which scoring rejects;
* ``add`` files new forms in a small dict overlay, ``remove`` marks the entry dead; the overlay
  is folded into the arrays when it grows past ``MERGE_FRACTION`` of them, and ``compact()``
  drops dead records and forms.
"""

from __future__ import annotations

from array import array
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from .filters import MAX_BOOST, secondary_adjustments
from .keys import entry_keys, query_keys
from .model import EntryType, Hit, ListEntry, MatchMethod
from .normalise import NameForm, Variant, name_variants
from .scoring import (
    ALTERNATIVE_READING_PENALTY,
    HOMOPHONE_SCORE,
    TRANSPOSITION_PENALTY,
    Comparison,
    PreparedQuery,
    compare,
)

DEFAULT_THRESHOLD = 85.0
# A fuzzy key filed under more forms than this is skipped at query time, like a stop word.
MAX_FUZZY_POSTINGS = 2000
# Fuzzy candidates scored per query variant, those sharing the most keys first.
MAX_FUZZY_CANDIDATES = 80
MERGE_FRACTION = 0.05
MIN_MERGE_OVERLAY = 50_000

# Primary method of a hit: the most tolerant step that was needed.
_METHOD_RANK = {
    m: i
    for i, m in enumerate(
        (
            MatchMethod.EXACT,
            MatchMethod.TRADITIONAL_SIMPLIFIED,
            MatchMethod.PINYIN,
            MatchMethod.PHONETIC,
            MatchMethod.ALTERNATIVE_READING,
            MatchMethod.TRANSPOSITION,
            MatchMethod.FUZZY,
        )
    )
}


@dataclass(frozen=True, slots=True)
class _Record:
    entry: int
    name: str
    han: str | None
    traditional: bool
    alias: bool


@dataclass(slots=True)
class _Form:
    form: NameForm
    records: list[_Record] = field(default_factory=list)
    alternatives: list[_Record] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Screening:
    threshold: float
    date_of_birth: str | None
    nationality: str | None
    lists: frozenset[str] | None

    @property
    def secondary(self) -> bool:
        return bool(self.date_of_birth or self.nationality)


@dataclass(frozen=True, slots=True)
class _Outcome:
    """Score of one list record against the query, before secondary adjustments."""

    score: float
    methods: tuple[MatchMethod, ...]
    method: MatchMethod
    comparison: Comparison


_NO_NOTES: tuple[str, ...] = ()
# (total score, record, outcome, adjustment notes) of the best name of one entry.
_Best = tuple[float, _Record, _Outcome, tuple[str, ...]]


class ScreeningIndex:
    """Watch-list names, screened by ``screen()``; build with ``ScreeningIndex.build(entries)``.

    ``screen()`` only reads the index and may run in several threads at once; ``add``,
    ``remove``, ``replace_list`` and ``compact`` change it and need the caller to exclude
    concurrent screening (or to build a new index and swap the reference).
    """

    def __init__(self) -> None:
        self._entries: list[ListEntry | None] = []
        self._positions: dict[tuple[str, str], int] = {}
        self._record_count = 0
        self._forms: list[_Form] = []
        self._form_ids: dict[str, int] = {}
        self._keys: npt.NDArray[np.int64] = np.empty(0, dtype=np.int64)
        self._postings: npt.NDArray[np.int32] = np.empty(0, dtype=np.int32)
        self._overlay: dict[int, list[int]] = {}
        self._pending_keys: array[int] = array("q")
        self._pending_forms: array[int] = array("i")
        self._live = 0

    @classmethod
    def build(cls, entries: Iterable[ListEntry]) -> ScreeningIndex:
        """Index all entries at once (keys are sorted once at the end)."""
        index = cls()
        for entry in entries:
            index._insert(entry, bulk=True)
        index._merge()
        return index

    def __len__(self) -> int:
        return self._live

    def get(self, list_name: str, entry_id: str) -> ListEntry | None:
        """The live entry with this id in this list, if any."""
        position = self._positions.get((list_name, entry_id))
        return None if position is None else self._entries[position]

    def add(self, entries: Iterable[ListEntry]) -> int:
        """Add or replace entries (same list name and id replaces); returns how many were added."""
        count = 0
        for entry in entries:
            self._insert(entry, bulk=False)
            count += 1
        if len(self._overlay) > max(MIN_MERGE_OVERLAY, MERGE_FRACTION * len(self._keys)):
            self._merge()
        return count

    def remove(self, list_name: str, entry_id: str) -> bool:
        """Remove an entry; its names stop matching at once. False if it was not indexed."""
        position = self._positions.pop((list_name, entry_id), None)
        if position is None:
            return False
        self._entries[position] = None
        self._live -= 1
        return True

    def replace_list(self, list_name: str, entries: Iterable[ListEntry]) -> None:
        """Swap a whole list for a new version (entries of other lists are untouched)."""
        fresh = list(entries)
        strangers = sorted({e.list_name for e in fresh if e.list_name != list_name})
        if strangers:
            raise ValueError(
                f"replace_list({list_name!r}) got entries of other lists: {', '.join(strangers)}"
            )
        for name, entry_id in [k for k in self._positions if k[0] == list_name]:
            self.remove(name, entry_id)
        self.add(fresh)

    def compact(self) -> None:
        """Rebuild from the live entries: drops removed names and folds the overlay."""
        live = [e for e in self._entries if e is not None]
        self.__dict__.update(ScreeningIndex.build(live).__dict__)

    def stats(self) -> dict[str, int]:
        """Sizes, for benchmarks and monitoring."""
        return {
            "entries": self._live,
            "records": self._record_count,
            "forms": len(self._forms),
            "postings": len(self._keys),
            "overlay_keys": len(self._overlay),
        }

    # -- building ---------------------------------------------------------------------------

    def _insert(self, entry: ListEntry, *, bulk: bool) -> None:
        if entry.key in self._positions:
            self.remove(*entry.key)
        position = len(self._entries)
        self._entries.append(entry)
        self._positions[entry.key] = position
        self._live += 1
        for number, name in enumerate(entry.names):
            variants = name_variants(name, entry.entry_type)
            if not variants:
                continue
            first = variants[0].form
            record = _Record(position, name, first.han, first.traditional, number > 0)
            self._record_count += 1
            for variant in variants:
                self._file(variant, record, bulk=bulk)

    def _file(self, variant: Variant, record: _Record, *, bulk: bool) -> None:
        signature = variant.form.signature
        form_id = self._form_ids.get(signature)
        if form_id is None:
            form_id = len(self._forms)
            self._forms.append(_Form(variant.form))
            self._form_ids[signature] = form_id
            for key in entry_keys(variant.form):
                if bulk:
                    self._pending_keys.append(hash(key))
                    self._pending_forms.append(form_id)
                else:
                    self._overlay.setdefault(hash(key), []).append(form_id)
        form = self._forms[form_id]
        (form.alternatives if variant.alternative else form.records).append(record)

    def _merge(self) -> None:
        """Fold pending bulk keys and the overlay into the sorted arrays."""
        keys = array("q", self._pending_keys)
        forms = array("i", self._pending_forms)
        for key, ids in self._overlay.items():
            keys.extend([key] * len(ids))
            forms.extend(ids)
        if not keys:
            return
        all_keys = np.concatenate([self._keys, np.frombuffer(keys, dtype=np.int64)])
        all_forms = np.concatenate([self._postings, np.frombuffer(forms, dtype=np.int32)])
        order = np.argsort(all_keys, kind="stable")
        self._keys = all_keys[order]
        self._postings = all_forms[order]
        self._pending_keys = array("q")
        self._pending_forms = array("i")
        self._overlay = {}

    # -- screening --------------------------------------------------------------------------

    def _lookup(self, keys: list[str], cap: int) -> npt.NDArray[np.int32]:
        """Form ids filed under any of ``keys`` (with repeats), skipping keys with more than ``cap``."""
        # Sorted needles: numpy's binary search starts from the previous hit, fewer cache misses.
        hashes = np.unique(np.fromiter((hash(k) for k in keys), dtype=np.int64, count=len(keys)))
        lows = np.searchsorted(self._keys, hashes, side="left")
        lengths = np.searchsorted(self._keys, hashes, side="right") - lows
        keep = (lengths > 0) & (lengths <= cap)
        lows, lengths = lows[keep], lengths[keep]
        # All postings ranges gathered in one vectorised index instead of one slice per key.
        starts = np.repeat(lows - (np.cumsum(lengths) - lengths), lengths)
        found = self._postings[starts + np.arange(len(starts))]
        if self._overlay:
            extra = [f for value in hashes.tolist() for f in self._overlay.get(value, ())]
            found = np.concatenate([found, np.asarray(extra, dtype=np.int32)])
        return found

    def _candidates(self, query: PreparedQuery) -> list[int]:
        """Forms sharing an exact key, plus the forms sharing most fuzzy keys (at most
        ``MAX_FUZZY_CANDIDATES``): a form one edit away shares several deletion keys, a form
        sharing every word phonetically shares every pair key, an accidental neighbour one."""
        exact, fuzzy = query_keys(query)
        chosen = set(self._lookup(exact, len(self._keys) + 1).tolist())
        forms, counts = np.unique(self._lookup(fuzzy, MAX_FUZZY_POSTINGS), return_counts=True)
        if len(forms) > MAX_FUZZY_CANDIDATES:
            forms = forms[np.argsort(-counts, kind="stable")[:MAX_FUZZY_CANDIDATES]]
        chosen.update(forms.tolist())
        return sorted(chosen)

    def screen(
        self,
        name: str,
        *,
        entry_type: EntryType | None = None,
        threshold: float = DEFAULT_THRESHOLD,
        date_of_birth: str | None = None,
        nationality: str | None = None,
        lists: Collection[str] | None = None,
        limit: int | None = None,
    ) -> list[Hit]:
        """Entries whose name or alias matches ``name`` with a score >= ``threshold``, best first.

        ``entry_type`` limits the search to persons or organisations (default: both, each with
        its own normalisation). ``date_of_birth`` (YYYY[-MM[-DD]]) and ``nationality`` adjust the
        score of entries that carry them (see ``filters``); they never add hits on their own
        beyond ``MAX_BOOST`` points.
        """
        kinds = (entry_type,) if entry_type is not None else (EntryType.PERSON, EntryType.ORGANISATION)
        best: dict[int, _Best] = {}
        screening = _Screening(
            threshold, date_of_birth, nationality, None if lists is None else frozenset(lists)
        )
        for kind in kinds:
            for variant in name_variants(name, kind):
                self._screen_variant(variant, best, screening)
        ranked = sorted(best.items(), key=lambda item: (-item[1][0], item[0]))
        if limit is not None:
            ranked = ranked[:limit]
        return [self._hit(position, found, name) for position, found in ranked]

    def _screen_variant(self, variant: Variant, best: dict[int, _Best], screening: _Screening) -> None:
        query = PreparedQuery.of(variant.form)
        for form_id in self._candidates(query):
            stored = self._forms[form_id]
            comparison = compare(query, stored.form)
            if comparison is None or comparison.score + MAX_BOOST < screening.threshold:
                continue
            for records, alternative in ((stored.records, False), (stored.alternatives, True)):
                if records:
                    self._collect(records, comparison, variant, alternative, best, screening)

    def _collect(
        self,
        records: list[_Record],
        comparison: Comparison,
        variant: Variant,
        alternative: bool,
        best: dict[int, _Best],
        screening: _Screening,
    ) -> None:
        """Score the records of one matching form; this loop runs once per hit, so it is lean."""
        # The record score depends only on two facts (same characters as the query, written in
        # traditional characters), not on the record itself: four possible outcomes.
        outcomes: list[_Outcome | None] = [None, None, None, None]
        entries, threshold = self._entries, screening.threshold
        query_han, lists, secondary = variant.form.han, screening.lists, screening.secondary
        for record in records:
            entry = entries[record.entry]
            if entry is None or (lists is not None and entry.list_name not in lists):
                continue
            facts = 2 * (record.han == query_han) + record.traditional
            outcome = outcomes[facts]
            if outcome is None:
                outcome = _record_score(
                    comparison, variant, record, alternative=alternative or variant.alternative
                )
                outcomes[facts] = outcome
            total, notes = outcome.score, _NO_NOTES
            if secondary:
                adjustments = secondary_adjustments(entry, screening.date_of_birth, screening.nationality)
                total = max(0.0, min(100.0, total + sum(delta for delta, _ in adjustments)))
                notes = tuple(note for _, note in adjustments)
            if total >= threshold:
                current = best.get(record.entry)
                if current is None or total > current[0]:
                    best[record.entry] = (total, record, outcome, notes)

    def _hit(self, position: int, found: _Best, query: str) -> Hit:
        entry = self._entries[position]
        assert entry is not None  # only live entries are collected
        score, record, outcome, notes = found
        return Hit(
            entry.entry_id,
            entry.list_name,
            entry.entry_type,
            round(score, 1),
            record.name,
            record.alias,
            outcome.method,
            outcome.methods,
            query,
            outcome.comparison.query_form,
            outcome.comparison.entry_form,
            outcome.score,
            notes,
            entry.program,
            entry.category,
        )


def _record_score(
    comparison: Comparison, variant: Variant, record: _Record, *, alternative: bool
) -> _Outcome:
    """Per-record refinement: same characters or a homophone, readings, traditional script."""
    query = variant.form
    score = comparison.score
    methods = list(comparison.methods)
    if comparison.pending_han and record.han == query.han:
        score, methods = 100.0, [MatchMethod.EXACT]
    else:
        if comparison.pending_han:
            # Same pinyin, different characters (张伟 / 张维): a homophone, not the same name.
            moved = MatchMethod.TRANSPOSITION in methods
            score = HOMOPHONE_SCORE - (TRANSPOSITION_PENALTY if moved else 0.0)
            methods = [MatchMethod.PINYIN, *methods]
        if alternative:
            score -= ALTERNATIVE_READING_PENALTY
            methods.append(MatchMethod.ALTERNATIVE_READING)
    if query.traditional or record.traditional:
        methods.insert(0, MatchMethod.TRADITIONAL_SIMPLIFIED)
        if methods[1:] == [MatchMethod.EXACT]:
            methods = [MatchMethod.TRADITIONAL_SIMPLIFIED]
    method = max(methods, key=_METHOD_RANK.__getitem__)
    return _Outcome(round(score, 1), tuple(methods), method, comparison)

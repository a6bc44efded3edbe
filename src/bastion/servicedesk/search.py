"""Work-order search terms: Han bigrams and Latin/digit words, kept in an indexed table.

A title such as "ATM 吞卡 E203" gives the terms ``atm``, ``吞卡`` and ``e203``; a run of Han characters
gives every bigram (a lone Han character gives itself), so any two-character piece of a Chinese title
finds it without a dictionary, and "卡钞故障" finds titles containing 卡钞, 钞故 and 故障. A query's
terms must all match (AND). Looking up terms in ``WorkOrderTerm`` (indexed by term, then order) keeps
search fast at a million orders on SQLite and PostgreSQL alike, where ``LIKE '%…%'`` must read every
row. See docs/decisions/0302-work-order-search.md.
"""

from __future__ import annotations

import re

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_WORD = re.compile(r"[0-9a-z][0-9a-z_\-]*")
MAX_TERM = 40
MAX_QUERY_TERMS = 8


def terms_of(text: str) -> list[str]:
    """The distinct search terms of ``text``, in order of first appearance."""
    lowered = text.lower()
    found: list[str] = []
    for run in _HAN.findall(lowered):
        found += [run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)]
    found += [w.strip("-_")[:MAX_TERM] for w in _WORD.findall(_HAN.sub(" ", lowered))]
    return list(dict.fromkeys(t for t in found if t))


def query_terms(text: str) -> list[str]:
    """The terms a query must all match (at most ``MAX_QUERY_TERMS``, the rest add little)."""
    return terms_of(text)[:MAX_QUERY_TERMS]

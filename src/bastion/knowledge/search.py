"""Full-text search over articles that finds Chinese text by words inside it, on SQLite and PostgreSQL.

Chinese has no spaces, so the database's own tokenisers cannot find "卡钞" inside "钞箱卡钞故障处理".
Each article is turned into a *search document* of space-separated terms in Python:

* every run of Han characters gives its jieba words (``cut_for_search``), its bigrams and its single
  characters; the bigrams are the fallback for words jieba does not split out, the jieba words weigh
  real words above accidental bigrams across a word boundary;
* every Latin/digit run gives its lower-cased word (``CASH_JAM`` gives ``cash`` and ``jam``).

Han terms are spelled as ASCII (``k`` + five hex digits per character) so that neither SQLite's
``unicode61`` tokeniser nor PostgreSQL's parser, whatever the server's locale, splits or drops them.
The document is indexed by an FTS5 table on SQLite and by a GIN index over a ``'simple'`` tsvector
on PostgreSQL (titles weighted above bodies). A query keeps every Han bigram of its words (AND), so
"卡钞" must appear as a bigram; Latin words match as prefixes. See docs/decisions/0400-knowledge-search.md.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection
from django.utils.safestring import SafeString, mark_safe

_HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUN = re.compile(rf"[{_HAN}]+|[a-z0-9]+")
_HAN_RUN = re.compile(rf"[{_HAN}]+")
MAX_QUERY_TERMS = 32
FTS_TABLE = "knowledge_article_fts"
# PostgreSQL keeps the weighted vector (title 'A', body 'B') in a stored generated column with a GIN
# index (migration 0003), so ranking reads it instead of re-parsing every matching document.
PG_VECTOR = "knowledge_article.search_vector"


def _encode(han: str) -> str:
    return "k" + "".join(f"{ord(ch):05x}" for ch in han)


def _han_terms(run: str) -> list[str]:
    import jieba

    words = [w for w in jieba.cut_for_search(run) if len(w) > 1 and _HAN_RUN.fullmatch(w)]
    bigrams = [run[i : i + 2] for i in range(len(run) - 1)]
    return [_encode(t) for t in [*words, *bigrams, *run]]


def document_terms(*texts: str) -> str:
    """The search document of some texts: space-separated index terms."""
    terms: list[str] = []
    for text in texts:
        for run in _RUN.findall((text or "").lower()):
            if _HAN_RUN.fullmatch(run):
                terms.extend(_han_terms(run))
            elif len(run) <= 60:
                terms.append(run)
    return " ".join(terms)


@dataclass(frozen=True)
class Query:
    """A parsed user query: required Han terms, Latin prefixes, and what to highlight."""

    han_terms: tuple[str, ...]
    latin_prefixes: tuple[str, ...]
    highlights: tuple[str, ...]

    @property
    def empty(self) -> bool:
        return not self.han_terms and not self.latin_prefixes


def parse_query(text: str) -> Query:
    """Every Han run of the query contributes its bigrams (or its single character); words, prefixes."""
    han: list[str] = []
    latin: list[str] = []
    highlights: list[str] = []
    for run in _RUN.findall((text or "").lower()):
        highlights.append(run)
        if _HAN_RUN.fullmatch(run):
            grams = [run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)]
            han.extend(grams)
        elif run not in latin:
            latin.append(run)
    han = list(dict.fromkeys(han))[:MAX_QUERY_TERMS]
    latin = latin[: max(0, MAX_QUERY_TERMS - len(han))]
    return Query(tuple(_encode(g) for g in han), tuple(latin), tuple(highlights))


def keyword_terms(text: str, *, limit: int = MAX_QUERY_TERMS) -> list[str]:
    """Index terms for a free description (a work order's symptoms): jieba words and Latin words."""
    import jieba

    terms: list[str] = []
    for run in _RUN.findall((text or "").lower()):
        if _HAN_RUN.fullmatch(run):
            terms.extend(_encode(w) for w in jieba.cut(run) if len(w) > 1)
        elif len(run) >= 3:
            terms.append(run)
    return list(dict.fromkeys(terms))[:limit]


# --- index maintenance (called inside the writer's transaction) --------------------------------------
def index_article(article_id: int, *, title: str, body: str, status: str, has_english: bool) -> None:
    """Bring the database index of one article in step with its search document and status.

    SQLite's FTS5 table carries the status and the English flag as unindexed columns, so a search
    filters inside the FTS table and never reads the (large) article rows. PostgreSQL's generated
    column follows the article row by itself.
    """
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {FTS_TABLE} WHERE rowid = %s", [article_id])  # noqa: S608
            cursor.execute(
                f"INSERT INTO {FTS_TABLE} (rowid, title, body, status, has_en) VALUES (%s, %s, %s, %s, %s)",  # noqa: S608
                [article_id, title, body, status, "1" if has_english else "0"],
            )


def unindex_article(article_id: int) -> None:
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {FTS_TABLE} WHERE rowid = %s", [article_id])  # noqa: S608


# --- querying ---------------------------------------------------------------------------------------
def _match_expression(terms: Iterable[str], prefixes: Iterable[str], *, any_term: bool) -> str:
    if connection.vendor == "postgresql":
        parts = [*terms, *(f"{p}:*" for p in prefixes)]
        return (" | " if any_term else " & ").join(parts)
    parts = [f'"{t}"' for t in terms] + [f'"{p}"*' for p in prefixes]
    return (" OR " if any_term else " AND ").join(parts)


def _filters(statuses: list[str], language: str | None) -> tuple[str, list[str]]:
    """The status and language conditions, on the FTS table (SQLite) or the article row (PostgreSQL)."""
    marks = ", ".join(["%s"] * len(statuses))
    if connection.vendor == "postgresql":
        clause = f" AND knowledge_article.status IN ({marks})"
        return clause + (" AND knowledge_article.title_en <> ''" if language == "en" else ""), statuses
    clause = f" AND {FTS_TABLE}.status IN ({marks})"
    return clause + (f" AND {FTS_TABLE}.has_en = '1'" if language == "en" else ""), statuses


def ranked_ids(
    *,
    terms: Iterable[str],
    prefixes: Iterable[str] = (),
    any_term: bool = False,
    statuses: Iterable[str] = ("published",),
    language: str | None = None,
    limit: int = 20,
    offset: int = 0,
) -> list[tuple[int, float]]:
    """Article ids matching the terms, best first, each with a score where higher is better."""
    terms, prefixes, statuses = list(terms), list(prefixes), list(statuses)
    if not terms and not prefixes:
        return []
    expression = _match_expression(terms, prefixes, any_term=any_term)
    where, params = _filters(statuses, language)
    if connection.vendor == "postgresql":
        sql = (
            f"SELECT knowledge_article.id, ts_rank({PG_VECTOR}, q) AS score "  # noqa: S608
            "FROM knowledge_article, to_tsquery('simple'::regconfig, %s) q "
            f"WHERE {PG_VECTOR} @@ q{where} ORDER BY score DESC, knowledge_article.id LIMIT %s OFFSET %s"
        )
    else:
        # bm25() is lower-is-better; titles weigh four times as much as bodies.
        sql = (
            f"SELECT rowid, -bm25({FTS_TABLE}, 4.0, 1.0) AS score FROM {FTS_TABLE} "  # noqa: S608
            f"WHERE {FTS_TABLE} MATCH %s{where} ORDER BY score DESC, rowid LIMIT %s OFFSET %s"
        )
    with connection.cursor() as cursor:
        cursor.execute(sql, [expression, *params, limit, offset])
        return [(int(row[0]), float(row[1])) for row in cursor.fetchall()]


def count_matches(
    *, query: Query, statuses: Iterable[str] = ("published",), language: str | None = None
) -> int:
    """How many articles a query matches (for paging)."""
    if query.empty:
        return 0
    expression = _match_expression(query.han_terms, query.latin_prefixes, any_term=False)
    where, params = _filters(list(statuses), language)
    if connection.vendor == "postgresql":
        sql = (
            "SELECT count(*) FROM knowledge_article "  # noqa: S608
            f"WHERE {PG_VECTOR} @@ to_tsquery('simple'::regconfig, %s){where}"
        )
    else:
        sql = f"SELECT count(*) FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s{where}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [expression, *params])
        return int(cursor.fetchone()[0])


# --- highlighting -----------------------------------------------------------------------------------
def _pattern(highlights: Iterable[str]) -> re.Pattern[str] | None:
    pieces: list[str] = []
    for term in highlights:
        if _HAN_RUN.fullmatch(term):
            pieces.append(re.escape(term))
            pieces.extend(re.escape(term[i : i + 2]) for i in range(len(term) - 1))
        else:
            pieces.append(rf"(?<![a-z0-9]){re.escape(term)}[a-z0-9]*")
    if not pieces:
        return None
    return re.compile("|".join(sorted(set(pieces), key=len, reverse=True)), re.IGNORECASE)


def highlight(text: str, highlights: Iterable[str], *, width: int = 0) -> SafeString:
    """``text`` escaped with matches wrapped in ``<mark>``; cut to a window round the first match."""
    pattern = _pattern(highlights)
    text = text or ""
    if width and len(text) > width:
        first = pattern.search(text) if pattern else None
        start = max(0, (first.start() if first else 0) - width // 3)
        end = min(len(text), start + width)
        text = ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")
    if pattern is None:
        return mark_safe(html.escape(text))  # noqa: S308  (escaped just now)
    out: list[str] = []
    cursor = 0
    for match in pattern.finditer(text):
        out.append(html.escape(text[cursor : match.start()]))
        out.append(f"<mark>{html.escape(match.group(0))}</mark>")
        cursor = match.end()
    out.append(html.escape(text[cursor:]))
    return mark_safe("".join(out))  # noqa: S308  (every piece escaped above)

"""Reads of the knowledge base: articles, search, suggestions and diagnosis cards (no side effects).

``list_diagnosis_cards``, ``search_articles`` and ``suggest_articles`` are the contract other apps
build on (devices shows cards on an alarm, the service desk suggests articles for a new order).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from bastion.knowledge import search
from bastion.knowledge.choices import ArticleStatus
from bastion.knowledge.models import Article, DiagnosisCard, DiagnosisStep
from bastion.platform.errors import FieldError, NotFound

EDIT_PERMISSION = "knowledge.edit_articles"
PUBLISH_PERMISSION = "knowledge.publish_articles"
CARDS_PERMISSION = "knowledge.manage_cards"
VIEW_PERMISSION = "knowledge.view"
SNIPPET_WIDTH = 160


@dataclass(frozen=True)
class SearchHit:
    """One search result: the article, its score (higher is better), highlighted title and snippet."""

    article: Article
    score: float
    title_html: SafeString
    snippet_html: SafeString


def _articles() -> QuerySet[Article]:
    """Articles without their search documents (large, and only the database index needs them)."""
    return Article.objects.defer("search_title", "search_body")


def _visible_statuses(principal: Any | None) -> tuple[str, ...]:
    if principal is not None and principal.has_permission(EDIT_PERMISSION):
        return (ArticleStatus.DRAFT, ArticleStatus.PUBLISHED, ArticleStatus.ARCHIVED)
    return (ArticleStatus.PUBLISHED,)


def _language(language: str | None) -> str:
    if language in ("zh", "en"):
        return language
    return "en" if (get_language() or "").startswith("en") else "zh"


def list_articles(
    *,
    principal: Any | None = None,
    category: str = "",
    status: str = "",
    device_class: str = "",
    fault_code: str = "",
) -> QuerySet[Article]:
    """Articles a principal may read (drafts only for editors), filtered; newest change first."""
    rows = _articles().filter(status__in=_visible_statuses(principal)).select_related("author", "reviewer")
    if category:
        rows = rows.filter(category=category)
    if status:
        rows = rows.filter(status=status)
    if device_class:
        rows = rows.filter(device_classes__contains=f",{device_class},")
    if fault_code:
        rows = rows.filter(fault_codes__contains=f",{fault_code.upper()},")
    return rows.order_by("-updated_at", "code")


def get_article(*, article_id: int, principal: Any | None = None) -> Article:
    """One article the principal may read, or :class:`NotFound` (a draft is not disclosed to readers)."""
    article = (
        _articles()
        .filter(pk=article_id, status__in=_visible_statuses(principal))
        .select_related("author", "reviewer")
        .prefetch_related("attachments", "versions__author", "versions__reviewer", "diagnosis_cards")
        .first()
    )
    if article is None:
        raise NotFound("article not found")
    return article


def get_article_by_code(*, code: str, principal: Any | None = None) -> Article:
    article = Article.objects.filter(code=code).only("pk").first()
    if article is None:
        raise NotFound("article not found")
    return get_article(article_id=article.pk, principal=principal)


def _hit(article: Article, score: float, query: search.Query, language: str) -> SearchHit:
    if language == "en":
        title, body = article.title_en or article.title_zh, article.body_en or article.body_zh
    else:
        title, body = article.title_zh or article.title_en, article.body_zh or article.body_en
    return SearchHit(
        article=article,
        score=score,
        title_html=search.highlight(title, query.highlights),
        snippet_html=search.highlight(body, query.highlights, width=SNIPPET_WIDTH),
    )


def search_articles(
    *,
    query: str,
    language: str | None = None,
    limit: int = 20,
    offset: int = 0,
    principal: Any | None = None,
) -> list[SearchHit]:
    """Published articles (drafts too for editors) matching ``query`` in Chinese or English, best first.

    Chinese words are found inside longer text ("卡钞" in "钞箱卡钞故障处理"); Latin words match as
    prefixes. ``language`` ("zh"/"en") picks the text shown and, for "en", keeps articles with an
    English version; by default the active language is shown and every article is searched.
    """
    if limit < 1 or limit > 200:
        raise FieldError("limit", "limit must be between 1 and 200")
    if offset < 0:
        raise FieldError("offset", "offset must be 0 or more")
    parsed = search.parse_query(query)
    if parsed.empty:
        return []
    ranked = search.ranked_ids(
        terms=parsed.han_terms,
        prefixes=parsed.latin_prefixes,
        statuses=_visible_statuses(principal),
        language=language,
        limit=limit,
        offset=offset,
    )
    articles = _articles().in_bulk([pk for pk, _ in ranked])
    shown = _language(language)
    return [_hit(articles[pk], score, parsed, shown) for pk, score in ranked if pk in articles]


def count_search_results(*, query: str, language: str | None = None, principal: Any | None = None) -> int:
    return search.count_matches(
        query=search.parse_query(query), statuses=_visible_statuses(principal), language=language
    )


def suggest_articles(
    *, text: str, device_class: str = "", fault_code: str = "", limit: int = 5
) -> list[Article]:
    """Published articles likely to help with a new work order, best first.

    An article written for the order's fault code counts most, then text relevance (any of the
    description's words), then the device class. Emergency-manual chapters take part like any other.
    """
    scores: dict[int, float] = {}
    terms = search.keyword_terms(text)
    if terms:
        ranked = search.ranked_ids(terms=terms, any_term=True, limit=50)
        best = max((score for _, score in ranked), default=0.0) or 1.0
        for pk, score in ranked:
            scores[pk] = scores.get(pk, 0.0) + 2.0 * score / best
    published = _articles().filter(status=ArticleStatus.PUBLISHED)
    if fault_code:
        for pk in published.filter(fault_codes__contains=f",{fault_code.upper()},").values_list(
            "pk", flat=True
        ):
            scores[pk] = scores.get(pk, 0.0) + 3.0
    if device_class:
        classed = published.filter(device_classes__contains=f",{device_class},").values_list("pk", flat=True)
        for pk in classed:
            # Only a tie-breaker: a class alone says little about which article fits.
            if pk in scores:
                scores[pk] += 0.5
    best_ids = sorted(scores, key=lambda pk: (-scores[pk], pk))[:limit]
    articles = published.in_bulk(best_ids)
    return [articles[pk] for pk in best_ids if pk in articles]


def _cards() -> QuerySet[DiagnosisCard]:
    return DiagnosisCard.objects.select_related("article").prefetch_related(
        Prefetch("steps", queryset=DiagnosisStep.objects.order_by("position"))
    )


def list_diagnosis_cards(*, fault_code: str = "", device_class: str = "") -> list[DiagnosisCard]:
    """Active diagnosis cards, optionally for one fault code and device class.

    With a device class, cards for that class come first, then the class-independent ones (empty
    ``device_class``); cards for other classes are left out.
    """
    rows = _cards().filter(is_active=True)
    if fault_code:
        rows = rows.filter(fault_code=fault_code.strip().upper())
    if device_class:
        rows = rows.filter(Q(device_class=device_class) | Q(device_class=""))
    cards = list(rows)
    if device_class:
        cards.sort(key=lambda card: (card.fault_code, card.device_class != device_class, card.code))
    return cards


def get_diagnosis_card(*, card_id: int, include_inactive: bool = False) -> DiagnosisCard:
    rows = _cards() if include_inactive else _cards().filter(is_active=True)
    card = rows.filter(pk=card_id).first()
    if card is None:
        raise NotFound("diagnosis card not found")
    return card


def list_all_diagnosis_cards(*, include_inactive: bool = False, query: str = "") -> QuerySet[DiagnosisCard]:
    """Cards for the console list, optionally including retired ones and filtered by code or title."""
    rows = _cards() if include_inactive else _cards().filter(is_active=True)
    if query:
        rows = rows.filter(
            Q(fault_code__icontains=query.strip())
            | Q(title_zh__icontains=query)
            | Q(title_en__icontains=query)
        )
    return rows

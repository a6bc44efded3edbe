"""REST API of the knowledge app (mounted under /api/v1/knowledge).

Knowledge is institution-wide reference material (decision 0401), so rows carry no branch; drafts
are visible to editors only. Handlers parse, check the permission, call one service or action.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from bastion.knowledge import actions, services
from bastion.knowledge.models import Article, DiagnosisCard
from bastion.knowledge.schemas import (
    ArticleFilter,
    ArticleIn,
    ArticleOut,
    ArticlePage,
    ArticleUpdateIn,
    CardFilter,
    CardIn,
    CardOut,
    CardPage,
    CardUpdateIn,
    SearchOut,
    SearchQuery,
    SuggestionsOut,
    SuggestQuery,
)
from bastion.platform.api_helpers import ERRORS, PageQuery, page_of, principal_of, require_permission

router = Router(tags=["knowledge"])


def _user_ref(user: Any) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.pk, "username": user.username, "display_name": user.display_name}


def _summary(article: Article) -> dict[str, Any]:
    return {
        "id": article.pk,
        "code": article.code,
        "title_zh": article.title_zh,
        "title_en": article.title_en,
        "category": article.category,
        "status": article.status,
        "version": article.version,
        "device_classes": article.device_class_list,
        "fault_codes": article.fault_code_list,
        "tags": article.tag_list,
        "updated_at": article.updated_at,
    }


def _article(article: Article) -> dict[str, Any]:
    return _summary(article) | {
        "body_zh": article.body_zh,
        "body_en": article.body_en,
        "author": _user_ref(article.author),
        "reviewer": _user_ref(article.reviewer),
        "published_at": article.published_at,
        "attachments": [
            {"id": a.pk, "name": a.name, "content_type": a.content_type, "size": a.size, "sha256": a.sha256}
            for a in article.attachments.all()
        ],
        "versions": [
            {
                "number": v.number,
                "author": _user_ref(v.author),
                "reviewer": _user_ref(v.reviewer),
                "created_at": v.created_at,
                "reviewed_at": v.reviewed_at,
                "change_note": v.change_note,
            }
            for v in article.versions.all()
        ],
        "diagnosis_card_ids": [c.pk for c in article.diagnosis_cards.all()],
    }


def _card(card: DiagnosisCard) -> dict[str, Any]:
    return {
        "id": card.pk,
        "code": card.code,
        "fault_code": card.fault_code,
        "device_class": card.device_class,
        "title_zh": card.title_zh,
        "title_en": card.title_en,
        "symptom_zh": card.symptom_zh,
        "symptom_en": card.symptom_en,
        "escalation_zh": card.escalation_zh,
        "escalation_en": card.escalation_en,
        "steps": [
            {"position": s.position, "zh": s.instruction_zh, "en": s.instruction_en} for s in card.steps.all()
        ],
        "article_id": card.article_id,
        "is_active": card.is_active,
    }


@router.get("/articles", response={200: ArticlePage, **ERRORS}, summary="Articles (drafts for editors only)")
def list_articles(
    request: HttpRequest, paging: Query[PageQuery], filters: Query[ArticleFilter]
) -> dict[str, Any]:
    principal = principal_of(request)
    require_permission(principal, services.VIEW_PERMISSION)
    rows = services.list_articles(
        principal=principal,
        category=filters.category or "",
        status=filters.status or "",
        device_class=filters.device_class or "",
        fault_code=filters.fault_code or "",
    )
    return page_of(rows, paging, _summary)


@router.get("/search", response={200: SearchOut, **ERRORS}, summary="Search articles in Chinese or English")
def search(request: HttpRequest, params: Query[SearchQuery]) -> dict[str, Any]:
    principal = principal_of(request)
    require_permission(principal, services.VIEW_PERMISSION)
    hits = services.search_articles(
        query=params.q,
        language=params.language,
        limit=params.limit,
        offset=params.offset,
        principal=principal,
    )
    total = services.count_search_results(query=params.q, language=params.language, principal=principal)
    return {
        "query": params.q,
        "total": total,
        "items": [
            {
                "article": _summary(hit.article),
                "score": hit.score,
                "title_html": str(hit.title_html),
                "snippet_html": str(hit.snippet_html),
            }
            for hit in hits
        ],
    }


@router.get("/suggestions", response={200: SuggestionsOut, **ERRORS}, summary="Articles for a new work order")
def suggestions(request: HttpRequest, params: Query[SuggestQuery]) -> dict[str, Any]:
    require_permission(principal_of(request), services.VIEW_PERMISSION)
    found = services.suggest_articles(
        text=params.text, device_class=params.device_class, fault_code=params.fault_code, limit=params.limit
    )
    return {"items": [_summary(a) for a in found]}


@router.get(
    "/articles/{article_id}", response={200: ArticleOut, **ERRORS}, summary="One article with its history"
)
def get_article(request: HttpRequest, article_id: int) -> dict[str, Any]:
    principal = principal_of(request)
    require_permission(principal, services.VIEW_PERMISSION)
    return _article(services.get_article(article_id=article_id, principal=principal))


@router.post("/articles", response={201: ArticleOut, **ERRORS}, summary="Write a new article (a draft)")
def create_article(request: HttpRequest, payload: ArticleIn) -> Status[dict[str, Any]]:
    principal = principal_of(request)
    require_permission(principal, services.EDIT_PERMISSION)
    article = actions.do_create_article(**payload.dict(), actor=principal)
    return Status(201, _article(services.get_article(article_id=article.pk, principal=principal)))


@router.patch(
    "/articles/{article_id}",
    response={200: ArticleOut, **ERRORS},
    summary="Change an article (text awaits review)",
)
def update_article(request: HttpRequest, article_id: int, payload: ArticleUpdateIn) -> dict[str, Any]:
    principal = principal_of(request)
    require_permission(principal, services.EDIT_PERMISSION)
    services.get_article(article_id=article_id, principal=principal)
    data = payload.dict(exclude_unset=True)
    note = data.pop("change_note", "")
    changes = {k: v for k, v in data.items() if v is not None}
    actions.do_update_article(article_id=article_id, changes=changes, change_note=note, actor=principal)
    return _article(services.get_article(article_id=article_id, principal=principal))


@router.post(
    "/articles/{article_id}/publish",
    response={200: ArticleOut, **ERRORS},
    summary="Review and publish the pending version (a person other than its author)",
)
def publish_article(request: HttpRequest, article_id: int) -> dict[str, Any]:
    principal = principal_of(request)
    require_permission(principal, services.PUBLISH_PERMISSION)
    services.get_article(article_id=article_id, principal=principal)
    actions.do_publish_article(article_id=article_id, actor=principal)
    return _article(services.get_article(article_id=article_id, principal=principal))


@router.get("/cards", response={200: CardPage, **ERRORS}, summary="Diagnosis cards in use")
def list_cards(request: HttpRequest, paging: Query[PageQuery], filters: Query[CardFilter]) -> dict[str, Any]:
    require_permission(principal_of(request), services.VIEW_PERMISSION)
    cards = services.list_diagnosis_cards(fault_code=filters.fault_code, device_class=filters.device_class)
    start = (paging.page - 1) * paging.page_size
    return {
        "items": [_card(c) for c in cards[start : start + paging.page_size]],
        "page": paging.page,
        "page_size": paging.page_size,
        "total": len(cards),
    }


@router.get("/cards/{card_id}", response={200: CardOut, **ERRORS}, summary="One diagnosis card")
def get_card(request: HttpRequest, card_id: int) -> dict[str, Any]:
    require_permission(principal_of(request), services.VIEW_PERMISSION)
    return _card(services.get_diagnosis_card(card_id=card_id))


@router.post("/cards", response={201: CardOut, **ERRORS}, summary="Write a diagnosis card")
def create_card(request: HttpRequest, payload: CardIn) -> Status[dict[str, Any]]:
    principal = principal_of(request)
    require_permission(principal, services.CARDS_PERMISSION)
    data = payload.dict()
    steps = [(s["zh"], s["en"]) for s in data.pop("steps")]
    code = data.pop("code")
    card = actions.do_create_diagnosis_card(code=code, fields=data, steps=steps, actor=principal)
    return Status(201, _card(services.get_diagnosis_card(card_id=card.pk, include_inactive=True)))


@router.patch("/cards/{card_id}", response={200: CardOut, **ERRORS}, summary="Change a diagnosis card")
def update_card(request: HttpRequest, card_id: int, payload: CardUpdateIn) -> dict[str, Any]:
    principal = principal_of(request)
    require_permission(principal, services.CARDS_PERMISSION)
    data = payload.dict(exclude_unset=True)
    steps = data.pop("steps", None)
    is_active = data.pop("is_active", None)
    card = actions.do_update_diagnosis_card(
        card_id=card_id,
        fields={k: v for k, v in data.items() if v is not None or k == "article_id"},
        steps=[(s["zh"], s.get("en", "")) for s in steps] if steps is not None else None,
        is_active=is_active,
        actor=principal,
    )
    return _card(services.get_diagnosis_card(card_id=card.pk, include_inactive=True))

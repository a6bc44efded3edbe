"""Request and response shapes of the knowledge API (Pydantic v2 via django-ninja)."""

from __future__ import annotations

from datetime import datetime

from ninja import Schema
from pydantic import Field

from bastion.knowledge.choices import ArticleCategory


class UserRef(Schema):
    id: int
    username: str
    display_name: str


class ArticleSummaryOut(Schema):
    id: int
    code: str
    title_zh: str
    title_en: str
    category: str
    status: str
    version: int
    device_classes: list[str]
    fault_codes: list[str]
    tags: list[str]
    updated_at: datetime


class AttachmentOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    sha256: str


class VersionOut(Schema):
    number: int
    author: UserRef | None
    reviewer: UserRef | None
    created_at: datetime
    reviewed_at: datetime | None
    change_note: str


class ArticleOut(ArticleSummaryOut):
    body_zh: str
    body_en: str
    author: UserRef | None
    reviewer: UserRef | None
    published_at: datetime | None
    attachments: list[AttachmentOut]
    versions: list[VersionOut]
    diagnosis_card_ids: list[int]


class ArticlePage(Schema):
    items: list[ArticleSummaryOut]
    page: int
    page_size: int
    total: int


class SearchHitOut(Schema):
    article: ArticleSummaryOut
    score: float
    title_html: str = Field(description="The title, HTML-escaped, with matches in <mark>.")
    snippet_html: str = Field(
        description="A window of the text round the first match, escaped, matches in <mark>."
    )


class SearchOut(Schema):
    query: str
    total: int
    items: list[SearchHitOut]


class SuggestionsOut(Schema):
    items: list[ArticleSummaryOut]


class ArticleFilter(Schema):
    category: ArticleCategory | None = None
    status: str | None = Field(None, max_length=20)
    device_class: str | None = Field(None, max_length=30)
    fault_code: str | None = Field(None, max_length=60)


class SearchQuery(Schema):
    q: str = Field(..., min_length=1, max_length=200, description="Words in Chinese or English.")
    language: str | None = Field(None, pattern="^(zh|en)$")
    limit: int = Field(20, ge=1, le=100)
    offset: int = Field(0, ge=0, le=10_000)


class SuggestQuery(Schema):
    text: str = Field("", max_length=2000, description="The work order's title and symptoms.")
    device_class: str = Field("", max_length=30)
    fault_code: str = Field("", max_length=60)
    limit: int = Field(5, ge=1, le=20)


class ArticleIn(Schema):
    title_zh: str = Field(..., min_length=1, max_length=200)
    title_en: str = Field("", max_length=200)
    body_zh: str = Field("", max_length=200_000)
    body_en: str = Field("", max_length=200_000)
    category: ArticleCategory = ArticleCategory.TROUBLESHOOTING
    device_classes: list[str] = Field(default_factory=list, max_length=10)
    fault_codes: list[str] = Field(default_factory=list, max_length=20)
    tags: list[str] = Field(default_factory=list, max_length=20)
    code: str = Field("", max_length=40)
    change_note: str = Field("", max_length=300)


class ArticleUpdateIn(Schema):
    title_zh: str | None = Field(None, min_length=1, max_length=200)
    title_en: str | None = Field(None, max_length=200)
    body_zh: str | None = Field(None, max_length=200_000)
    body_en: str | None = Field(None, max_length=200_000)
    category: ArticleCategory | None = None
    device_classes: list[str] | None = Field(None, max_length=10)
    fault_codes: list[str] | None = Field(None, max_length=20)
    tags: list[str] | None = Field(None, max_length=20)
    change_note: str = Field("", max_length=300)


class StepIn(Schema):
    zh: str = Field(..., min_length=1, max_length=2000)
    en: str = Field("", max_length=2000)


class StepOut(Schema):
    position: int
    zh: str
    en: str


class CardOut(Schema):
    id: int
    code: str
    fault_code: str
    device_class: str
    title_zh: str
    title_en: str
    symptom_zh: str
    symptom_en: str
    escalation_zh: str
    escalation_en: str
    steps: list[StepOut]
    article_id: int | None
    is_active: bool


class CardPage(Schema):
    items: list[CardOut]
    page: int
    page_size: int
    total: int


class CardFilter(Schema):
    fault_code: str = Field("", max_length=60)
    device_class: str = Field("", max_length=30)


class CardIn(Schema):
    code: str = Field(..., min_length=2, max_length=40)
    fault_code: str = Field(..., min_length=2, max_length=40)
    device_class: str = Field("", max_length=30)
    title_zh: str = Field(..., min_length=1, max_length=200)
    title_en: str = Field("", max_length=200)
    symptom_zh: str = Field("", max_length=5000)
    symptom_en: str = Field("", max_length=5000)
    escalation_zh: str = Field("", max_length=5000)
    escalation_en: str = Field("", max_length=5000)
    article_id: int | None = None
    steps: list[StepIn] = Field(..., min_length=1, max_length=50)


class CardUpdateIn(Schema):
    fault_code: str | None = Field(None, min_length=2, max_length=40)
    device_class: str | None = Field(None, max_length=30)
    title_zh: str | None = Field(None, min_length=1, max_length=200)
    title_en: str | None = Field(None, max_length=200)
    symptom_zh: str | None = Field(None, max_length=5000)
    symptom_en: str | None = Field(None, max_length=5000)
    escalation_zh: str | None = Field(None, max_length=5000)
    escalation_en: str | None = Field(None, max_length=5000)
    article_id: int | None = None
    steps: list[StepIn] | None = Field(None, min_length=1, max_length=50)
    is_active: bool | None = None

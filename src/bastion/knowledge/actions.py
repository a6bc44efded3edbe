"""Writes of the knowledge base: articles with reviewed versions, attachments, diagnosis cards.

Every action is atomic, records its audit event in the same transaction and keeps the search index
in step before the transaction commits. Text changes to a published article wait as a pending
version until a second person reviews and publishes it (four eyes on field procedures, decision 0402).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bastion.audit.actions import record_event
from bastion.knowledge import search
from bastion.knowledge.choices import ArticleCategory, ArticleStatus
from bastion.knowledge.models import (
    Article,
    ArticleAttachment,
    ArticleVersion,
    DiagnosisCard,
    DiagnosisStep,
    join_codes,
    split_codes,
)
from bastion.knowledge.services import CARDS_PERMISSION, EDIT_PERMISSION, PUBLISH_PERMISSION
from bastion.platform.errors import Conflict, FieldError, NotFound, PermissionDenied
from bastion.platform.uploads import validate_upload

TEXT_FIELDS = ("title_zh", "title_en", "body_zh", "body_en")
META_FIELDS = ("category", "device_classes", "fault_codes", "tags")
_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{1,39}$")
ATTACHMENT_KINDS = {"pdf", "png", "jpeg"}


def _require(actor: Any, code: str) -> None:
    if actor is not None and not actor.has_permission(code):
        raise PermissionDenied(_("You lack the permission %(code)s.") % {"code": code})


def _same_person(a: Any, b_id: int | None) -> bool:
    return a is not None and b_id is not None and getattr(a, "pk", None) == b_id


def _user_or_none(actor: Any) -> Any:
    """The person behind an actor: the user, or the owner of an API token (versions name a person)."""
    from bastion.identity.models import ApiToken, User

    if isinstance(actor, ApiToken):
        return actor.owner
    return actor if isinstance(actor, User) else None


def _clean_codes(field: str, values: Sequence[str] | str, *, upper: bool) -> str:
    items = split_codes(values.replace(" ", ",")) if isinstance(values, str) else list(values)
    items = [v.strip().upper() if upper else v.strip() for v in items if v and v.strip()]
    if any(len(v) > 60 for v in items):
        raise FieldError(field, _("Each entry has at most 60 characters."))
    return join_codes(items)


def _clean_meta(changes: dict[str, Any]) -> dict[str, Any]:
    from bastion.devices.choices import DeviceClass

    out: dict[str, Any] = {}
    if "category" in changes:
        if changes["category"] not in ArticleCategory.values:
            raise FieldError("category", _("Unknown category."))
        out["category"] = changes["category"]
    if "device_classes" in changes:
        value = _clean_codes("device_classes", changes["device_classes"], upper=False)
        unknown = set(split_codes(value)) - set(DeviceClass.values)
        if unknown:
            raise FieldError(
                "device_classes", _("Unknown device class: %(code)s.") % {"code": sorted(unknown)[0]}
            )
        out["device_classes"] = value
    if "fault_codes" in changes:
        out["fault_codes"] = _clean_codes("fault_codes", changes["fault_codes"], upper=True)
    if "tags" in changes:
        out["tags"] = _clean_codes("tags", changes["tags"], upper=False)
    return out


def _clean_text(changes: dict[str, Any], *, creating: bool) -> dict[str, str]:
    out = {name: str(changes[name]).strip() for name in TEXT_FIELDS if name in changes}
    if (creating or "title_zh" in out) and not out.get("title_zh"):
        raise FieldError("title_zh", _("A Chinese title is required."))
    for name in ("title_zh", "title_en"):
        if len(out.get(name, "")) > 200:
            raise FieldError(name, _("At most 200 characters."))
    return out


def _snapshot(article: Article) -> dict[str, Any]:
    return {
        "code": article.code,
        "status": article.status,
        "version": article.version,
        "category": article.category,
        "title_zh": article.title_zh,
        "title_en": article.title_en,
        "device_classes": article.device_classes,
        "fault_codes": article.fault_codes,
        "tags": article.tags,
    }


def reindex(article: Article) -> None:
    """Rewrite the search document of an article from its current text and metadata (same transaction)."""
    classes = " ".join(article.device_class_list)
    article.search_title = search.document_terms(article.title_zh, article.title_en)
    article.search_body = search.document_terms(
        article.body_zh, article.body_en, article.fault_codes, article.tags, classes
    )
    Article.objects.filter(pk=article.pk).update(
        search_title=article.search_title, search_body=article.search_body
    )
    search.index_article(
        article.pk,
        title=article.search_title,
        body=article.search_body,
        status=article.status,
        has_english=bool(article.title_en),
    )


def _next_code() -> str:
    last = (
        Article.objects.filter(code__startswith="KB-")
        .order_by("-code")
        .values_list("code", flat=True)
        .first()
    )
    number = int(last[3:]) + 1 if last and last[3:].isdigit() else 1
    return f"KB-{number:05d}"


def do_create_article(
    *,
    title_zh: str,
    body_zh: str = "",
    title_en: str = "",
    body_en: str = "",
    category: str = ArticleCategory.TROUBLESHOOTING,
    device_classes: Sequence[str] | str = (),
    fault_codes: Sequence[str] | str = (),
    tags: Sequence[str] | str = (),
    code: str = "",
    change_note: str = "",
    actor: Any,
) -> Article:
    """Write a new article as a draft (version 1, pending review)."""
    _require(actor, EDIT_PERMISSION)
    text = _clean_text(
        {"title_zh": title_zh, "title_en": title_en, "body_zh": body_zh, "body_en": body_en}, creating=True
    )
    meta = _clean_meta(
        {"category": category, "device_classes": device_classes, "fault_codes": fault_codes, "tags": tags}
    )
    code = code.strip().upper()
    if code and not _CODE.match(code):
        raise FieldError("code", _("Use 2-40 capital letters, digits, '-' or '_'."))
    with transaction.atomic():
        code = code or _next_code()
        if Article.objects.filter(code=code).exists():
            raise Conflict(_("The code %(code)s is taken.") % {"code": code}, code="code_taken")
        author = _user_or_none(actor)
        article = Article.objects.create(code=code, author=author, status=ArticleStatus.DRAFT, **text, **meta)
        ArticleVersion.objects.create(
            article=article, number=1, author=author, change_note=change_note, **text
        )
        reindex(article)
        record_event(action="knowledge.article_created", actor=actor, obj=article, after=_snapshot(article))
    return article


def _pending_version(article: Article) -> ArticleVersion | None:
    latest = article.versions.order_by("-number").first()
    return latest if latest is not None and latest.reviewed_at is None else None


def do_update_article(
    *, article_id: int, changes: dict[str, Any], change_note: str = "", actor: Any
) -> Article:
    """Change an article. Metadata changes apply at once; text changes become (or amend) a pending version.

    A draft shows its newest text directly; a published article keeps showing the reviewed text until
    the pending version is published by someone other than its author.
    """
    _require(actor, EDIT_PERMISSION)
    unknown = set(changes) - set(TEXT_FIELDS) - set(META_FIELDS)
    if unknown:
        raise FieldError(sorted(unknown)[0], _("This field cannot be changed here."))
    text = _clean_text(changes, creating=False)
    meta = _clean_meta(changes)
    with transaction.atomic():
        article = Article.objects.select_for_update().filter(pk=article_id).first()
        if article is None:
            raise NotFound("article not found")
        if article.status == ArticleStatus.ARCHIVED:
            raise Conflict(_("An archived article cannot be changed."), code="archived")
        before = _snapshot(article)
        for name, value in meta.items():
            setattr(article, name, value)
        if text:
            pending = _pending_version(article)
            author = _user_or_none(actor)
            if pending is None:
                current = {name: getattr(article, name) for name in TEXT_FIELDS}
                number = (
                    article.versions.order_by("-number").values_list("number", flat=True).first() or 0
                ) + 1
                pending = ArticleVersion(article=article, number=number, **current)
            for name, value in text.items():
                setattr(pending, name, value)
            # The last writer is the author the reviewer must differ from.
            pending.author = author
            pending.change_note = change_note or pending.change_note
            pending.save()
            if article.status == ArticleStatus.DRAFT:
                for name, value in text.items():
                    setattr(article, name, value)
                article.author = author
        article.save()
        reindex(article)
        record_event(
            action="knowledge.article_updated",
            actor=actor,
            obj=article,
            before=before,
            after=_snapshot(article),
            extra={"text_changed": sorted(text), "change_note": change_note},
        )
    return article


def do_publish_article(*, article_id: int, actor: Any) -> Article:
    """Review and publish the pending version of an article; the reviewer is never its author."""
    _require(actor, PUBLISH_PERMISSION)
    from bastion.identity.models import User

    reviewer = actor if isinstance(actor, User) else None
    if reviewer is None:
        raise PermissionDenied(_("Only a person reviews and publishes articles."), code="person_required")
    with transaction.atomic():
        article = Article.objects.select_for_update().filter(pk=article_id).first()
        if article is None:
            raise NotFound("article not found")
        pending = _pending_version(article)
        if pending is None:
            raise Conflict(_("There is no version waiting for review."), code="nothing_to_publish")
        if _same_person(reviewer, pending.author_id):
            raise PermissionDenied(
                _("The author of a version cannot review it; ask another editor."), code="four_eyes"
            )
        before = _snapshot(article)
        now = timezone.now()
        pending.reviewer, pending.reviewed_at = reviewer, now
        pending.save(update_fields=["reviewer", "reviewed_at"])
        for name in TEXT_FIELDS:
            setattr(article, name, getattr(pending, name))
        article.version = pending.number
        article.author_id = pending.author_id
        article.reviewer = reviewer
        article.status = ArticleStatus.PUBLISHED
        article.published_at = now
        article.save()
        reindex(article)
        record_event(
            action="knowledge.article_published",
            actor=actor,
            obj=article,
            before=before,
            after=_snapshot(article),
            extra={"version": pending.number},
        )
    return article


def do_archive_article(*, article_id: int, reason: str, actor: Any) -> Article:
    """Withdraw an article from search and suggestions; it stays readable to editors with its history."""
    _require(actor, PUBLISH_PERMISSION)
    if not reason.strip():
        raise FieldError("reason", _("Say why the article is withdrawn."))
    with transaction.atomic():
        article = Article.objects.select_for_update().filter(pk=article_id).first()
        if article is None:
            raise NotFound("article not found")
        before = _snapshot(article)
        article.status = ArticleStatus.ARCHIVED
        article.save()
        reindex(article)
        record_event(
            action="knowledge.article_archived",
            actor=actor,
            obj=article,
            before=before,
            after=_snapshot(article),
            extra={"reason": reason.strip()},
        )
    return article


def do_add_attachment(*, article_id: int, upload: Any, actor: Any) -> ArticleAttachment:
    """Attach a PDF or image to an article after checking what the file really is."""
    _require(actor, EDIT_PERMISSION)
    kind = validate_upload(upload, allowed=ATTACHMENT_KINDS, field="file")
    upload.seek(0)
    content = upload.read()
    digest = hashlib.sha256(content).hexdigest()
    name = (
        re.sub(r"[^\w.\-\u4e00-\u9fff]+", "_", getattr(upload, "name", "attachment"))[-150:] or "attachment"
    )
    content_type = {"pdf": "application/pdf", "png": "image/png", "jpeg": "image/jpeg"}[kind]
    with transaction.atomic():
        article = Article.objects.select_for_update().filter(pk=article_id).first()
        if article is None:
            raise NotFound("article not found")
        attachment = ArticleAttachment(
            article=article,
            name=name,
            content_type=content_type,
            size=len(content),
            sha256=digest,
            uploaded_by=_user_or_none(actor),
        )
        attachment.file.save(name, ContentFile(content), save=False)
        attachment.save()
        record_event(
            action="knowledge.attachment_added",
            actor=actor,
            obj=article,
            after={"name": name, "size": len(content), "sha256": digest, "content_type": content_type},
        )
    return attachment


# --- diagnosis cards ---------------------------------------------------------------------------------
CARD_FIELDS = (
    "fault_code",
    "device_class",
    "title_zh",
    "title_en",
    "symptom_zh",
    "symptom_en",
    "escalation_zh",
    "escalation_en",
    "article_id",
)


def _card_snapshot(card: DiagnosisCard) -> dict[str, Any]:
    data = {name: getattr(card, name) for name in CARD_FIELDS}
    data["steps"] = [[s.instruction_zh, s.instruction_en] for s in card.steps.order_by("position")]
    data["is_active"] = card.is_active
    return data


def _clean_card(fields: dict[str, Any], steps: Sequence[tuple[str, str]]) -> dict[str, Any]:
    from bastion.devices.choices import DeviceClass

    unknown = set(fields) - set(CARD_FIELDS)
    if unknown:
        raise FieldError(sorted(unknown)[0], _("This field cannot be changed here."))
    out = {k: (v.strip() if isinstance(v, str) else v) for k, v in fields.items()}
    if "fault_code" in out:
        out["fault_code"] = str(out["fault_code"]).upper()
        if not _CODE.match(out["fault_code"]):
            raise FieldError("fault_code", _("Use 2-40 capital letters, digits, '-' or '_'."))
    if out.get("device_class") and out["device_class"] not in DeviceClass.values:
        raise FieldError("device_class", _("Unknown device class: %(code)s.") % {"code": out["device_class"]})
    if "title_zh" in out and not out["title_zh"]:
        raise FieldError("title_zh", _("A Chinese title is required."))
    if out.get("article_id") and not Article.objects.filter(pk=out["article_id"]).exists():
        raise FieldError("article_id", _("Unknown article."))
    if not steps or any(not zh.strip() for zh, _en in steps):
        raise FieldError("steps", _("A card has at least one step, each with a Chinese instruction."))
    return out


def _write_steps(card: DiagnosisCard, steps: Sequence[tuple[str, str]]) -> None:
    card.steps.all().delete()
    DiagnosisStep.objects.bulk_create(
        DiagnosisStep(card=card, position=i, instruction_zh=zh.strip(), instruction_en=en.strip())
        for i, (zh, en) in enumerate(steps, start=1)
    )


def do_create_diagnosis_card(
    *, code: str, fields: dict[str, Any], steps: Sequence[tuple[str, str]], actor: Any
) -> DiagnosisCard:
    """Write a diagnosis card for a fault code with its ordered steps."""
    _require(actor, CARDS_PERMISSION)
    code = code.strip().upper()
    if not _CODE.match(code):
        raise FieldError("code", _("Use 2-40 capital letters, digits, '-' or '_'."))
    if not fields.get("fault_code"):
        raise FieldError("fault_code", _("A fault code is required."))
    if not fields.get("title_zh"):
        raise FieldError("title_zh", _("A Chinese title is required."))
    cleaned = _clean_card(fields, steps)
    with transaction.atomic():
        if DiagnosisCard.objects.filter(code=code).exists():
            raise Conflict(_("The code %(code)s is taken.") % {"code": code}, code="code_taken")
        card = DiagnosisCard.objects.create(code=code, updated_by=_user_or_none(actor), **cleaned)
        _write_steps(card, steps)
        record_event(action="knowledge.card_created", actor=actor, obj=card, after=_card_snapshot(card))
    return card


def do_update_diagnosis_card(
    *,
    card_id: int,
    fields: dict[str, Any],
    steps: Sequence[tuple[str, str]] | None = None,
    is_active: bool | None = None,
    actor: Any,
) -> DiagnosisCard:
    """Change a card's text, steps (replaced as a whole, in order) or whether it is in use."""
    _require(actor, CARDS_PERMISSION)
    with transaction.atomic():
        card = DiagnosisCard.objects.select_for_update().filter(pk=card_id).first()
        if card is None:
            raise NotFound("diagnosis card not found")
        current_steps = [(s.instruction_zh, s.instruction_en) for s in card.steps.order_by("position")]
        cleaned = _clean_card(fields, steps if steps is not None else current_steps)
        before = _card_snapshot(card)
        for name, value in cleaned.items():
            setattr(card, name, value)
        if is_active is not None:
            card.is_active = is_active
        card.updated_by = _user_or_none(actor)
        card.save()
        if steps is not None:
            _write_steps(card, steps)
        record_event(
            action="knowledge.card_updated", actor=actor, obj=card, before=before, after=_card_snapshot(card)
        )
    return card

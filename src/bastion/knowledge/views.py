"""Console pages of the knowledge base: search and list, article page and editor, diagnosis cards.

Thin handlers: parse, check the permission, call one service or action, render.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from bastion.knowledge import actions, services
from bastion.knowledge.forms import (
    ArchiveForm,
    ArticleFilterForm,
    ArticleForm,
    AttachmentForm,
    CardFilterForm,
    DiagnosisCardForm,
)
from bastion.knowledge.models import Article, ArticleAttachment
from bastion.platform.errors import DomainError, NotFound
from bastion.platform.pagination import Page
from bastion.web.http import apply_domain_error, console_view, page_of, render_results

SEARCH_PAGE_SIZE = 20


def _crumbs(*extra: tuple[str, str]) -> list[tuple[str, str]]:
    return [(_("Knowledge base"), reverse("knowledge:articles")), *extra]


def _page_number(request: HttpRequest) -> int:
    try:
        return max(1, int(request.GET.get("page", "1")))
    except ValueError:
        return 1


@console_view("knowledge.view")
def articles(request: HttpRequest) -> HttpResponse:
    user = request.user
    may_edit = user.has_permission(services.EDIT_PERMISSION)  # type: ignore[union-attr]
    form = ArticleFilterForm(request.GET or None, may_edit=may_edit)
    data = form.cleaned_data if form.is_valid() else {}
    query = (data.get("q") or "").strip()
    context: dict[str, Any] = {"form": form, "may_edit": may_edit, "query": query}
    if query:
        number = _page_number(request)
        hits = services.search_articles(
            query=query, limit=SEARCH_PAGE_SIZE, offset=(number - 1) * SEARCH_PAGE_SIZE, principal=user
        )
        total = services.count_search_results(query=query, principal=user)
        context["hits"] = hits
        context["page"] = Page(items=hits, page=number, page_size=SEARCH_PAGE_SIZE, total=total)
    else:
        rows = services.list_articles(
            principal=user,
            category=data.get("category", ""),
            device_class=data.get("device_class", ""),
            status=data.get("status", ""),
        )
        context["page"] = page_of(request, rows)
    return render_results(request, "knowledge/article_list.html", "knowledge/_article_results.html", context)


@console_view("knowledge.view")
def article_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    article = services.get_article(article_id=pk, principal=user)
    versions = list(article.versions.all())
    pending = versions[0] if versions and versions[0].reviewed_at is None else None
    context = {
        "article": article,
        "versions": versions,
        "pending": pending,
        "cards": [c for c in article.diagnosis_cards.all() if c.is_active],
        "may_edit": user.has_permission(services.EDIT_PERMISSION),  # type: ignore[union-attr]
        "may_publish": user.has_permission(services.PUBLISH_PERMISSION)  # type: ignore[union-attr]
        and pending is not None
        and pending.author_id != user.pk,
        "may_archive": user.has_permission(services.PUBLISH_PERMISSION),  # type: ignore[union-attr]
        "archive_form": ArchiveForm(),
        "attachment_form": AttachmentForm(),
        "breadcrumbs": _crumbs((article.code, "")),
    }
    return render(request, "knowledge/article_detail.html", context)


def _article_initial(article: Article) -> dict[str, Any]:
    pending = article.versions.order_by("-number").first()
    source: Any = pending if pending is not None and pending.reviewed_at is None else article
    return {
        "title_zh": source.title_zh,
        "title_en": source.title_en,
        "body_zh": source.body_zh,
        "body_en": source.body_en,
        "category": article.category,
        "device_classes": article.device_class_list,
        "fault_codes": ", ".join(article.fault_code_list),
        "tags": ", ".join(article.tag_list),
    }


@console_view("knowledge.edit_articles")
def article_create(request: HttpRequest) -> HttpResponse:
    form = ArticleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            article = actions.do_create_article(
                title_zh=data["title_zh"],
                title_en=data["title_en"],
                body_zh=data["body_zh"],
                body_en=data["body_en"],
                category=data["category"],
                device_classes=data["device_classes"],
                fault_codes=data["fault_codes"],
                tags=data["tags"],
                change_note=data["change_note"],
                actor=request.user,
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Draft saved. Another editor reviews and publishes it."))
            return redirect("knowledge:article_detail", pk=article.pk)
    context = {"form": form, "breadcrumbs": _crumbs((_("New article"), ""))}
    return render(request, "knowledge/article_form.html", context)


@console_view("knowledge.edit_articles")
def article_edit(request: HttpRequest, pk: int) -> HttpResponse:
    article = services.get_article(article_id=pk, principal=request.user)
    form = ArticleForm(request.POST or None, initial=_article_initial(article))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        changes = {name: data[name] for name in actions.TEXT_FIELDS + actions.META_FIELDS}
        try:
            actions.do_update_article(
                article_id=article.pk, changes=changes, change_note=data["change_note"], actor=request.user
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Changes saved as a version waiting for review."))
            return redirect("knowledge:article_detail", pk=article.pk)
    context = {
        "form": form,
        "article": article,
        "breadcrumbs": _crumbs(
            (article.code, reverse("knowledge:article_detail", args=[article.pk])), (_("Edit"), "")
        ),
    }
    return render(request, "knowledge/article_form.html", context)


@require_POST
@console_view("knowledge.publish_articles")
def article_publish(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        article = actions.do_publish_article(article_id=pk, actor=request.user)
    except NotFound:
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Version %(number)s published.") % {"number": article.version})
    return redirect("knowledge:article_detail", pk=pk)


@require_POST
@console_view("knowledge.publish_articles")
def article_archive(request: HttpRequest, pk: int) -> HttpResponse:
    form = ArchiveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the article is withdrawn."))
        return redirect("knowledge:article_detail", pk=pk)
    try:
        actions.do_archive_article(article_id=pk, reason=form.cleaned_data["reason"], actor=request.user)
    except NotFound:
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The article was withdrawn."))
    return redirect("knowledge:article_detail", pk=pk)


@require_POST
@console_view("knowledge.edit_articles")
def attachment_add(request: HttpRequest, pk: int) -> HttpResponse:
    services.get_article(article_id=pk, principal=request.user)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            actions.do_add_attachment(article_id=pk, upload=form.cleaned_data["file"], actor=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Attachment added."))
    else:
        messages.error(request, _("Choose a file."))
    return redirect("knowledge:article_detail", pk=pk)


@console_view("knowledge.view")
def attachment_download(request: HttpRequest, pk: int, attachment_id: int) -> Any:
    article = services.get_article(article_id=pk, principal=request.user)
    attachment = ArticleAttachment.objects.filter(pk=attachment_id, article=article).first()
    if attachment is None:
        raise NotFound("attachment not found")
    response = FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.name)
    response["Content-Type"] = attachment.content_type
    return response


# --- diagnosis cards ---------------------------------------------------------------------------------
@console_view("knowledge.view")
def cards(request: HttpRequest) -> HttpResponse:
    form = CardFilterForm(request.GET or None)
    query = form.cleaned_data.get("q", "") if form.is_valid() else ""
    may_manage = request.user.has_permission(services.CARDS_PERMISSION)  # type: ignore[union-attr]
    rows = services.list_all_diagnosis_cards(include_inactive=may_manage, query=query)
    context = {
        "form": form,
        "page": page_of(request, rows),
        "may_manage": may_manage,
        "breadcrumbs": _crumbs((_("Diagnosis cards"), "")),
    }
    return render_results(request, "knowledge/card_list.html", "knowledge/_card_results.html", context)


@console_view("knowledge.view")
def card_detail(request: HttpRequest, pk: int) -> HttpResponse:
    may_manage = request.user.has_permission(services.CARDS_PERMISSION)  # type: ignore[union-attr]
    card = services.get_diagnosis_card(card_id=pk, include_inactive=may_manage)
    context = {
        "card": card,
        "may_manage": may_manage,
        "breadcrumbs": _crumbs((_("Diagnosis cards"), reverse("knowledge:cards")), (card.code, "")),
    }
    return render(request, "knowledge/card_detail.html", context)


def _card_fields(data: dict[str, Any]) -> dict[str, Any]:
    article_id = None
    if data.get("article_code"):
        article_id = (
            Article.objects.filter(code=data["article_code"].strip().upper())
            .values_list("pk", flat=True)
            .first()
        )
        if article_id is None:
            raise DomainError(_("Unknown article."), fields={"article_code": [_("Unknown article.")]})
    names = ("fault_code", "device_class", "title_zh", "title_en", "symptom_zh", "symptom_en")
    fields = {name: data[name] for name in names}
    fields |= {
        "escalation_zh": data["escalation_zh"],
        "escalation_en": data["escalation_en"],
        "article_id": article_id,
    }
    return fields


@console_view("knowledge.manage_cards")
def card_create(request: HttpRequest) -> HttpResponse:
    form = DiagnosisCardForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            card = actions.do_create_diagnosis_card(
                code=data["code"], fields=_card_fields(data), steps=data["steps"], actor=request.user
            )
        except DomainError as exc:
            apply_domain_error(form, exc, {"steps": "steps_zh", "article_id": "article_code"})
        else:
            messages.success(request, _("Diagnosis card saved."))
            return redirect("knowledge:card_detail", pk=card.pk)
    context = {
        "form": form,
        "breadcrumbs": _crumbs((_("Diagnosis cards"), reverse("knowledge:cards")), (_("New card"), "")),
    }
    return render(request, "knowledge/card_form.html", context)


@console_view("knowledge.manage_cards")
def card_edit(request: HttpRequest, pk: int) -> HttpResponse:
    card = services.get_diagnosis_card(card_id=pk, include_inactive=True)
    steps = card.ordered_steps
    initial = {
        "code": card.code,
        "fault_code": card.fault_code,
        "device_class": card.device_class,
        "title_zh": card.title_zh,
        "title_en": card.title_en,
        "symptom_zh": card.symptom_zh,
        "symptom_en": card.symptom_en,
        "steps_zh": "\n".join(s.instruction_zh for s in steps),
        "steps_en": "\n".join(s.instruction_en for s in steps)
        if all(s.instruction_en for s in steps)
        else "",
        "escalation_zh": card.escalation_zh,
        "escalation_en": card.escalation_en,
        "article_code": card.article.code if card.article else "",
        "is_active": card.is_active,
    }
    form = DiagnosisCardForm(request.POST or None, initial=initial)
    form.fields["code"].disabled = True
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.do_update_diagnosis_card(
                card_id=card.pk,
                fields=_card_fields(data),
                steps=data["steps"],
                is_active=data["is_active"],
                actor=request.user,
            )
        except DomainError as exc:
            apply_domain_error(form, exc, {"steps": "steps_zh", "article_id": "article_code"})
        else:
            messages.success(request, _("Diagnosis card saved."))
            return redirect("knowledge:card_detail", pk=card.pk)
    crumbs = _crumbs(
        (_("Diagnosis cards"), reverse("knowledge:cards")),
        (card.code, reverse("knowledge:card_detail", args=[card.pk])),
        (_("Edit"), ""),
    )
    return render(request, "knowledge/card_form.html", {"form": form, "card": card, "breadcrumbs": crumbs})

"""Articles with versions and attachments, diagnosis cards with ordered steps.

Knowledge is institution-level reference material: every member of staff reads the same published
articles, so these models carry no branch (see docs/decisions/0401-knowledge-institution-wide.md).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from bastion.knowledge.choices import ArticleCategory, ArticleStatus


def _english() -> bool:
    return (get_language() or "").startswith("en")


def split_codes(value: str) -> list[str]:
    """The entries of a delimited code list such as ``",atm,kiosk,"``."""
    return [part for part in value.split(",") if part]


def join_codes(values: list[str] | tuple[str, ...]) -> str:
    """Store a code list delimited on both ends, so ``contains=",atm,"`` matches whole codes only."""
    cleaned = sorted({v.strip() for v in values if v and v.strip()})
    return f",{','.join(cleaned)}," if cleaned else ""


def device_class_label(code: str) -> str:
    """The translated name of a device class code (the code itself if unknown)."""
    from bastion.devices.choices import DeviceClass

    try:
        return str(DeviceClass(code).label)
    except ValueError:
        return code


class Article(models.Model):
    """A knowledge article in Chinese and English; the current text, with history in versions.

    ``search_title`` and ``search_body`` hold the segmented search document (see ``search.py``),
    rewritten in the same transaction as every change of the text.
    """

    code = models.CharField(_("code"), max_length=40, unique=True)
    title_zh = models.CharField(_("Chinese title"), max_length=200)
    title_en = models.CharField(_("English title"), max_length=200, blank=True)
    body_zh = models.TextField(_("Chinese text"), blank=True)
    body_en = models.TextField(_("English text"), blank=True)
    category = models.CharField(
        _("category"), max_length=30, choices=ArticleCategory.choices, default=ArticleCategory.TROUBLESHOOTING
    )
    # Delimited lists (",atm,kiosk,") so one query works on SQLite and PostgreSQL alike.
    device_classes = models.CharField(_("device classes"), max_length=300, blank=True)
    fault_codes = models.CharField(_("fault codes"), max_length=500, blank=True)
    tags = models.CharField(_("tags"), max_length=500, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=ArticleStatus.choices, default=ArticleStatus.DRAFT
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    search_title = models.TextField(blank=True, editable=False)
    search_body = models.TextField(blank=True, editable=False)

    class Meta:
        ordering = ["code"]
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        indexes = [models.Index(fields=["status", "category"])]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def title(self) -> str:
        return (self.title_en or self.title_zh) if _english() else (self.title_zh or self.title_en)

    @property
    def body(self) -> str:
        return (self.body_en or self.body_zh) if _english() else (self.body_zh or self.body_en)

    @property
    def device_class_list(self) -> list[str]:
        return split_codes(self.device_classes)

    @property
    def device_class_labels(self) -> list[str]:
        return [device_class_label(code) for code in self.device_class_list]

    @property
    def fault_code_list(self) -> list[str]:
        return split_codes(self.fault_codes)

    @property
    def tag_list(self) -> list[str]:
        return split_codes(self.tags)


class ArticleVersion(models.Model):
    """One saved state of an article's text: who wrote it, who reviewed and published it, and why."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    title_zh = models.CharField(_("Chinese title"), max_length=200)
    title_en = models.CharField(_("English title"), max_length=200, blank=True)
    body_zh = models.TextField(_("Chinese text"), blank=True)
    body_en = models.TextField(_("English text"), blank=True)
    change_note = models.CharField(_("change note"), max_length=300, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)

    class Meta:
        ordering = ["article", "-number"]
        constraints = [models.UniqueConstraint(fields=["article", "number"], name="knowledge_version_unique")]
        verbose_name = _("article version")
        verbose_name_plural = _("article versions")

    def __str__(self) -> str:
        return f"{self.article.code} v{self.number}"


def _attachment_path(instance: ArticleAttachment, filename: str) -> str:
    return f"knowledge/{instance.article_id}/{instance.sha256[:16]}-{filename}"


class ArticleAttachment(models.Model):
    """A file attached to an article (wiring diagram, photo, PDF manual), checked on upload."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to=_attachment_path, max_length=300)
    name = models.CharField(_("name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        ordering = ["article", "name"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.name


class DiagnosisCard(models.Model):
    """A quick fault-diagnosis card (快速故障诊断卡) for one fault code, optionally one device class.

    ``fault_code`` is the plain string the devices app raises (not a foreign key), so cards can be
    written before a code is first seen. A card with an empty ``device_class`` applies to every class.
    """

    code = models.CharField(_("code"), max_length=40, unique=True)
    fault_code = models.CharField(_("fault code"), max_length=60, db_index=True)
    device_class = models.CharField(_("device class"), max_length=30, blank=True, db_index=True)
    title_zh = models.CharField(_("Chinese title"), max_length=200)
    title_en = models.CharField(_("English title"), max_length=200, blank=True)
    symptom_zh = models.TextField(_("Chinese symptom"), blank=True)
    symptom_en = models.TextField(_("English symptom"), blank=True)
    escalation_zh = models.TextField(_("Chinese escalation advice"), blank=True)
    escalation_en = models.TextField(_("English escalation advice"), blank=True)
    article = models.ForeignKey(
        Article, on_delete=models.SET_NULL, null=True, blank=True, related_name="diagnosis_cards"
    )
    is_active = models.BooleanField(_("active"), default=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["fault_code", "device_class", "code"]
        verbose_name = _("diagnosis card")
        verbose_name_plural = _("diagnosis cards")

    def __str__(self) -> str:
        return f"{self.fault_code} {self.title}"

    @property
    def title(self) -> str:
        return (self.title_en or self.title_zh) if _english() else (self.title_zh or self.title_en)

    @property
    def symptom(self) -> str:
        return (self.symptom_en or self.symptom_zh) if _english() else (self.symptom_zh or self.symptom_en)

    @property
    def escalation(self) -> str:
        if _english():
            return self.escalation_en or self.escalation_zh
        return self.escalation_zh or self.escalation_en

    @property
    def device_class_label(self) -> str:
        return device_class_label(self.device_class) if self.device_class else ""

    @property
    def ordered_steps(self) -> list[DiagnosisStep]:
        return list(self.steps.all())


class DiagnosisStep(models.Model):
    """One ordered step of a diagnosis card: what to check or do, and what the result means."""

    card = models.ForeignKey(DiagnosisCard, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(_("position"))
    instruction_zh = models.TextField(_("Chinese instruction"))
    instruction_en = models.TextField(_("English instruction"), blank=True)

    class Meta:
        ordering = ["card", "position"]
        constraints = [models.UniqueConstraint(fields=["card", "position"], name="knowledge_step_unique")]
        verbose_name = _("diagnosis step")
        verbose_name_plural = _("diagnosis steps")

    def __str__(self) -> str:
        return f"{self.card.code} #{self.position}"

    @property
    def instruction(self) -> str:
        if _english():
            return self.instruction_en or self.instruction_zh
        return self.instruction_zh or self.instruction_en

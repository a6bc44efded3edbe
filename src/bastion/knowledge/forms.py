"""Console forms of the knowledge app: search filters, the article editor, the diagnosis-card editor."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from bastion.devices.choices import DeviceClass
from bastion.knowledge.choices import ArticleCategory, ArticleStatus


class ArticleFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    category = forms.ChoiceField(
        label=_("Category"), required=False, choices=[("", _("All categories")), *ArticleCategory.choices]
    )
    device_class = forms.ChoiceField(
        label=_("Device class"), required=False, choices=[("", _("All device classes")), *DeviceClass.choices]
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *ArticleStatus.choices]
    )

    def __init__(self, *args: Any, may_edit: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs.update(
            {"type": "search", "placeholder": _("e.g. 卡钞, cash jam, LINK_DOWN")}
        )
        if not may_edit:
            del self.fields["status"]


class ArticleForm(forms.Form):
    title_zh = forms.CharField(label=_("Chinese title"), max_length=200)
    title_en = forms.CharField(label=_("English title"), max_length=200, required=False)
    category = forms.ChoiceField(label=_("Category"), choices=ArticleCategory.choices)
    device_classes = forms.MultipleChoiceField(
        label=_("Device classes"),
        choices=DeviceClass.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    fault_codes = forms.CharField(
        label=_("Fault codes"),
        required=False,
        max_length=500,
        help_text=_("Separated by commas, e.g. CASH_JAM, CARD_READER_FAULT"),
    )
    tags = forms.CharField(
        label=_("Tags"), required=False, max_length=500, help_text=_("Separated by commas")
    )
    body_zh = forms.CharField(
        label=_("Chinese text"), required=False, widget=forms.Textarea(attrs={"rows": 14})
    )
    body_en = forms.CharField(
        label=_("English text"), required=False, widget=forms.Textarea(attrs={"rows": 14})
    )
    change_note = forms.CharField(label=_("What changed"), required=False, max_length=300)


class ArchiveForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300)


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("File (PDF, PNG or JPEG)"))


class CardFilterForm(forms.Form):
    q = forms.CharField(label=_("Fault code or title"), required=False, max_length=100)


class DiagnosisCardForm(forms.Form):
    code = forms.CharField(label=_("Card code"), max_length=40, help_text=_("e.g. DC-CASH-JAM-ATM"))
    fault_code = forms.CharField(label=_("Fault code"), max_length=40)
    device_class = forms.ChoiceField(
        label=_("Device class"), required=False, choices=[("", _("Every device class")), *DeviceClass.choices]
    )
    title_zh = forms.CharField(label=_("Chinese title"), max_length=200)
    title_en = forms.CharField(label=_("English title"), max_length=200, required=False)
    symptom_zh = forms.CharField(
        label=_("Chinese symptom"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    symptom_en = forms.CharField(
        label=_("English symptom"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    steps_zh = forms.CharField(
        label=_("Steps in Chinese"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("One step per line, in order."),
    )
    steps_en = forms.CharField(
        label=_("Steps in English"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Line by line matching the Chinese steps."),
    )
    escalation_zh = forms.CharField(
        label=_("Chinese escalation advice"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    escalation_en = forms.CharField(
        label=_("English escalation advice"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    article_code = forms.CharField(label=_("Linked article code"), required=False, max_length=40)
    is_active = forms.BooleanField(label=_("In use"), required=False, initial=True)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        zh = [line.strip() for line in data.get("steps_zh", "").splitlines() if line.strip()]
        en = [line.strip() for line in data.get("steps_en", "").splitlines() if line.strip()]
        if en and len(en) != len(zh):
            self.add_error("steps_en", _("Give as many English steps as Chinese ones, or none."))
        data["steps"] = [(step, en[i] if i < len(en) else "") for i, step in enumerate(zh)]
        return data

"""Console forms of the AML app: filters and the inputs the ``do_*`` actions take.

Labels come from the models' verbose names where a field mirrors one, so each text is translated
once; the actions stay the judges of what is valid, the forms only parse.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Model
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from bastion.aml.choices import (
    AlertSource,
    AlertStatus,
    CaseDecision,
    CaseStatus,
    CustomerKind,
    CustomerRiskRating,
    EvidenceKind,
    HitStatus,
    IdType,
    LargeValueStandard,
    ReportStatus,
    WatchEntryType,
    WatchListKind,
)
from bastion.aml.models import BeneficialOwner, Customer, CustomerDocument
from bastion.identity.models import Branch
from bastion.platform.scoping import scoped

DATE = forms.DateInput(attrs={"type": "date"})
TEXT = forms.Textarea(attrs={"rows": 3})


def _label(model: type[Model], name: str) -> Any:
    # capfirst stays lazy, so the label is translated when the form renders, not at import.
    return capfirst(model._meta.get_field(name).verbose_name)  # type: ignore[union-attr]


def _any(choices: Any) -> list[tuple[str, Any]]:
    return [("", "—"), *choices]


class AlertFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False, choices=_any(AlertStatus.choices))
    source = forms.ChoiceField(label=_("Source"), required=False, choices=_any(AlertSource.choices))


class CaseFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Open and proposed")), *CaseStatus.choices]
    )


class CustomerFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Customer or ID number"), required=False, max_length=128,
        help_text=_("A customer number (or its beginning), or a whole ID number."),
    )  # fmt: skip
    rating = forms.ChoiceField(
        label=_("Risk rating"), required=False, choices=_any(CustomerRiskRating.choices)
    )
    review_due_by = forms.DateField(label=_("Review due by"), required=False, widget=DATE)


class _DueDiligence(forms.Form):
    """The due-diligence fields an officer may change after onboarding (identity data excepted)."""

    nationality = forms.CharField(label=_label(Customer, "nationality"), max_length=3, initial="CHN")
    id_expires_on = forms.DateField(label=_label(Customer, "id_expires_on"), required=False, widget=DATE)
    occupation = forms.CharField(label=_label(Customer, "occupation"), required=False, max_length=40)
    employer = forms.CharField(label=_label(Customer, "employer"), required=False, max_length=200)
    is_pep = forms.BooleanField(label=_label(Customer, "is_pep"), required=False)
    non_face_to_face = forms.BooleanField(label=_label(Customer, "non_face_to_face"), required=False)
    expected_monthly_amount = forms.DecimalField(
        label=_label(Customer, "expected_monthly_amount"), required=False, decimal_places=2, max_digits=20
    )
    expected_monthly_cash = forms.DecimalField(
        label=_label(Customer, "expected_monthly_cash"), required=False, decimal_places=2, max_digits=20
    )
    expected_activity = forms.CharField(
        label=_label(Customer, "expected_activity"), required=False, max_length=2000, widget=TEXT
    )


class DueDiligenceForm(_DueDiligence):
    relationship_ended_on = forms.DateField(
        label=_label(Customer, "relationship_ended_on"), required=False, widget=DATE
    )


class CustomerForm(_DueDiligence):
    """Onboarding: who the customer is, then what activity is expected."""

    customer_no = forms.CharField(label=_label(Customer, "customer_no"), max_length=128)
    kind = forms.ChoiceField(label=_label(Customer, "kind"), choices=CustomerKind.choices)
    branch = forms.ModelChoiceField(label=_("Branch"), queryset=Branch.objects.none())
    name = forms.CharField(label=_label(Customer, "name"), max_length=200)
    name_en = forms.CharField(label=_label(Customer, "name_en"), required=False, max_length=200)
    id_type = forms.ChoiceField(label=_label(Customer, "id_type"), choices=IdType.choices)
    id_number = forms.CharField(label=_label(Customer, "id_number"), max_length=200)
    date_of_birth = forms.DateField(label=_label(Customer, "date_of_birth"), required=False, widget=DATE)
    phone = forms.CharField(label=_label(Customer, "phone"), required=False, max_length=40)
    address = forms.CharField(label=_label(Customer, "address"), required=False, max_length=200)

    field_order = ["customer_no", "kind", "branch", "name", "name_en", "id_type", "id_number"]

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        branches = scoped(Branch.objects.filter(is_active=True), actor, path="pk").order_by("code")
        self.fields["branch"].queryset = branches  # type: ignore[attr-defined]

    def data_for_action(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        for key in ("customer_no", "kind", "branch"):
            data.pop(key)
        return data


class DocumentForm(forms.Form):
    doc_type = forms.ChoiceField(label=_label(CustomerDocument, "doc_type"), choices=IdType.choices)
    number = forms.CharField(label=_label(CustomerDocument, "number"), max_length=100)
    issued_on = forms.DateField(label=_label(CustomerDocument, "issued_on"), required=False, widget=DATE)
    expires_on = forms.DateField(label=_label(CustomerDocument, "expires_on"), required=False, widget=DATE)
    note = forms.CharField(label=_label(CustomerDocument, "note"), required=False, max_length=500)


class OwnerForm(forms.Form):
    name = forms.CharField(label=_label(BeneficialOwner, "name"), max_length=200)
    id_type = forms.ChoiceField(label=_label(BeneficialOwner, "id_type"), choices=IdType.choices)
    id_number = forms.CharField(label=_label(BeneficialOwner, "id_number"), max_length=100)
    nationality = forms.CharField(label=_label(BeneficialOwner, "nationality"), max_length=3, initial="CHN")
    ownership_percent = forms.DecimalField(
        label=_label(BeneficialOwner, "ownership_percent"), min_value=0, max_value=100, decimal_places=2
    )
    control = forms.CharField(label=_label(BeneficialOwner, "control"), required=False, max_length=200)


class LargeValueFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False, choices=_any(ReportStatus.choices))
    standard = forms.ChoiceField(
        label=_("Standard"), required=False, choices=_any(LargeValueStandard.choices)
    )
    day_from = forms.DateField(label=_("Trade day from"), required=False, widget=DATE)
    day_to = forms.DateField(label=_("Trade day to"), required=False, widget=DATE)
    customer_no = forms.CharField(label=_("Customer number"), required=False, max_length=128)


class GenerateForm(forms.Form):
    day = forms.DateField(label=_("Trade day"), widget=DATE)


class StrFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False, choices=_any(ReportStatus.choices))


class EvidenceForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=EvidenceKind.choices)
    reference = forms.CharField(
        label=_("Reference"), max_length=200,
        help_text=_("A payment id, an account, a customer number or a document reference."),
    )  # fmt: skip
    note = forms.CharField(label=_("Note"), required=False, max_length=1000)


class ProposeForm(forms.Form):
    decision = forms.ChoiceField(label=_("Proposed decision"), choices=CaseDecision.choices)
    reason = forms.CharField(label=_("Reasons"), max_length=5000, widget=TEXT)


class StrEditForm(forms.Form):
    summary = forms.CharField(
        label=_("Description of the suspicion"), max_length=20000, widget=forms.Textarea(attrs={"rows": 8})
    )
    measures = forms.CharField(label=_("Measures taken"), required=False, max_length=5000, widget=TEXT)


class HitFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False, choices=_any(HitStatus.choices))
    subject_kind = forms.ChoiceField(
        label=pgettext_lazy("screening", "Subject"), required=False,
        choices=_any([("customer", _("Customer")), ("payment", _("Payment"))]),
    )  # fmt: skip


class NameCheckForm(forms.Form):
    """A manual check of one name against every active list (nothing is stored)."""

    name = forms.CharField(label=_("Name to screen"), max_length=300)
    entry_type = forms.ChoiceField(
        label=_("Person or organisation"), required=False, choices=_any(WatchEntryType.choices)
    )
    date_of_birth = forms.CharField(
        label=_("Date of birth"), required=False, max_length=10, help_text=_("YYYY, YYYY-MM or YYYY-MM-DD.")
    )


class HitDecisionForm(forms.Form):
    status = forms.ChoiceField(
        label=pgettext_lazy("screening", "Decision"), choices=[(HitStatus.CONFIRMED, HitStatus.CONFIRMED.label),
                                      (HitStatus.DISMISSED, HitStatus.DISMISSED.label)],
        widget=forms.RadioSelect,
    )  # fmt: skip
    # Not required here: the action refuses an empty reason, and says so in its own words.
    reason = forms.CharField(label=_("Reasons"), required=False, max_length=2000, widget=TEXT)


class WatchListForm(forms.Form):
    code = forms.CharField(
        label=_("Code"), max_length=60, help_text=_("Lower-case letters, digits, hyphens and underscores.")
    )
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(
        label=_("Kind"), choices=WatchListKind.choices,
        help_text=_("Hits on a terrorist list are escalated at once."),
    )  # fmt: skip
    source = forms.CharField(label=_("Source"), required=False, max_length=200)


class EntrySearchForm(forms.Form):
    q = forms.CharField(label=_("Name or entry id"), required=False, max_length=300)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("List file"), help_text=_("CSV (UTF-8) or XML."))
    format = forms.ChoiceField(
        label=_("Format"), choices=[("csv", "CSV"), ("xml", _("XML (Bastion or UN consolidated list)"))]
    )
    replace = forms.BooleanField(label=_("Replace: deactivate entries missing from the file"), required=False)


def filters_of(
    form_class: type[forms.Form], request: Any, **initial: Any
) -> tuple[forms.Form, dict[str, Any]]:
    """A bound filter form and its cleaned values ({} when malformed: the unfiltered list shows)."""
    data = request.GET.copy()
    for key, value in initial.items():
        data.setdefault(key, value)
    form = form_class(data)
    return form, (form.cleaned_data if form.is_valid() else {})

"""Console URLs of the AML app: the officer's queue and cases, customers, regulatory reports, screening,
typology parameters."""

from django.urls import URLPattern, path

from bastion.aml.views import cases, customers, models, queue, reports, screening, typologies

app_name = "aml"

urlpatterns: list[URLPattern] = [
    path("", queue.queue, name="alert_queue"),
    path("alerts/<int:alert_id>/", queue.alert_detail, name="alert_detail"),
    path("alerts/<int:alert_id>/exclude/", queue.alert_exclude, name="alert_exclude"),
    path("cases/", queue.case_list, name="case_list"),
    path("cases/open/", queue.case_open, name="case_open"),
    path("cases/<int:case_id>/", cases.case_detail, name="case_detail"),
    path("cases/<int:case_id>/assign/", cases.case_assign, name="case_assign"),
    path("cases/<int:case_id>/notes/", cases.case_note, name="case_note"),
    path("cases/<int:case_id>/evidence/", cases.case_evidence, name="case_evidence"),
    path("cases/<int:case_id>/propose/", cases.case_propose, name="case_propose"),
    path("cases/<int:case_id>/confirm/", cases.case_confirm, name="case_confirm"),
    path("cases/<int:case_id>/return/", cases.case_return, name="case_return"),
    path("customers/", customers.customer_list, name="customer_list"),
    path("customers/new/", customers.customer_create, name="customer_create"),
    path("customers/<int:customer_id>/", customers.customer_detail, name="customer_detail"),
    path("customers/<int:customer_id>/edit/", customers.customer_edit, name="customer_edit"),
    path("customers/<int:customer_id>/documents/", customers.customer_document, name="customer_document"),
    path("customers/<int:customer_id>/owners/", customers.customer_owner, name="customer_owner"),
    path("customers/<int:customer_id>/rate/", customers.customer_rate, name="customer_rate"),
    path("customers/<int:customer_id>/screen/", customers.customer_screen, name="customer_screen"),
    path("reports/large-value/", reports.lvr_list, name="lvr_list"),
    path("reports/large-value/generate/", reports.lvr_generate, name="lvr_generate"),
    path("reports/large-value/submit/", reports.lvr_submit, name="lvr_submit"),
    path("reports/large-value/export/", reports.lvr_export, name="lvr_export"),
    path("reports/large-value/<int:report_id>/", reports.lvr_detail, name="lvr_detail"),
    path("reports/large-value/<int:report_id>/review/", reports.lvr_review, name="lvr_review"),
    path("reports/suspicious/", reports.str_list, name="str_list"),
    path("reports/suspicious/export/", reports.str_export, name="str_export"),
    path("reports/suspicious/<int:report_id>/", reports.str_detail, name="str_detail"),
    path("reports/suspicious/<int:report_id>/edit/", reports.str_edit, name="str_edit"),
    path("reports/suspicious/<int:report_id>/review/", reports.str_review, name="str_review"),
    path("reports/suspicious/<int:report_id>/submit/", reports.str_submit, name="str_submit"),
    path("reports/suspicious/<int:report_id>/follow-up/", reports.str_follow_up, name="str_follow_up"),
    *models.url_patterns(),
    *screening.url_patterns(),
    *typologies.url_patterns(),
]

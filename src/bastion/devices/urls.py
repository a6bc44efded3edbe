"""Console URLs of the devices app (namespace ``devices``, under /devices/)."""

from django.urls import path

from bastion.devices import views, views_import, views_upkeep

app_name = "devices"
urlpatterns = [
    path("", views.device_list, name="device_list"),
    path("alarms/", views.alarm_list, name="device_alarms"),
    path("alarms/<int:pk>/clear/", views.alarm_clear, name="device_alarm_clear"),
    path("replacement/", views.replacement_plan, name="device_replacement"),
    path("import/", views_import.device_import, name="device_import"),
    path("import/confirm/", views_import.device_import_confirm, name="device_import_confirm"),
    path("<int:pk>/", views.device_detail, name="device_detail"),
    path("<int:pk>/charts/<slug:kind>.svg", views.device_chart, name="device_chart"),
    # Lifecycle steps (approvals are decided on the console's approvals page) and upkeep.
    path("procurement/", views_upkeep.procurement, name="device_procurement"),
    path("<int:pk>/lifecycle/", views_upkeep.lifecycle_step, name="device_lifecycle_step"),
    path("<int:pk>/retirement/", views_upkeep.retirement_request, name="device_retirement"),
    path("<int:pk>/edit/", views_upkeep.device_edit, name="device_edit"),
    path("<int:pk>/status/", views_upkeep.status_set, name="device_status"),
    path("<int:pk>/upkeep/", views_upkeep.device_upkeep, name="device_upkeep"),
    path("<int:pk>/windows/", views_upkeep.window_plan, name="window_plan"),
    path("<int:pk>/plans/", views_upkeep.plan_create, name="plan_create"),
    path("<int:pk>/inspect/", views_upkeep.inspection_new, name="inspection_new"),
    path("<int:pk>/software-updates/", views_upkeep.software_update, name="software_update"),
    path("<int:pk>/remote-sessions/", views_upkeep.session_start, name="session_start"),
    path("maintenance/", views_upkeep.maintenance_plans, name="maintenance_plans"),
    path("maintenance/<int:plan_id>/complete/", views_upkeep.plan_complete, name="plan_complete"),
    path("inspections/", views_upkeep.inspection_list, name="inspection_list"),
    path("inspections/<int:inspection_id>/", views_upkeep.inspection_detail, name="inspection_detail"),
    path(
        "inspections/<int:inspection_id>/attachments/<int:attachment_id>/",
        views_upkeep.inspection_attachment,
        name="inspection_attachment",
    ),
    path("remote-sessions/<int:session_id>/", views_upkeep.session_detail, name="session_detail"),
    path("remote-sessions/<int:session_id>/actions/", views_upkeep.session_action, name="session_action"),
    path("remote-sessions/<int:session_id>/end/", views_upkeep.session_end, name="session_end"),
]

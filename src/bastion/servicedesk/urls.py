"""Console URLs of the servicedesk app (namespace ``servicedesk``, under /servicedesk/)."""

from django.urls import include, path

from bastion.servicedesk import views, views_admin

app_name = "servicedesk"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("orders/new/", views.order_create, name="order_create"),
    path("orders/<int:pk>/", views.order_detail, name="order"),
    path("orders/<int:pk>/note/", views.order_note, name="order_note"),
    path("orders/<int:pk>/transition/", views.order_transition, name="order_transition"),
    path("orders/<int:pk>/assign/", views.order_assign, name="order_assign"),
    path("orders/<int:pk>/dispatch/", views.order_dispatch, name="order_dispatch"),
    path("orders/<int:pk>/escalate/", views.order_escalate, name="order_escalate"),
    path("orders/<int:pk>/postmortem/", views.order_postmortem, name="order_postmortem"),
    path("orders/<int:pk>/priority/", views.order_priority, name="order_priority"),
    path("orders/<int:pk>/substitute/", views.order_substitute, name="order_substitute"),
    path("orders/<int:pk>/clocks/", views.order_clocks, name="order_clocks"),
    path("dashboard/", views_admin.dashboard, name="dashboard"),
    path("sla-policies/", views_admin.policies, name="policies"),
    path("roster/", views_admin.roster, name="roster"),
    path("feedback/<str:token>/", views_admin.feedback, name="feedback"),
    path("intake/", include("bastion.servicedesk.intake.urls")),
]

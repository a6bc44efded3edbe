"""URLs of the intake channels, under /servicedesk/intake/ (included by bastion.servicedesk.urls)."""

from django.urls import path

from bastion.servicedesk.intake import console, views

urlpatterns = [
    path("", console.intake, name="intake"),
    path("wechat/", views.wechat_callback, name="intake_wechat"),
]

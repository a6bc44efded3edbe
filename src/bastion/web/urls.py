"""Console URLs (namespace ``web``): sign-in, home, approvals, users and roles, tokens, audit."""

from django.urls import path

from bastion.audit import views as audit_views
from bastion.identity import views as identity_views
from bastion.identity import views_org
from bastion.web import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login_view, name="login"),
    path("login/verify/", views.login_verify, name="login_verify"),
    path("login/enrol/", views.login_enrol, name="login_enrol"),
    path("logout/", views.logout_view, name="logout"),
    path("approvals/", views.approvals, name="approvals"),
    path("approvals/<int:pk>/", views.approval_detail, name="approval_detail"),
    path("approvals/<int:pk>/approve/", views.approval_approve, name="approval_approve"),
    path("approvals/<int:pk>/reject/", views.approval_reject, name="approval_reject"),
    path("approvals/<int:pk>/cancel/", views.approval_cancel, name="approval_cancel"),
    path("users/", identity_views.user_list, name="users"),
    path("users/new/", identity_views.user_create, name="user_create"),
    path("users/<int:pk>/", identity_views.user_detail, name="user_detail"),
    path("users/<int:pk>/edit/", identity_views.user_edit, name="user_edit"),
    path("users/<int:pk>/grant/", identity_views.user_grant_role, name="user_grant"),
    path("users/<int:pk>/revoke/", identity_views.user_revoke_role, name="user_revoke"),
    path("users/<int:pk>/unlock/", identity_views.user_unlock, name="user_unlock"),
    path("users/<int:pk>/reset-mfa/", identity_views.user_reset_mfa, name="user_reset_mfa"),
    path("roles/", identity_views.role_list, name="roles"),
    path("tokens/", identity_views.token_list, name="tokens"),
    path("tokens/<int:pk>/revoke/", identity_views.token_revoke, name="token_revoke"),
    path("account/", identity_views.account, name="account"),
    path("account/password/", identity_views.account_password, name="account_password"),
    path("account/mfa/", identity_views.account_mfa_enrol, name="account_mfa_enrol"),
    path("account/recovery-codes/", identity_views.account_recovery_codes, name="account_recovery_codes"),
    path("organisation/", views_org.branch_list, name="branches"),
    path("organisation/branches/<int:pk>/", views_org.branch_detail, name="branch_detail"),
    path("organisation/teams/", views_org.team_list, name="teams"),
    path("organisation/calendars/", views_org.calendar_list, name="calendars"),
    path("organisation/calendars/<int:pk>/", views_org.calendar_detail, name="calendar_detail"),
    path("organisation/calendars/<int:pk>/windows/", views_org.calendar_set_windows, name="calendar_windows"),
    path("organisation/calendars/<int:pk>/days/", views_org.calendar_add_day, name="calendar_add_day"),
    path(
        "organisation/calendars/<int:pk>/days/remove/",
        views_org.calendar_remove_day,
        name="calendar_remove_day",
    ),
    path(
        "organisation/calendars/<int:pk>/holidays/",
        views_org.calendar_load_holidays,
        name="calendar_holidays",
    ),
    path("audit/", audit_views.event_list, name="audit"),
    path("audit/chain/", audit_views.chain_status, name="audit_chain"),
    path("audit/export/", audit_views.event_export, name="audit_export"),
    path("audit/<int:seq>/", audit_views.event_detail, name="audit_event"),
]

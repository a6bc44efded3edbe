"""Console views of the web app: sign-in, home, the approvals inbox."""

from bastion.web.views.approvals import (
    approval_approve,
    approval_cancel,
    approval_detail,
    approval_reject,
    approvals,
)
from bastion.web.views.auth import login_enrol, login_verify, login_view, logout_view
from bastion.web.views.home import home

__all__ = [
    "approval_approve",
    "approval_cancel",
    "approval_detail",
    "approval_reject",
    "approvals",
    "home",
    "login_enrol",
    "login_verify",
    "login_view",
    "logout_view",
]

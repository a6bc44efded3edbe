"""Sign-in in two steps: password, then TOTP or a recovery code (or first enrolment); sign-out.

Django's ``login()`` runs only after the second factor passed. Until then the session holds just the
half-authenticated user id and when the password step succeeded; it lapses after a few minutes.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from bastion.identity import actions
from bastion.identity.actions.mfa import provisioning_uri
from bastion.identity.middleware import SESSION_MFA, SESSION_STARTED
from bastion.identity.models import User
from bastion.platform.errors import DomainError
from bastion.platform.ratelimit import RateLimited, check_rate
from bastion.web.forms import LoginForm, SecondFactorForm, TotpCodeForm
from bastion.web.qr import grouped_secret, qr_svg

PENDING_USER = "login_pending_user"
PENDING_AT = "login_pending_at"
PENDING_NEXT = "login_pending_next"
PENDING_ENROL = "login_enrol_issued"
PENDING_TTL_SECONDS = 300
BACKEND = "bastion.identity.backends.RolePermissionBackend"


def _safe_next(request: HttpRequest, candidate: str) -> str:
    allowed = url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return candidate if candidate and allowed else ""


def too_many_attempts(request: HttpRequest, group: str) -> bool:
    """Count this POST against the address's budget for ``group``; True once the budget is spent."""
    try:
        check_rate(
            request, group=f"console.{group}", rate="setting:BASTION_RATE_LIMIT_LOGIN", methods=("POST",)
        )
    except RateLimited:
        return True
    return False


def _clear_pending(request: HttpRequest) -> None:
    for key in (PENDING_USER, PENDING_AT, PENDING_ENROL):
        request.session.pop(key, None)


def _pending_user(request: HttpRequest) -> User | None:
    """The user who passed the password step in this session, if that was recent enough."""
    user_id = request.session.get(PENDING_USER)
    started = request.session.get(PENDING_AT, 0)
    if user_id is None or time.time() - started > PENDING_TTL_SECONDS:
        _clear_pending(request)
        return None
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or user.is_locked():
        _clear_pending(request)
        return None
    return user


def _locked_message(user: User) -> str:
    until = formats.date_format(timezone.localtime(user.locked_until), "DATETIME_FORMAT")
    return _(
        "This account is locked after too many failed sign-ins. Try again after %(until)s, "
        "or ask an administrator to unlock it."
    ) % {"until": until}


def _complete_login(request: HttpRequest, user: User, *, method: str, mfa_verified: bool) -> str:
    """Record the sign-in, open the real session and return where to go next."""
    next_url = request.session.pop(PENDING_NEXT, "") or reverse("web:home")
    _clear_pending(request)
    actions.do_record_login_success(user=user, method=method)
    login(request, user, backend=BACKEND)
    request.session[SESSION_MFA] = mfa_verified
    request.session[SESSION_STARTED] = time.time()
    return str(next_url)


def _with_preferred_language(response: HttpResponse, user: User) -> HttpResponse:
    """Apply the user's saved language, if any, as if they had used the language switch."""
    codes = {code for code, _label in settings.LANGUAGES}
    if user.preferred_language in codes:
        translation.activate(user.preferred_language)
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            user.preferred_language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
        )
    return response


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("web:home")
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next", ""))
    form = LoginForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if too_many_attempts(request, "login"):
            form.add_error(None, _("Too many sign-in attempts from your address; wait a minute."))
            status = 429
        elif form.is_valid():
            username = form.cleaned_data["username"]
            user = authenticate(request, username=username, password=form.cleaned_data["password"])
            if isinstance(user, User):
                request.session.cycle_key()
                request.session[PENDING_USER] = user.pk
                request.session[PENDING_AT] = time.time()
                request.session[PENDING_NEXT] = next_url
                if user.mfa_enrolled:
                    return redirect("web:login_verify")
                if user.requires_mfa:
                    return redirect("web:login_enrol")
                destination = _complete_login(request, user, method="password", mfa_verified=False)
                return _with_preferred_language(redirect(destination), user)
            failed = actions.do_record_login_failure(username=username, reason="password")
            if failed is not None and failed.is_locked():
                form.add_error(None, _locked_message(failed))
            else:
                form.add_error(None, _("The user name or password is wrong."))
    return render(request, "web/login.html", {"form": form, "next": next_url}, status=status)


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_verify(request: HttpRequest) -> HttpResponse:
    user = _pending_user(request)
    if user is None or not user.mfa_enrolled:
        messages.warning(request, _("Your sign-in has expired; please start again."))
        return redirect("web:login")
    form = SecondFactorForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if too_many_attempts(request, "mfa"):
            form.add_error(None, _("Too many attempts from your address; wait a minute."))
            status = 429
        elif form.is_valid():
            method = actions.do_verify_second_factor(user=user, code=form.cleaned_data["code"])
            if method is not None:
                destination = _complete_login(request, user, method=method, mfa_verified=True)
                if method == "recovery_code":
                    messages.warning(
                        request,
                        _(
                            "You signed in with a recovery code; it cannot be used again. "
                            "Generate new codes on your account page if few are left."
                        ),
                    )
                return _with_preferred_language(redirect(destination), user)
            failed = actions.do_record_login_failure(username=user.username, reason="second_factor")
            if failed is not None and failed.is_locked():
                _clear_pending(request)
                messages.error(request, _locked_message(failed))
                return redirect("web:login")
            form.add_error("code", _("That code is not valid. Check the time on your device and try again."))
    return render(request, "web/login_verify.html", {"form": form, "pending_user": user}, status=status)


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_enrol(request: HttpRequest) -> HttpResponse:
    """First sign-in of a privileged user without MFA: set up the authenticator before entering."""
    user = _pending_user(request)
    if user is None:
        messages.warning(request, _("Your sign-in has expired; please start again."))
        return redirect("web:login")
    if user.mfa_enrolled:
        return redirect("web:login_verify")
    if not request.session.get(PENDING_ENROL) or not user.totp_secret:
        # A fresh secret per sign-in attempt: one left from an abandoned attempt may have been seen.
        uri = actions.do_begin_totp_enrolment(user=user)
        request.session[PENDING_ENROL] = True
    else:
        uri = provisioning_uri(user)
    form = TotpCodeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if too_many_attempts(request, "mfa"):
            form.add_error(None, _("Too many attempts from your address; wait a minute."))
            status = 429
        elif form.is_valid():
            try:
                codes = actions.do_confirm_totp_enrolment(user=user, code=form.cleaned_data["code"])
            except DomainError as exc:
                form.add_error("code", exc.message)
            else:
                destination = _complete_login(request, user, method="totp", mfa_verified=True)
                response = render(
                    request, "web/recovery_codes.html", {"codes": codes, "continue_url": destination}
                )
                return _with_preferred_language(response, user)
    context = {
        "form": form,
        "pending_user": user,
        "qr": qr_svg(uri),
        "secret": grouped_secret(user.totp_secret),
    }
    return render(request, "web/login_enrol.html", context, status=status)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if isinstance(request.user, User):
        actions.do_record_logout(user=request.user)
    logout(request)
    messages.info(request, _("You have signed out."))
    return redirect("web:login")

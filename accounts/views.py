from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from accounts import selectors, services
from accounts.forms import AcceptInvitationForm, InvitationForm
from accounts.models import Invitation
from accounts.roles import can, page_requires
from tenants.selectors import local_day_start
from tenants.services import agency_set_require_mfa


def _apply_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


@page_requires("settings")
def settings_page(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        agency_set_require_mfa(
            agency=request.tenant, require_mfa=request.POST.get("require_mfa") == "on"
        )
        messages.success(request, _("Settings saved."))
        return redirect("settings")
    return render(request, "accounts/settings.html", {"section": "settings"})


@page_requires("team")
def team_page(request: HttpRequest) -> HttpResponse:
    return _render_team(request, InvitationForm())


def _render_team(request: HttpRequest, form: InvitationForm, status: int = 200) -> HttpResponse:
    context = {
        "section": "settings",
        "members": selectors.team_members(),
        "invitations": selectors.open_invitations(),
        "form": form,
    }
    if request.htmx and status != 200:
        # htmx swaps only 2xx responses: the form with its errors replaces the old one.
        return render(request, "accounts/team.html#invite-form", context)
    return render(request, "accounts/team.html", context, status=status)


@require_POST
@page_requires("team")
def invite(request: HttpRequest) -> HttpResponse:
    form = InvitationForm(request.POST)
    if form.is_valid():
        try:
            services.invitation_create(
                actor=request.membership,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("Invitation sent. The link works for 7 days."))
            if request.htmx:
                # htmx would follow a redirect and swap the whole page into the form's place.
                return HttpResponseClientRedirect(reverse("team"))
            return redirect("team")
    return _render_team(request, form, status=400)


@require_POST
@page_requires("team")
def invitation_revoke(request: HttpRequest, invitation_id: int) -> HttpResponse:
    invitation = get_object_or_404(Invitation, pk=invitation_id)
    services.invitation_revoke(actor=request.membership, invitation=invitation)
    messages.success(request, _("Invitation revoked."))
    return redirect("team")


def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    invitation = services.invitation_from_token(token)
    if invitation is None or not invitation.is_open:
        return render(request, "accounts/invitation_invalid.html", status=404)
    existing_user = selectors.user_by_email(email=invitation.email)
    signed_in = request.user if request.user.is_authenticated else None
    context = {"invitation": invitation, "existing_user": existing_user, "signed_in": signed_in}
    if request.method != "POST":
        form = None if existing_user else AcceptInvitationForm(email=invitation.email)
        return render(request, "accounts/invitation_accept.html", {**context, "form": form})

    if existing_user is not None:
        if signed_in is None:
            return redirect(f"/accounts/login/?next={request.path}")
        try:
            services.invitation_accept(invitation=invitation, user=signed_in)
        except ValidationError as error:
            context["error"] = " ".join(error.messages)
            return render(request, "accounts/invitation_accept.html", context, status=400)
        messages.success(request, _("Welcome to %(agency)s.") % {"agency": request.tenant.name})
        return redirect("dashboard")

    form = AcceptInvitationForm(request.POST, email=invitation.email)
    if form.is_valid():
        try:
            services.invitation_accept(
                invitation=invitation,
                full_name=form.cleaned_data["full_name"],
                password=form.cleaned_data["password1"],
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            user = selectors.user_by_email(email=invitation.email)
            login(request, user, backend="allauth.account.auth_backends.AuthenticationBackend")
            messages.success(request, _("Welcome to %(agency)s.") % {"agency": request.tenant.name})
            return redirect("dashboard")
    return render(request, "accounts/invitation_accept.html", {**context, "form": form}, status=400)


# --- Attendance: a big check-in / check-out button for staff, who is on duty for managers ---

ATTENDANCE_TEMPLATE = "accounts/attendance.html"


def _attendance_context(request: HttpRequest, *, error: str = "") -> dict:
    membership = request.membership
    open_check_in = selectors.attendance_open_check_in(membership=membership)
    on_duty = open_check_in is not None and open_check_in.checked_in_at >= local_day_start()
    last_today = selectors.attendance_last_today(membership=membership)
    can_see_team = can(membership.role, "see_attendance")
    return {
        "section": "attendance",
        "enabled": request.tenant.attendance_enabled,
        "on_duty": on_duty,
        "check_in": open_check_in if on_duty else last_today,
        "can_check_in": can(membership.role, "check_in"),
        "can_see_team": can_see_team,
        "can_change_settings": can(membership.role, "change_agency_settings"),
        "team": selectors.attendance_today() if can_see_team else [],
        "error": error,
    }


@page_requires("attendance")
def attendance_page(request: HttpRequest) -> HttpResponse:
    return render(request, ATTENDANCE_TEMPLATE, _attendance_context(request))


def _attendance_act(request: HttpRequest, action, success: str) -> HttpResponse:
    try:
        action(actor=request.membership)
    except ValidationError as error:
        message = " ".join(error.messages)
        if request.htmx:
            return render(
                request,
                ATTENDANCE_TEMPLATE + "#duty-card",
                _attendance_context(request, error=message),
            )
        return render(
            request, ATTENDANCE_TEMPLATE, _attendance_context(request, error=message), status=400
        )
    if request.htmx:
        return render(request, ATTENDANCE_TEMPLATE + "#duty-card", _attendance_context(request))
    messages.success(request, success)
    return redirect("attendance")


@require_POST
@page_requires("attendance")
def attendance_check_in(request: HttpRequest) -> HttpResponse:
    return _attendance_act(
        request, services.attendance_check_in, _("You're checked in. Have a good day.")
    )


@require_POST
@page_requires("attendance")
def attendance_check_out(request: HttpRequest) -> HttpResponse:
    return _attendance_act(
        request, services.attendance_check_out, _("You're checked out. See you soon.")
    )

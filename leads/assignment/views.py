"""Settings → Assignment: round-robin rules (managers and admins), and the agency's attendance
and first-response target (admins)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.roles import can, page_requires
from accounts.selectors import attendance_on_duty_ids
from leads.assignment.forms import LANGUAGE_CHOICES, AgencyOptionsForm, AssignmentRuleForm
from leads.models import AssignmentRule, Source
from leads.selectors.assignment import assignable_members, assignment_rules
from leads.selectors.response import leads_unassigned
from leads.services.assignment import (
    assignment_options_set,
    assignment_rule_delete,
    assignment_rule_save,
)

TEMPLATE = "leads/assignment/assignment.html"


def _filter_labels(rule: AssignmentRule) -> list[str]:
    sources, languages = dict(Source.choices), dict(LANGUAGE_CHOICES)
    return [
        *(str(sources.get(s, s)) for s in rule.sources),
        *(str(languages.get(code, code)) for code in rule.languages),
        *rule.communities,
    ]


def _rule_form_for(rule: AssignmentRule, members) -> AssignmentRuleForm:
    return AssignmentRuleForm(
        initial={
            "name": rule.name,
            "position": rule.position,
            "sources": rule.sources,
            "languages": rule.languages,
            "communities": ", ".join(rule.communities),
            "agents": [str(a.pk) for a in rule.agents.all()],
            "is_active": rule.is_active,
        },
        members=members,
    )


def _render(
    request: HttpRequest,
    *,
    form: AssignmentRuleForm | None = None,
    options_form: AgencyOptionsForm | None = None,
    editing: AssignmentRule | None = None,
    status: int = 200,
) -> HttpResponse:
    members = assignable_members()
    rules = list(assignment_rules())
    names = {m.pk: user.full_name or user.email for m, user in members}
    agency = request.tenant
    if form is None:
        form = (
            _rule_form_for(editing, members)
            if editing
            else AssignmentRuleForm(
                initial={"position": (rules[-1].position + 1) if rules else 1, "is_active": True},
                members=members,
            )
        )
    if options_form is None:
        options_form = AgencyOptionsForm(
            initial={
                "attendance_enabled": agency.attendance_enabled,
                "first_response_target_minutes": agency.first_response_target_minutes,
            }
        )
    context = {
        "section": "settings",
        "rules": [
            {
                "rule": rule,
                "agents": [names.get(a.pk, "") for a in rule.agents.all()],
                "filters": _filter_labels(rule),
            }
            for rule in rules
        ],
        "form": form,
        "editing": editing,
        "options_form": options_form,
        "can_change_settings": can(request.membership.role, "change_agency_settings"),
        "on_duty": len(attendance_on_duty_ids()) if agency.attendance_enabled else None,
        "unassigned": leads_unassigned(actor=request.membership)[:100].count(),
    }
    return render(request, TEMPLATE, context, status=status)


def _apply_errors(form: forms.Form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, messages_ in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages_)
    else:
        form.add_error(None, error.messages)


@page_requires("assignment")
def assignment_page(request: HttpRequest) -> HttpResponse:
    return _render(request)


def _save_rule(request: HttpRequest, rule: AssignmentRule | None) -> HttpResponse:
    members = assignable_members()
    form = AssignmentRuleForm(request.POST, members=members)
    if form.is_valid():
        try:
            assignment_rule_save(
                actor=request.membership,
                rule=rule,
                name=form.cleaned_data["name"],
                position=form.cleaned_data["position"],
                is_active=form.cleaned_data["is_active"],
                sources=form.cleaned_data["sources"],
                languages=form.cleaned_data["languages"],
                communities=form.cleaned_communities(),
                agents=[form.members[pk] for pk in form.cleaned_data["agents"]],
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("Assignment rule saved."))
            return redirect("assignment")
    return _render(request, form=form, editing=rule, status=400)


@require_POST
@page_requires("assignment")
def assignment_rule_create(request: HttpRequest) -> HttpResponse:
    return _save_rule(request, None)


@page_requires("assignment")
def assignment_rule_edit(request: HttpRequest, rule_id: int) -> HttpResponse:
    rule = get_object_or_404(AssignmentRule, pk=rule_id)
    if request.method == "POST":
        return _save_rule(request, rule)
    return _render(request, editing=rule)


@require_POST
@page_requires("assignment")
def assignment_rule_remove(request: HttpRequest, rule_id: int) -> HttpResponse:
    rule = get_object_or_404(AssignmentRule, pk=rule_id)
    try:
        assignment_rule_delete(actor=request.membership, rule=rule)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Assignment rule deleted."))
    return redirect("assignment")


@require_POST
@page_requires("assignment")
def assignment_options(request: HttpRequest) -> HttpResponse:
    form = AgencyOptionsForm(request.POST)
    if not can(request.membership.role, "change_agency_settings"):
        return render(request, "403.html", status=403)
    if form.is_valid():
        try:
            assignment_options_set(
                actor=request.membership,
                attendance_enabled=form.cleaned_data["attendance_enabled"],
                first_response_target_minutes=form.cleaned_data["first_response_target_minutes"],
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("Settings saved."))
            return redirect("assignment")
    return _render(request, options_form=form, status=400)

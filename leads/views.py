"""Pages for working leads: the list, the lead page, the dashboard and pipeline settings.

Each view checks the role (accounts.roles), validates a form, calls one service or selector
and renders. A lead the actor may not see is a 404, whatever its id. htmx requests get the
named partial of the same template.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.roles import can, can_open, page_requires
from leads import forms
from leads.communities import DUBAI_COMMUNITIES
from leads.models import Lead, PipelineStage
from leads.selectors import dashboard as dashboard_selectors
from leads.selectors import leads as selectors
from leads.selectors.response import lead_first_response_overdue
from leads.services import Inquiry, lead_capture
from leads.services import pipeline as services
from leads.services.assignment import lead_assign
from leads.services.response import lead_record_contact

# The source details worth showing on the lead page, with their labels, in this order.
SOURCE_DETAIL_LABELS = {
    "form": gettext_lazy("Form"),
    "form_name": gettext_lazy("Form"),
    "campaign": gettext_lazy("Campaign"),
    "campaign_name": gettext_lazy("Campaign"),
    "ad": gettext_lazy("Ad"),
    "ad_name": gettext_lazy("Ad"),
    "page": gettext_lazy("Page"),
    "utm_source": gettext_lazy("UTM source"),
    "utm_medium": gettext_lazy("UTM medium"),
    "utm_campaign": gettext_lazy("UTM campaign"),
}


def _errors_to_form(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, messages_ in error.message_dict.items():
            form.add_error(name if name in form.fields else None, messages_)
    else:
        form.add_error(None, error.messages)


def _lead_or_404(request: HttpRequest, lead_id: int) -> Lead:
    lead = selectors.lead_for_page(actor=request.membership, lead_id=lead_id)
    if lead is None:
        raise Http404
    return lead


def _lead_url(lead: Lead) -> str:
    return reverse("lead_detail", args=[lead.pk])


# --- dashboard --------------------------------------------------------------------------------


@page_requires("dashboard")
def dashboard(request: HttpRequest) -> HttpResponse:
    figures = None
    if can_open(request.membership.role, "leads"):
        figures = dashboard_selectors.dashboard_figures(actor=request.membership)
    return render(
        request,
        "pages/dashboard.html",
        {"section": "dashboard", "figures": figures, "names": selectors.member_names()},
    )


# --- the list ---------------------------------------------------------------------------------


@require_GET
@page_requires("leads")
def lead_list(request: HttpRequest) -> HttpResponse:
    actor = request.membership
    names = selectors.member_names()
    form = forms.LeadFilterForm(request.GET or None, actor=actor, names=names)
    if form.is_bound:
        form.is_valid()
    filters = form.filters()
    page = selectors.lead_page(actor=actor, filters=filters, cursor=request.GET.get("cursor"))
    now = timezone.now()
    rows = [(lead, lead_first_response_overdue(lead, now=now)) for lead in page.leads]
    query = form.query_string()
    next_url = None
    if page.next_cursor:
        next_url = "?" + urlencode([*_pairs(query), ("cursor", page.next_cursor)])
    context = {
        "section": "leads",
        "form": form,
        "rows": rows,
        "lead_base": reverse("leads"),
        "page": page,
        "names": names,
        "query": query,
        "next_url": next_url,
        "is_first_page": not request.GET.get("cursor"),
        "saved_views": selectors.saved_views(actor=actor),
        "saved_view_form": forms.SavedViewForm(),
        "bulk_form": forms.BulkForm(actor=actor, names=names),
        "communities": DUBAI_COMMUNITIES,
        "can_assign": can(actor.role, "assign_leads"),
        "can_export": can(actor.role, "export_leads"),
        "sees_all": can(actor.role, "see_all_leads"),
        "can_manage_pipeline": can(actor.role, "manage_pipeline"),
        "can_import_leads": can(actor.role, "import_leads"),
    }
    if request.htmx:
        partial = "rows" if request.GET.get("cursor") else "results"
        return render(request, f"leads/list.html#{partial}", context)
    return render(request, "leads/list.html", context)


def _pairs(query: str) -> list[tuple[str, str]]:
    from urllib.parse import parse_qsl

    return parse_qsl(query, keep_blank_values=False)


def _back_to_list(request: HttpRequest) -> str:
    query = request.POST.get("query", "")
    return reverse("leads") + ("?" + urlencode(_pairs(query)) if query else "")


@require_POST
@page_requires("leads")
def leads_bulk(request: HttpRequest) -> HttpResponse:
    actor = request.membership
    names = selectors.member_names()
    form = forms.BulkForm(request.POST, actor=actor, names=names)
    if not form.is_valid():
        for error in [*form.non_field_errors(), *[e for f in form.errors.values() for e in f]]:
            messages.error(request, error)
        return redirect(_back_to_list(request))
    data = form.cleaned_data
    leads = list(
        selectors.leads_visible_by_ids(actor=actor, lead_ids=data["lead"]).select_related("stage")
    )
    action = data["action"]
    try:
        if action == form.EXPORT:
            rows = services.leads_export_csv(
                leads=selectors.leads_for_export(actor=actor, lead_ids=data["lead"]),
                names=names,
                actor=actor,
            )
            response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
            stamp = timezone.localtime().strftime("%Y-%m-%d")
            response["Content-Disposition"] = f'attachment; filename="leads-{stamp}.csv"'
            return response
        if action == form.ASSIGN:
            assignee = None
            if data["assignee"] != "none":
                assignee = selectors.assignable_members().filter(pk=data["assignee"]).first()
            changed = services.leads_bulk_assign(leads=leads, assignee=assignee, actor=actor)
        elif action == form.STAGE:
            stage = PipelineStage.objects.get(pk=data["stage"])
            changed = services.leads_bulk_change_stage(
                leads=leads, stage=stage, actor=actor, lost_reason=data["lost_reason"]
            )
        else:
            changed = services.leads_bulk_tag(leads=leads, tag=data["tag"], actor=actor)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("%(count)s of %(selected)s selected leads changed.")
            % {"count": changed, "selected": len(leads)},
        )
    return redirect(_back_to_list(request))


@require_POST
@page_requires("leads")
def saved_view_create(request: HttpRequest) -> HttpResponse:
    form = forms.SavedViewForm(request.POST)
    query = request.POST.get("query", "")
    if form.is_valid():
        try:
            services.saved_view_create(
                actor=request.membership, name=form.cleaned_data["name"], query=query
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("View saved. It is at the top of your lead list."))
    else:
        messages.error(request, _("Give the view a name."))
    return redirect(_back_to_list(request))


@require_POST
@page_requires("leads")
def saved_view_delete(request: HttpRequest, view_id: int) -> HttpResponse:
    view = selectors.saved_view_for_actor(actor=request.membership, view_id=view_id)
    if view is None:
        raise Http404
    services.saved_view_delete(actor=request.membership, view=view)
    messages.success(request, _("Saved view deleted."))
    return redirect("leads")


@require_http_methods(["GET", "POST"])
@page_requires("leads")
def lead_create(request: HttpRequest) -> HttpResponse:
    form = forms.LeadCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            result = lead_capture(
                inquiry=Inquiry(
                    source="manual",
                    full_name=data["full_name"],
                    phones=[data["phone"]] if data["phone"] else [],
                    email=data["email"],
                    interest=data["interest"],
                    communities=[data["community"]] if data["community"] else [],
                    budget_max=data["budget_max"],
                    budget_currency=request.tenant.currency if data["budget_max"] else "",
                    message=data["message"],
                ),
                actor=request.membership,
                region=request.tenant.country,
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                mapped = {
                    ("phone" if k == "phones" else k): v for k, v in error.message_dict.items()
                }
                error = ValidationError(mapped)
            _errors_to_form(form, error)
        else:
            lead = result.lead
            if not result.created:
                messages.info(
                    request,
                    _("This person is already a lead, so the details were added to their page."),
                )
            if selectors.lead_for_page(actor=request.membership, lead_id=lead.pk) is None:
                messages.success(request, _("Lead added. It was assigned to a colleague."))
                return redirect("leads")
            return redirect(_lead_url(lead))
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "leads/create.html",
        {"section": "leads", "form": form, "communities": DUBAI_COMMUNITIES},
        status=status,
    )


# --- the lead page ----------------------------------------------------------------------------


def _source_details(lead: Lead) -> list[tuple[str, str | int]]:
    """(label, value) for the known source details, in the order of SOURCE_DETAIL_LABELS; a
    name and an id of the same thing (form and form_name) show once, by the name."""
    details = lead.source_details or {}
    shown: dict[str, str | int] = {}
    for key, label in SOURCE_DETAIL_LABELS.items():
        value = details.get(key)
        if isinstance(value, str | int) and not isinstance(value, bool) and str(value).strip():
            shown[str(label)] = value  # a later *_name replaces its id under the same label
    return list(shown.items())


def _lead_context(request: HttpRequest, lead: Lead, **forms_) -> dict:
    actor = request.membership
    names = selectors.member_names()
    stage_form = forms_.get("stage_form") or forms.StageForm(
        initial={"stage": lead.stage_id, "lost_reason": lead.lost_reason}
    )
    return {
        "section": "leads",
        "lead": lead,
        "names": names,
        "now_time": timezone.now(),
        "source_details": _source_details(lead),
        "overdue": lead_first_response_overdue(lead),
        "timeline": selectors.lead_timeline(lead=lead, names=names),
        "open_follow_ups": selectors.lead_open_follow_ups(lead=lead),
        "done_follow_ups": selectors.lead_done_follow_ups(lead=lead),
        "attachments": selectors.lead_attachments(lead=lead),
        "stage_form": stage_form,
        "note_form": forms_.get("note_form") or forms.NoteForm(),
        "follow_up_form": forms_.get("follow_up_form") or forms.FollowUpForm(),
        "attachment_form": forms_.get("attachment_form") or forms.AttachmentForm(),
        "tags_form": forms_.get("tags_form")
        or forms.TagsForm(initial={"tags": ", ".join(lead.tags)}),
        "assign_form": forms_.get("assign_form"),
        "members": forms.member_choices(names) if can(actor.role, "assign_leads") else [],
        "can_assign": can(actor.role, "assign_leads"),
        "contact_channels": forms.ContactForm.base_fields["channel"].choices,
    }


def _render_lead(
    request: HttpRequest, lead: Lead, partial: str | None = None, status: int = 200, **forms_
) -> HttpResponse:
    """The whole lead page, or for htmx the changed card plus the timeline, swapped out of
    band so every change shows up on it at once."""
    lead = _lead_or_404(request, lead.pk)
    context = _lead_context(request, lead, **forms_)
    if request.htmx and partial:
        body = render_to_string(f"leads/detail.html#{partial}", context, request=request)
        for extra in ("timeline", "status"):
            if extra != partial:
                body += render_to_string(
                    f"leads/detail.html#{extra}", {**context, "oob": True}, request=request
                )
        # htmx swaps only 2xx responses; the form with its errors must replace the old one.
        return HttpResponse(body, status=200)
    return render(request, "leads/detail.html", context, status=status)


def _timeline_oob(request: HttpRequest, lead: Lead) -> str:
    lead = _lead_or_404(request, lead.pk)
    context = {**_lead_context(request, lead), "oob": True}
    return "".join(
        render_to_string(f"leads/detail.html#{name}", context, request=request)
        for name in ("timeline", "status")
    )


def _done(request: HttpRequest, lead: Lead, partial: str, message: str) -> HttpResponse:
    if request.htmx:
        return _render_lead(request, lead, partial)
    messages.success(request, message)
    return redirect(_lead_url(lead))


def _lead_form_post(
    request: HttpRequest,
    lead: Lead,
    form,
    *,
    partial: str,
    form_name: str,
    save: Callable[[dict], object],
    message: str,
) -> HttpResponse:
    """A card's form posted on the lead page: a valid form is passed to `save` (the service
    call) as its cleaned data; a refusal from the service goes onto the form, and an invalid or
    refused form is shown again in its card as `form_name`."""
    if form.is_valid():
        try:
            save(form.cleaned_data)
        except ValidationError as error:
            _errors_to_form(form, error)
        else:
            return _done(request, lead, partial, message)
    return _render_lead(request, lead, partial, status=400, **{form_name: form})


@require_GET
@page_requires("leads")
def lead_detail(request: HttpRequest, lead_id: int) -> HttpResponse:
    lead = selectors.lead_for_page(actor=request.membership, lead_id=lead_id)
    if lead is None:
        target = selectors.lead_merged_target(actor=request.membership, lead_id=lead_id)
        if target is not None:
            return redirect(_lead_url(target))
        raise Http404
    return _render_lead(request, lead)


@require_POST
@page_requires("leads")
def lead_stage(request: HttpRequest, lead_id: int) -> HttpResponse:
    lead = _lead_or_404(request, lead_id)
    return _lead_form_post(
        request,
        lead,
        forms.StageForm(request.POST),
        partial="stage",
        form_name="stage_form",
        save=lambda data: services.lead_change_stage(
            lead=lead,
            stage=PipelineStage.objects.get(pk=data["stage"]),
            actor=request.membership,
            lost_reason=data["lost_reason"],
        ),
        message=_("Stage changed."),
    )


@require_POST
@page_requires("leads")
def lead_assign_view(request: HttpRequest, lead_id: int) -> HttpResponse:
    lead = _lead_or_404(request, lead_id)
    if not can(request.membership.role, "assign_leads"):
        return render(request, "403.html", status=403)
    value = request.POST.get("assignee", "")
    assignee = None
    if value and value != "none":
        assignee = selectors.assignable_members().filter(pk=value if value.isdigit() else 0).first()
        if assignee is None:
            messages.error(request, _("Choose an active member of your team who works leads."))
            return redirect(_lead_url(lead))
    try:
        lead_assign(lead=lead, assignee=assignee, actor=request.membership)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect(_lead_url(lead))
    return _done(request, lead, "details", _("Assignee changed."))


@require_POST
@page_requires("leads")
def lead_note(request: HttpRequest, lead_id: int) -> HttpResponse:
    lead = _lead_or_404(request, lead_id)
    return _lead_form_post(
        request,
        lead,
        forms.NoteForm(request.POST),
        partial="note-form",
        form_name="note_form",
        save=lambda data: services.lead_note_add(
            lead=lead, actor=request.membership, body=data["body"]
        ),
        message=_("Note added."),
    )


@require_POST
@page_requires("leads")
def follow_up_create(request: HttpRequest, lead_id: int) -> HttpResponse:
    lead = _lead_or_404(request, lead_id)
    return _lead_form_post(
        request,
        lead,
        forms.FollowUpForm(request.POST),
        partial="follow_ups",
        form_name="follow_up_form",
        save=lambda data: services.follow_up_create(
            lead=lead,
            actor=request.membership,
            title=data["title"],
            due_at=data["due_at"],
            remind_at=data["remind_at"],
        ),
        message=_("Task added."),
    )


@require_POST
@page_requires("leads")
def lead_follow_up_toggle(request: HttpRequest, lead_id: int, follow_up_id: int) -> HttpResponse:
    lead = _lead_or_404(request, lead_id)
    follow_up = lead.follow_ups.filter(pk=follow_up_id).first()
    if follow_up is None:
        raise Http404
    follow_up = services.follow_up_toggle(follow_up=follow_up, actor=request.membership)
    message = _("Task done.") if follow_up.done_at else _("Task reopened.")
    return _done(request, lead, "follow_ups", message)


@require_POST
@page_requires("leads")
def lead_attachment_add(request: HttpRequest, lead_id: int) -> HttpResponse:
    lead = _lead_or_404(request, lead_id)
    # A body far over the limit is refused before Django reads it to disk.
    length = request.META.get("CONTENT_LENGTH") or "0"
    if length.isdigit() and int(length) > services.ATTACHMENT_MAX_BYTES + 256 * 1024:
        form = forms.AttachmentForm(data={})
        form.is_valid()
        form.errors["file"] = form.error_class(
            [_("This file is over 10 MB. Attach a smaller file, or a compressed PDF.")]
        )
        return _render_lead(request, lead, "attachments", status=413, attachment_form=form)
    return _lead_form_post(
        request,
        lead,
        forms.AttachmentForm(request.POST, request.FILES),
        partial="attachments",
        form_name="attachment_form",
        save=lambda data: services.lead_attachment_add(
            lead=lead, actor=request.membership, upload=data["file"]
        ),
        message=_("File attached."),
    )


@require_GET
@page_requires("leads")
def lead_attachment_download(request: HttpRequest, lead_id: int, attachment_id: int):
    attachment = selectors.lead_attachment_for_download(
        actor=request.membership, lead_id=lead_id, attachment_id=attachment_id
    )
    if attachment is None:
        raise Http404
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, ValueError) as error:
        raise Http404 from error
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@page_requires("leads")
def lead_tags(request: HttpRequest, lead_id: int) -> HttpResponse:
    lead = _lead_or_404(request, lead_id)
    form = forms.TagsForm(request.POST)
    return _lead_form_post(
        request,
        lead,
        form,
        partial="details",
        form_name="tags_form",
        save=lambda data: services.lead_set_tags(
            lead=lead, actor=request.membership, tags=form.tag_list()
        ),
        message=_("Tags saved."),
    )


@require_http_methods(["GET", "POST"])
@page_requires("leads")
def lead_contact(request: HttpRequest, lead_id: int) -> HttpResponse:
    """Offer to log a call or WhatsApp the phone's own app just opened; log it on POST."""
    lead = _lead_or_404(request, lead_id)
    if request.method == "GET":
        form = forms.ContactForm(initial={"channel": request.GET.get("channel", "call")})
        context = {
            "lead": lead,
            "contact_form": form,
            "section": "leads",
            "from_list": request.GET.get("from") == "list",
        }
        template = "leads/contact.html#prompt" if request.htmx else "leads/contact.html"
        return render(request, template, context)
    form = forms.ContactForm(request.POST)
    if form.is_valid():
        try:
            lead_record_contact(
                lead=lead,
                actor=request.membership,
                channel=form.cleaned_data["channel"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            _errors_to_form(form, error)
        else:
            if request.htmx:
                body = render_to_string(
                    "leads/contact.html#logged", {"lead": lead}, request=request
                )
                if request.POST.get("from") != "list":
                    body += _timeline_oob(request, lead)
                return HttpResponse(body)
            messages.success(request, _("Contact logged."))
            return redirect(_lead_url(lead))
    context = {
        "lead": lead,
        "contact_form": form,
        "section": "leads",
        "from_list": request.POST.get("from") == "list",
    }
    if request.htmx:
        return render(request, "leads/contact.html#prompt", context)
    return render(request, "leads/contact.html", context, status=400)


@require_http_methods(["GET", "POST"])
@page_requires("leads")
def lead_merge(request: HttpRequest, lead_id: int) -> HttpResponse:
    """Pick the duplicate (search), confirm, merge it into this lead."""
    lead = _lead_or_404(request, lead_id)
    actor = request.membership
    query = (request.GET.get("q") or "").strip()[:100]
    other = None
    other_id = request.POST.get("other") or request.GET.get("other")
    if other_id and str(other_id).isdigit():
        other = selectors.lead_for_page(actor=actor, lead_id=int(other_id))
        if other is None or other.pk == lead.pk:
            raise Http404
    if request.method == "POST":
        form = forms.MergeForm(request.POST)
        if form.is_valid() and other is not None:
            try:
                services.lead_merge(target=lead, duplicate=other, actor=actor)
            except ValidationError as error:
                for message in error.messages:
                    messages.error(request, message)
                return redirect(reverse("lead_merge", args=[lead.pk]))
            messages.success(request, _("Leads merged. Everything is now on this page."))
            return redirect(_lead_url(lead))
        messages.error(request, _("Choose the lead to merge into this one."))
        return redirect(reverse("lead_merge", args=[lead.pk]))
    candidates = []
    too_short = False
    if query and other is None:
        terms = selectors.search_terms(query)
        too_short = not terms.usable
        if terms.usable:
            candidates = [
                c
                for c in selectors.lead_search(actor=actor, query=query, limit=10)
                if c.pk != lead.pk
            ]
    context = {
        "section": "leads",
        "lead": lead,
        "other": other,
        "query": query,
        "candidates": candidates,
        "too_short": too_short,
        "names": selectors.member_names(),
    }
    if request.htmx and not other:
        return render(request, "leads/merge.html#candidates", context)
    return render(request, "leads/merge.html", context)


# --- pipeline settings ------------------------------------------------------------------------


def _pipeline_page(request: HttpRequest, form=None, status: int = 200) -> HttpResponse:
    return render(
        request,
        "leads/pipeline.html",
        {
            "section": "settings",
            "stages": selectors.pipeline_stages_with_use(),
            "form": form or forms.PipelineStageForm(initial={"kind": "open", "is_active": True}),
            "kinds": PipelineStage.Kind.choices,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@page_requires("settings")
def pipeline_settings(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _pipeline_page(request)
    form = forms.PipelineStageForm(request.POST)
    if form.is_valid():
        try:
            services.stage_create(
                actor=request.membership,
                name=form.cleaned_data["name"],
                name_ar=form.cleaned_data["name_ar"],
                kind=form.cleaned_data["kind"],
            )
        except ValidationError as error:
            _errors_to_form(form, error)
        else:
            messages.success(request, _("Stage added."))
            return redirect("pipeline_settings")
    return _pipeline_page(request, form, status=400)


def _stage_or_404(stage_id: int) -> PipelineStage:
    stage = PipelineStage.objects.filter(pk=stage_id).first()
    if stage is None:
        raise Http404
    return stage


@require_POST
@page_requires("settings")
def pipeline_stage_update(request: HttpRequest, stage_id: int) -> HttpResponse:
    stage = _stage_or_404(stage_id)
    form = forms.PipelineStageForm(request.POST)
    if form.is_valid():
        try:
            services.stage_update(
                actor=request.membership,
                stage=stage,
                name=form.cleaned_data["name"],
                name_ar=form.cleaned_data["name_ar"],
                kind=form.cleaned_data["kind"],
                is_active=form.cleaned_data["is_active"],
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Stage saved."))
    else:
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
    return redirect("pipeline_settings")


@require_POST
@page_requires("settings")
def pipeline_stage_move(request: HttpRequest, stage_id: int) -> HttpResponse:
    stage = _stage_or_404(stage_id)
    offset = -1 if request.POST.get("direction") == "up" else 1
    services.stage_move(actor=request.membership, stage=stage, offset=offset)
    return redirect("pipeline_settings")


@require_POST
@page_requires("settings")
def pipeline_stage_delete(request: HttpRequest, stage_id: int) -> HttpResponse:
    stage = _stage_or_404(stage_id)
    try:
        services.stage_delete(actor=request.membership, stage=stage)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Stage deleted."))
    return redirect("pipeline_settings")

"""The lead page and its edit bits (stage, assignee, notes, follow-ups, files, tags, logging a
contact, merging a duplicate), and adding a lead by hand.

Each view checks the role (accounts.roles), validates a form, calls one service or selector
and renders. A lead the actor may not see is a 404, whatever its id. htmx requests get the
named partial of the same template.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.roles import can, page_requires
from leads import selectors, services
from leads.communities import DUBAI_COMMUNITIES
from leads.follow_ups.forms import FollowUpForm
from leads.forms import form_errors_add, member_choices
from leads.lead_page import forms
from leads.models import Lead
from leads.selectors.response import lead_first_response_overdue
from leads.services import Inquiry, lead_capture
from leads.services.assignment import lead_assign
from leads.services.lead_page import ATTACHMENT_MAX_BYTES
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


def _lead_or_404(request: HttpRequest, lead_id: int) -> Lead:
    lead = selectors.lead_for_page(actor=request.membership, lead_id=lead_id)
    if lead is None:
        raise Http404
    return lead


def _lead_url(lead: Lead) -> str:
    return reverse("lead_detail", args=[lead.pk])


# --- a new lead -------------------------------------------------------------------------------


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
            form_errors_add(form, error)
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
        "leads/lead_page/create.html",
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
    names = selectors.member_names_all()
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
        "follow_up_form": forms_.get("follow_up_form") or FollowUpForm(),
        "attachment_form": forms_.get("attachment_form") or forms.AttachmentForm(),
        "tags_form": forms_.get("tags_form")
        or forms.TagsForm(initial={"tags": ", ".join(lead.tags)}),
        "assign_form": forms_.get("assign_form"),
        "members": member_choices(names) if can(actor.role, "assign_leads") else [],
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
        body = render_to_string(f"leads/lead_page/detail.html#{partial}", context, request=request)
        for extra in ("timeline", "status"):
            if extra != partial:
                body += render_to_string(
                    f"leads/lead_page/detail.html#{extra}",
                    {**context, "oob": True},
                    request=request,
                )
        # htmx swaps only 2xx responses; the form with its errors must replace the old one.
        return HttpResponse(body, status=200)
    return render(request, "leads/lead_page/detail.html", context, status=status)


def _timeline_oob(request: HttpRequest, lead: Lead) -> str:
    lead = _lead_or_404(request, lead.pk)
    context = {**_lead_context(request, lead), "oob": True}
    return "".join(
        render_to_string(f"leads/lead_page/detail.html#{name}", context, request=request)
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
            form_errors_add(form, error)
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
            stage=selectors.pipeline_stage_get(stage_id=data["stage"]),
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
        assignee = (
            selectors.members_who_work_leads().filter(pk=value if value.isdigit() else 0).first()
        )
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
        FollowUpForm(request.POST),
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
    if length.isdigit() and int(length) > ATTACHMENT_MAX_BYTES + 256 * 1024:
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
        template = (
            "leads/lead_page/contact.html#prompt"
            if request.htmx
            else "leads/lead_page/contact.html"
        )
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
            form_errors_add(form, error)
        else:
            if request.htmx:
                body = render_to_string(
                    "leads/lead_page/contact.html#logged", {"lead": lead}, request=request
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
        return render(request, "leads/lead_page/contact.html#prompt", context)
    return render(request, "leads/lead_page/contact.html", context, status=400)


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
        "names": selectors.member_names_all(),
    }
    if request.htmx and not other:
        return render(request, "leads/lead_page/merge.html#candidates", context)
    return render(request, "leads/lead_page/merge.html", context)

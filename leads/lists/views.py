"""The lead list: filters, search, keyset pages, bulk actions and saved views."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.roles import can, page_requires
from leads import selectors, services
from leads.communities import DUBAI_COMMUNITIES
from leads.lists import forms
from leads.selectors.response import lead_first_response_overdue


@require_GET
@page_requires("leads")
def lead_list(request: HttpRequest) -> HttpResponse:
    actor = request.membership
    names = selectors.member_names_all()
    form = forms.LeadFilterForm(request.GET or None, actor=actor, names=names)
    if form.is_bound:
        form.is_valid()
    filters = form.filters()
    page = selectors.leads_page(actor=actor, filters=filters, cursor=request.GET.get("cursor"))
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
        return render(request, f"leads/lists/list.html#{partial}", context)
    return render(request, "leads/lists/list.html", context)


def _pairs(query: str) -> list[tuple[str, str]]:
    return parse_qsl(query, keep_blank_values=False)


def _back_to_list(request: HttpRequest) -> str:
    query = request.POST.get("query", "")
    return reverse("leads") + ("?" + urlencode(_pairs(query)) if query else "")


@require_POST
@page_requires("leads")
def leads_bulk(request: HttpRequest) -> HttpResponse:
    actor = request.membership
    names = selectors.member_names_all()
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
                assignee = selectors.members_who_work_leads().filter(pk=data["assignee"]).first()
            changed = services.leads_bulk_assign(leads=leads, assignee=assignee, actor=actor)
        elif action == form.STAGE:
            stage = selectors.pipeline_stage_get(stage_id=data["stage"])
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

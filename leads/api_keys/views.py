"""Settings → API keys (admins): create a key (its value is shown once), list, revoke."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.roles import page_requires
from leads.api.keys import api_key_create, api_key_revoke, api_keys
from leads.api_keys.forms import ApiKeyForm
from leads.models import ApiKey

TEMPLATE = "leads/api_keys/keys.html"


def _render(
    request: HttpRequest, *, form: ApiKeyForm, new_key: str = "", status: int = 200
) -> HttpResponse:
    context = {
        "section": "settings",
        "keys": api_keys(),
        "form": form,
        "new_key": new_key,
        "api_base": request.build_absolute_uri("/api/v1/"),
    }
    return render(request, TEMPLATE, context, status=status)


@never_cache
@page_requires("api_keys")
def api_keys_page(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _render(request, form=ApiKeyForm())
    form = ApiKeyForm(request.POST)
    if form.is_valid():
        try:
            _key, raw_key = api_key_create(actor=request.membership, name=form.cleaned_data["name"])
        except ValidationError as error:
            form.add_error("name" if hasattr(error, "error_dict") else None, error.messages)
        else:
            # The raw key exists only in this response: it is stored hashed.
            return _render(request, form=ApiKeyForm(), new_key=raw_key, status=201)
    return _render(request, form=form, status=400)


@require_POST
@page_requires("api_keys")
def api_key_revoke_view(request: HttpRequest, key_id: int) -> HttpResponse:
    api_key = get_object_or_404(ApiKey, pk=key_id)
    try:
        api_key_revoke(actor=request.membership, api_key=api_key)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("The key “%(name)s” is revoked. Anything still using it gets an error from now on.")
            % {"name": api_key.name},
        )
    return redirect("api_keys")

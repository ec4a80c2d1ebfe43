"""Pages of the shell itself: section placeholders, language, health. (The dashboard is
leads' own: leads/dashboard/.)"""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from accounts import services as account_services
from accounts.forms import LanguageForm
from accounts.roles import page_requires


def public_home(request: HttpRequest) -> HttpResponse:
    return render(request, "pages/public_home.html")


def _section(page: str, template: str):
    @page_requires(page)
    def view(request: HttpRequest) -> HttpResponse:
        return render(request, template, {"section": page})

    view.__name__ = f"{page}_page"
    return view


inbox_page = _section("inbox", "pages/inbox.html")
privacy_page = _section("privacy", "pages/privacy.html")


@require_POST
def language_switch(request: HttpRequest) -> HttpResponse:
    form = LanguageForm(request.POST)
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}):
        next_url = "/"
    response = redirect(next_url)
    if form.is_valid():
        language = form.cleaned_data["language"]
        if request.user.is_authenticated:
            account_services.user_set_language(user=request.user, language=language)
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME, language, max_age=365 * 24 * 3600, samesite="Lax"
        )
    return response


@require_GET
def health(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def error_403(request: HttpRequest, exception=None) -> HttpResponse:
    return render(request, "403.html", status=403)


def error_404(request: HttpRequest, exception=None) -> HttpResponse:
    return render(request, "404.html", status=404)


def error_500(request: HttpRequest) -> HttpResponse:
    return render(request, "500.html", status=500)

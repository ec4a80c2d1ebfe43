"""`/api/v1/` on an agency's host: the ninja API's routes, each also without its trailing slash
(API clients rarely expect a redirect, and a POST cannot follow one)."""

from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.urls import URLPattern, path, re_path
from django.utils.translation import gettext as _

from leads.api import views
from leads.api.api import api
from leads.api.errors import api_error_response

METHOD_ORDER = ("GET", "POST", "PUT", "PATCH", "DELETE")


def json_method_not_allowed(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Ninja answers a method a route lacks with plain text; ours is JSON like every error."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if not isinstance(response, HttpResponseNotAllowed):
            return response
        offered = {method.strip() for method in response["Allow"].split(",")}
        allowed = ", ".join(method for method in METHOD_ORDER if method in offered)
        return api_error_response(
            405,
            "method_not_allowed",
            _("%(method)s is not allowed here. Use %(allowed)s.")
            % {"method": request.method, "allowed": allowed},
            headers={"Allow": allowed},
        )

    return wrapped


def _api_routes() -> list[URLPattern]:
    routes: dict[str, URLPattern] = {}
    patterns, _app_name, _namespace = api.urls
    for pattern in patterns:
        if pattern.name == "api-root":  # ninja's page that links to its docs UI
            continue
        route = str(pattern.pattern)
        if route in routes:  # one pattern per operation; the view serves all of a route's
            continue
        view = json_method_not_allowed(pattern.callback)
        routes[route] = path(route, view, name=pattern.name)
        if route.endswith("/"):
            routes[route[:-1]] = path(route[:-1], view)
    return list(routes.values())


urlpatterns = [
    *_api_routes(),
    # Anything else under /api/v1/ is a JSON 404, not the staff app's HTML page.
    re_path(r"^(?P<rest>.*)$", views.not_found, name="api_not_found"),
]

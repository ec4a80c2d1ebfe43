"""The platform host: public pages and the platform admin."""

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from aqari import views
from aqari.urls_common import common_patterns

admin.site.site_header = "Aqari platform"
admin.site.site_title = "Aqari platform"
# Platform staff sign in through the same rate-limited, MFA-aware login as everyone else.
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("", views.public_home, name="public_home"),
    path("admin/", admin.site.urls),
    path("webhooks/meta/", include("leads.meta.urls")),
    *common_patterns,
]

handler403 = "aqari.views.error_403"
handler404 = "aqari.views.error_404"
handler500 = "aqari.views.error_500"

from django.urls import path

from aqari import views as shell_views

urlpatterns = [
    path("", shell_views.leads_page, name="leads"),
]

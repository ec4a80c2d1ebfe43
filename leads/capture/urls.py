"""The public website-form endpoint on an agency's host: `POST /capture/<token>/`."""

from django.urls import path

from leads.capture import views

urlpatterns = [
    path("<str:token>/", views.capture_submit, name="capture_submit"),
]

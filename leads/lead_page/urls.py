"""The lead page and its edit bits, included at `leads/`."""

from django.urls import path

from leads.lead_page import views

urlpatterns = [
    path("new/", views.lead_create, name="lead_create"),
    path("<int:lead_id>/", views.lead_detail, name="lead_detail"),
    path("<int:lead_id>/stage/", views.lead_stage, name="lead_stage"),
    path("<int:lead_id>/assign/", views.lead_assign_view, name="lead_assign"),
    path("<int:lead_id>/notes/", views.lead_note, name="lead_note"),
    path("<int:lead_id>/tasks/", views.follow_up_create, name="follow_up_create"),
    path(
        "<int:lead_id>/tasks/<int:follow_up_id>/toggle/",
        views.lead_follow_up_toggle,
        name="lead_follow_up_toggle",
    ),
    path("<int:lead_id>/attachments/", views.lead_attachment_add, name="lead_attachment_add"),
    path(
        "<int:lead_id>/attachments/<int:attachment_id>/",
        views.lead_attachment_download,
        name="lead_attachment_download",
    ),
    path("<int:lead_id>/tags/", views.lead_tags, name="lead_tags"),
    path("<int:lead_id>/contact/", views.lead_contact, name="lead_contact"),
    path("<int:lead_id>/merge/", views.lead_merge, name="lead_merge"),
]

"""Settings → Pipeline (the agency's stages), included at `leads/pipeline/`."""

from django.urls import path

from leads.stages import views

urlpatterns = [
    path("", views.pipeline_settings, name="pipeline_settings"),
    path("<int:stage_id>/", views.pipeline_stage_update, name="pipeline_stage_update"),
    path("<int:stage_id>/move/", views.pipeline_stage_move, name="pipeline_stage_move"),
    path("<int:stage_id>/delete/", views.pipeline_stage_delete, name="pipeline_stage_delete"),
]

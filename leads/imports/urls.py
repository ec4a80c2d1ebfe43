from django.urls import path

from leads.imports import views

urlpatterns = [
    path("", views.import_upload, name="lead_import"),
    path("<int:job_id>/", views.import_job, name="lead_import_job"),
    path("<int:job_id>/progress/", views.import_job_progress, name="lead_import_progress"),
    path("<int:job_id>/resume/", views.import_job_resume_view, name="lead_import_resume"),
    path("<int:job_id>/problems.csv", views.import_job_problems, name="lead_import_problems"),
]

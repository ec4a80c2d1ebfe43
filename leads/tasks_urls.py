"""The Tasks page, included at `tasks/` on the agency host."""

from django.urls import path

from leads import views_tasks as views

urlpatterns = [
    path("", views.tasks_page, name="tasks"),
    path("<int:task_id>/toggle/", views.task_toggle, name="task_toggle"),
]

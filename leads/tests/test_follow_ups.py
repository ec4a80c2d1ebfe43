"""The Tasks page: whose tasks show, how they are grouped, and ticking them off in place."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django_tenants.utils import schema_context

from leads import services
from leads.models import FollowUp
from leads.selectors.follow_ups import follow_up_board
from leads.tests.test_views import HTMX, make_lead, member


def add_task(fixture, lead, role: str, title: str, due_in: dt.timedelta | None = None):
    with schema_context(fixture.schema_name):
        owner = member(fixture, role)
        return services.follow_up_create(
            lead=lead,
            actor=owner,
            assignee=owner,
            title=title,
            due_at=timezone.now() + due_in if due_in is not None else None,
        )


def test_agent_sees_own_tasks_grouped_by_when_they_are_due(agency_a, client_for):
    mine = make_lead(agency_a, name="Salma Nair", assignee_role="agent")
    theirs = make_lead(agency_a, name="Omar Khan", phone="050 222 3344", assignee_role="manager")
    add_task(agency_a, mine, "agent", "Send the brochure", dt.timedelta(hours=-3))
    add_task(agency_a, mine, "agent", "Confirm the viewing", dt.timedelta(days=3))
    add_task(agency_a, mine, "agent", "Ask about the mortgage")
    add_task(agency_a, theirs, "manager", "Manager's own follow-up", dt.timedelta(hours=-1))

    html = client_for(agency_a, "agent").get("/tasks/").content.decode()

    assert "Send the brochure" in html and "Confirm the viewing" in html
    assert "Ask about the mortgage" in html
    assert "Manager's own follow-up" not in html and "Manager&#x27;s own follow-up" not in html
    assert html.index("Overdue") < html.index("Send the brochure") < html.index("Coming up")
    assert html.index("Coming up") < html.index("Confirm the viewing") < html.index("No due date")
    assert f'href="/leads/{mine.pk}/"' in html and 'href="tel:+971501234567"' in html
    assert 'id="id_whose"' not in html  # agents have no one else's tasks to pick


def test_managers_pick_whose_tasks_and_agents_cannot(agency_a, client_for):
    lead = make_lead(agency_a, assignee_role="agent")
    add_task(agency_a, lead, "agent", "Agent's call back", dt.timedelta(hours=1))
    add_task(agency_a, lead, "manager", "Manager's check", dt.timedelta(hours=1))
    manager, agent = client_for(agency_a, "manager"), client_for(agency_a, "agent")
    agent_id = member(agency_a, "agent").pk

    own = manager.get("/tasks/").content.decode()
    everyone = manager.get("/tasks/?whose=all").content.decode()
    one = manager.get(f"/tasks/?whose={agent_id}").content.decode()
    junk = manager.get("/tasks/?whose=';drop").content.decode()
    sneaky = agent.get("/tasks/?whose=all").content.decode()

    assert "Manager&#x27;s check" in own and "Agent&#x27;s call back" not in own
    assert "Manager&#x27;s check" in everyone and "Agent&#x27;s call back" in everyone
    assert "Agent&#x27;s call back" in one and "Manager&#x27;s check" not in one
    assert "Manager&#x27;s check" in junk and "Agent&#x27;s call back" not in junk
    assert "Agent&#x27;s call back" in sneaky and "Manager&#x27;s check" not in sneaky


def test_ticking_a_task_off_in_place_and_back(agency_a, client_for):
    lead = make_lead(agency_a, assignee_role="agent")
    follow_up = add_task(agency_a, lead, "agent", "Call back", dt.timedelta(hours=2))
    client = client_for(agency_a, "agent")

    done = client.post(f"/tasks/{follow_up.pk}/toggle/", {"whose": "me"}, **HTMX)
    html = done.content.decode()
    assert done.status_code == 200 and 'id="task-board"' in html and "<html" not in html
    assert "Task done." in html and "Done in the last 7 days" in html
    with schema_context(agency_a.schema_name):
        assert FollowUp.objects.get(pk=follow_up.pk).done_at is not None

    reopened = client.post(f"/tasks/{follow_up.pk}/toggle/")
    assert reopened.status_code == 302 and reopened["Location"] == "/tasks/"
    with schema_context(agency_a.schema_name):
        assert FollowUp.objects.get(pk=follow_up.pk).done_at is None
        kinds = list(lead.activities.filter(kind="task").values_list("data__action", flat=True))
    assert kinds == ["created", "done", "reopened"]


def test_no_one_ticks_off_a_task_they_cannot_see(agency_a, agency_b, client_for):
    other_agent_lead = make_lead(agency_a, assignee_role="manager")
    hidden = add_task(agency_a, other_agent_lead, "manager", "Not yours")
    lead_b = make_lead(agency_b, assignee_role="agent")
    task_b = add_task(agency_b, lead_b, "agent", "Other agency")

    agent = client_for(agency_a, "agent")
    assert agent.post(f"/tasks/{hidden.pk}/toggle/").status_code == 404
    assert client_for(agency_a, "admin").post(f"/tasks/{task_b.pk}/toggle/").status_code in (
        302,
        404,
    )
    with schema_context(agency_b.schema_name):
        assert FollowUp.objects.get(pk=task_b.pk).done_at is None
    with schema_context(agency_a.schema_name):
        assert FollowUp.objects.get(pk=hidden.pk).done_at is None
    assert agent.get(f"/tasks/{hidden.pk}/toggle/").status_code == 405
    assert client_for(agency_a, "privacy_officer").get("/tasks/").status_code == 403


def test_today_ends_at_midnight_in_the_agencys_time_zone(agency_a):
    lead = make_lead(agency_a, assignee_role="agent")
    # 23:00 in Dubai (UTC+4) on a day; a task due at 23:30 is today, one at 00:30 tomorrow.
    now = dt.datetime(2026, 11, 23, 19, 0, tzinfo=dt.UTC)
    with schema_context(agency_a.schema_name):
        agent = member(agency_a, "agent")
        for title, minutes in (("tonight", 30), ("after midnight", 90), ("late", -30)):
            FollowUp.objects.create(
                lead=lead, assignee=agent, title=title, due_at=now + dt.timedelta(minutes=minutes)
            )
        board = follow_up_board(actor=agent, now=now)
    assert [t.title for t in board.overdue] == ["late"]
    assert [t.title for t in board.today] == ["tonight"]
    assert [t.title for t in board.upcoming] == ["after midnight"]


def test_the_dashboards_overdue_figure_opens_the_same_tasks(agency_a, client_for):
    manager = client_for(agency_a, "manager").get("/").content.decode()
    agent = client_for(agency_a, "agent").get("/").content.decode()
    assert 'href="/tasks/?whose=all"' in manager
    assert 'href="/tasks/"' in agent and "whose=all" not in agent

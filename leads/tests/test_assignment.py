"""Round-robin for new leads, manual reassignment, and who hears about it."""

from __future__ import annotations

from collections import Counter

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from accounts import services as account_services
from accounts.models import Membership
from accounts.services import attendance_check_in, attendance_check_out
from leads.models import AssignmentRule, Lead, LeadActivity
from leads.services import Inquiry, lead_capture
from leads.services.assignment import assignment_rule_save, lead_assign, lead_auto_assign


@pytest.fixture
def attendance_on(agency_a):
    agency = connection.tenant
    before = agency.attendance_enabled
    agency.attendance_enabled = True
    agency.save(update_fields=["attendance_enabled"])
    yield agency
    agency.attendance_enabled = before


def member(fixture, role: str) -> Membership:
    return Membership.objects.get(user_id=fixture.users[role].pk)


def new_agent(name: str) -> Membership:
    user = account_services.user_create(
        email=f"{name.lower()}@agents.test", password=None, full_name=name
    )
    return account_services.membership_create(user=user, role="agent")


def capture(n: int, **fields) -> Lead:
    inquiry = Inquiry(source=fields.pop("source", "website"), phones=[f"+97150{n:07d}"], **fields)
    return lead_capture(inquiry=inquiry).lead


def test_round_robin_is_fair_over_ten_leads_and_three_agents(agency_a):
    # given three agents in one catch-all rule
    manager = member(agency_a, "manager")
    agents = [member(agency_a, "agent"), new_agent("Omar"), new_agent("Layla")]
    assignment_rule_save(actor=manager, name="Everyone", agents=agents)

    # when ten leads arrive
    leads = [capture(i) for i in range(10)]

    # then they go round in turn: 4, 3, 3
    order = [lead.assignee_id for lead in leads]
    ids = sorted(a.pk for a in agents)
    assert order == [ids[i % 3] for i in range(10)]
    assert sorted(Counter(order).values()) == [3, 3, 4]
    assert all(lead.assigned_at is not None for lead in leads)
    activity = LeadActivity.objects.filter(lead=leads[0], kind=LeadActivity.Kind.ASSIGNED).get()
    assert activity.data["how"] == "round_robin"


def test_the_turn_carries_on_where_it_stopped(agency_a):
    # given a rule that last gave a lead to the second agent
    manager = member(agency_a, "manager")
    agents = [member(agency_a, "agent"), new_agent("Omar"), new_agent("Layla")]
    rule = assignment_rule_save(actor=manager, name="Everyone", agents=agents)
    AssignmentRule.objects.filter(pk=rule.pk).update(last_assigned=agents[1])

    # when
    lead = capture(1)

    # then
    assert lead.assignee_id == agents[2].pk


def test_agents_who_are_out_are_skipped(agency_a, attendance_on):
    # given attendance on, three agents in the rule, only two of them on duty
    manager = member(agency_a, "manager")
    agents = sorted(
        [member(agency_a, "agent"), new_agent("Omar"), new_agent("Layla")], key=lambda m: m.pk
    )
    assignment_rule_save(actor=manager, name="Everyone", agents=agents)
    attendance_check_in(actor=agents[0])
    attendance_check_in(actor=agents[2])
    attendance_check_in(actor=agents[1])
    attendance_check_out(actor=agents[1])

    # when
    owners = [capture(i).assignee_id for i in range(4)]

    # then the agent who checked out gets nothing
    assert owners == [agents[0].pk, agents[2].pk, agents[0].pk, agents[2].pk]


def test_with_everyone_out_the_lead_stays_unassigned(agency_a, attendance_on):
    # given
    manager = member(agency_a, "manager")
    assignment_rule_save(actor=manager, name="Everyone", agents=[member(agency_a, "agent")])

    # when nobody has checked in
    lead = capture(1)

    # then
    assert lead.assignee_id is None


def test_attendance_off_ignores_check_ins(agency_a):
    # given attendance off and nobody checked in
    manager = member(agency_a, "manager")
    agent = member(agency_a, "agent")
    assignment_rule_save(actor=manager, name="Everyone", agents=[agent])

    # then round-robin still assigns
    assert capture(1).assignee_id == agent.pk


def test_rules_filter_by_source_language_and_community_in_order(agency_a):
    # given an Arabic-speakers rule, a Meta rule, a Dubai Marina rule and a catch-all
    manager = member(agency_a, "manager")
    arabic, meta, marina, rest = (new_agent(n) for n in ("Huda", "Sam", "Mira", "Ravi"))
    assignment_rule_save(
        actor=manager, name="Arabic", position=1, languages=["ar"], agents=[arabic]
    )
    assignment_rule_save(actor=manager, name="Meta", position=2, sources=["meta"], agents=[meta])
    assignment_rule_save(
        actor=manager, name="Marina", position=3, communities=["Dubai Marina"], agents=[marina]
    )
    assignment_rule_save(actor=manager, name="Everyone else", position=9, agents=[rest])

    # when
    arabic_meta = capture(1, source="meta", preferred_language="ar")
    english_meta = capture(2, source="meta", preferred_language="en")
    marina_web = capture(3, communities=["dubai marina", "JVC"])
    plain = capture(4, communities=["JVC"])

    # then the first matching rule wins
    assert arabic_meta.assignee_id == arabic.pk
    assert english_meta.assignee_id == meta.pk
    assert marina_web.assignee_id == marina.pk
    assert plain.assignee_id == rest.pk


def test_a_rule_with_everyone_out_falls_through_to_the_next(agency_a, attendance_on):
    # given
    manager = member(agency_a, "manager")
    arabic, rest = new_agent("Huda"), new_agent("Ravi")
    assignment_rule_save(
        actor=manager, name="Arabic", position=1, languages=["ar"], agents=[arabic]
    )
    assignment_rule_save(actor=manager, name="Everyone", position=2, agents=[rest])
    attendance_check_in(actor=rest)

    # when
    lead = capture(1, preferred_language="ar")

    # then
    assert lead.assignee_id == rest.pk


def test_without_rules_a_new_lead_is_unassigned(agency_a):
    lead = capture(1)
    assert lead.assignee_id is None
    assert lead_auto_assign(lead=lead) is None


def test_inactive_rules_and_inactive_members_are_ignored(agency_a):
    # given
    manager = member(agency_a, "manager")
    leaving, staying = new_agent("Leaving"), new_agent("Staying")
    off = assignment_rule_save(actor=manager, name="Off", position=0, agents=[leaving])
    AssignmentRule.objects.filter(pk=off.pk).update(is_active=False)
    assignment_rule_save(actor=manager, name="On", position=1, agents=[leaving, staying])
    Membership.objects.filter(pk=leaving.pk).update(is_active=False)

    # then
    assert [capture(i).assignee_id for i in range(2)] == [staying.pk, staying.pk]


def test_a_repeat_inquiry_keeps_its_assignee(agency_a):
    # given
    manager = member(agency_a, "manager")
    first, second = new_agent("First"), new_agent("Second")
    assignment_rule_save(actor=manager, name="Everyone", agents=[first, second])
    lead = capture(1)

    # when the same person writes again
    again = lead_capture(inquiry=Inquiry(source="email", phones=["+971500000001"])).lead

    # then
    assert again.pk == lead.pk and again.assignee_id == lead.assignee_id


def test_manual_reassignment_writes_the_timeline_and_emails_the_assignee(
    agency_a, outbox, django_capture_on_commit_callbacks
):
    # given
    manager = member(agency_a, "manager")
    agent = member(agency_a, "agent")
    lead = capture(1, full_name="Fatima O'Neil")

    # when
    with django_capture_on_commit_callbacks(execute=True):
        lead_assign(lead=lead, assignee=agent, actor=manager)

    # then
    lead.refresh_from_db()
    assert lead.assignee_id == agent.pk
    activity = lead.activities.filter(kind=LeadActivity.Kind.ASSIGNED).get()
    assert activity.actor_id == manager.pk and activity.data["assignee_id"] == agent.pk
    assert activity.data["notified_at"]
    emails = [e for e in outbox("email") if agency_a.users["agent"].email in e["to"]]
    assert len(emails) == 1
    assert emails[0]["subject"] == "New lead for you: Fatima O'Neil"
    assert "Name: Fatima O'Neil" in emails[0]["text"]
    assert f"/leads/{lead.pk}/" in emails[0]["text"]


def test_the_notification_is_sent_once_even_if_the_task_runs_twice(
    agency_a, outbox, django_capture_on_commit_callbacks
):
    # given
    from core.tasks import email_send
    from leads.services.assignment import ASSIGNMENT_EMAIL

    lead = capture(1)
    with django_capture_on_commit_callbacks(execute=True):
        lead_assign(lead=lead, assignee=member(agency_a, "agent"), actor=member(agency_a, "admin"))
    activity = lead.activities.get(kind=LeadActivity.Kind.ASSIGNED)

    # when
    email_send.delay(ASSIGNMENT_EMAIL, activity.pk)

    # then
    assert len(outbox("email")) == 1


def test_a_stale_notification_is_dropped_after_another_reassignment(
    agency_a, outbox, django_capture_on_commit_callbacks
):
    # given two reassignments in one go; only the latest assignee hears about it
    manager = member(agency_a, "manager")
    lead = capture(1)
    with django_capture_on_commit_callbacks(execute=True):
        lead_assign(lead=lead, assignee=member(agency_a, "agent"), actor=manager)
        lead_assign(lead=lead, assignee=member(agency_a, "admin"), actor=manager)

    # then
    recipients = [e["to"] for e in outbox("email")]
    assert recipients == [[agency_a.users["admin"].email]]


def test_round_robin_notifies_the_agent(agency_a, outbox, django_capture_on_commit_callbacks):
    # given
    manager = member(agency_a, "manager")
    assignment_rule_save(actor=manager, name="Everyone", agents=[member(agency_a, "agent")])

    # when
    with django_capture_on_commit_callbacks(execute=True):
        capture(1)

    # then
    assert [e["to"] for e in outbox("email")] == [[agency_a.users["agent"].email]]


def test_an_agent_cannot_reassign_and_nobody_gets_a_non_member(agency_a):
    # given
    lead = capture(1)
    agent = member(agency_a, "agent")
    officer = member(agency_a, "privacy_officer")

    # then
    with pytest.raises(ValidationError, match="manager or an admin"):
        lead_assign(lead=lead, assignee=agent, actor=agent)
    with pytest.raises(ValidationError) as error:
        lead_assign(lead=lead, assignee=officer, actor=member(agency_a, "manager"))
    assert "assignee" in error.value.message_dict
    lead.refresh_from_db()
    assert lead.assignee_id is None
    assert not lead.activities.filter(kind=LeadActivity.Kind.ASSIGNED).exists()


def test_rule_validation_names_each_problem(agency_a):
    manager = member(agency_a, "manager")
    with pytest.raises(ValidationError) as error:
        assignment_rule_save(actor=manager, name=" ", sources=["fax"], agents=[])
    assert set(error.value.message_dict) == {"name", "sources", "agents"}
    with pytest.raises(ValidationError, match="manager or an admin"):
        assignment_rule_save(
            actor=member(agency_a, "agent"), name="Mine", agents=[member(agency_a, "agent")]
        )
    assert AssignmentRule.objects.count() == 0


# --- The settings page ----------------------------------------------------------------------


def test_who_may_open_the_assignment_page(client_for, agency_a):
    assert client_for(agency_a).get("/settings/assignment/").status_code == 302
    assert client_for(agency_a, "agent").get("/settings/assignment/").status_code == 403
    assert client_for(agency_a, "privacy_officer").get("/settings/assignment/").status_code == 403
    assert client_for(agency_a, "manager").get("/settings/assignment/").status_code == 200
    assert client_for(agency_a, "admin").get("/settings/assignment/").status_code == 200


def test_a_manager_adds_edits_and_deletes_a_rule(client_for, agency_a):
    # given
    client = client_for(agency_a, "manager")
    agent = member(agency_a, "agent")

    # when
    created = client.post(
        "/settings/assignment/rules/new/",
        {
            "name": "Arabic speakers",
            "position": "1",
            "languages": ["ar"],
            "sources": ["meta", "website"],
            "communities": "Dubai Marina, JVC",
            "agents": [str(agent.pk)],
            "is_active": "on",
        },
    )

    # then
    assert created.status_code == 302
    rule = AssignmentRule.objects.get()
    assert (rule.name, rule.languages, rule.sources) == (
        "Arabic speakers",
        ["ar"],
        ["meta", "website"],
    )
    assert rule.communities == ["Dubai Marina", "JVC"]
    assert list(rule.agents.all()) == [agent]
    page = client.get("/settings/assignment/").content.decode()
    assert "Arabic speakers" in page and "Dubai Marina" in page and "Alpha Homes Agent" in page

    # when it is edited, then deleted
    form = client.get(f"/settings/assignment/rules/{rule.pk}/")
    assert form.status_code == 200 and 'value="Arabic speakers"' in form.content.decode()
    edited = client.post(
        f"/settings/assignment/rules/{rule.pk}/",
        {"name": "Arabic", "position": "2", "agents": [str(agent.pk)]},
    )
    assert edited.status_code == 302
    rule.refresh_from_db()
    assert (rule.name, rule.is_active, rule.languages) == ("Arabic", False, [])
    assert client.post(f"/settings/assignment/rules/{rule.pk}/delete/").status_code == 302
    assert not AssignmentRule.objects.exists()


def test_a_bad_rule_shows_errors_and_saves_nothing(client_for, agency_a):
    client = client_for(agency_a, "manager")

    response = client.post(
        "/settings/assignment/rules/new/",
        {"name": "", "position": "x", "sources": ["fax"], "agents": ["999999"]},
    )

    assert response.status_code == 400
    assert response.content.decode().count('class="field-error"') >= 3
    assert not AssignmentRule.objects.exists()


def test_only_an_admin_changes_attendance_and_the_target(client_for, agency_a):
    agency = agency_a.agency
    before = (agency.attendance_enabled, agency.first_response_target_minutes)
    try:
        manager = client_for(agency_a, "manager")
        admin = client_for(agency_a, "admin")

        refused = manager.post(
            "/settings/assignment/options/",
            {"attendance_enabled": "on", "first_response_target_minutes": "5"},
        )
        bad = admin.post("/settings/assignment/options/", {"first_response_target_minutes": "0"})
        saved = admin.post(
            "/settings/assignment/options/",
            {"attendance_enabled": "on", "first_response_target_minutes": "30"},
        )

        assert refused.status_code == 403
        assert bad.status_code == 400
        assert saved.status_code == 302
        agency.refresh_from_db()
        assert agency.attendance_enabled and agency.first_response_target_minutes == 30
    finally:
        agency.attendance_enabled, agency.first_response_target_minutes = before

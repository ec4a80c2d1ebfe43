"""The first-response clock, overdue leads, and the Reports page's medians and percentiles."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts import services as account_services
from accounts.models import Membership
from leads.models import Lead, LeadActivity, PipelineStage
from leads.selectors.reports import duration_short, response_time_report
from leads.selectors.response import (
    lead_first_response_overdue,
    leads_awaiting_first_response,
    leads_unassigned,
)
from leads.services import Inquiry, lead_capture
from leads.services.assignment import lead_assign
from leads.services.response import lead_record_contact


def member(fixture, role: str) -> Membership:
    return Membership.objects.get(user_id=fixture.users[role].pk)


def new_agent(name: str) -> Membership:
    user = account_services.user_create(
        email=f"{name.lower().replace(' ', '.')}@agents.test", password=None, full_name=name
    )
    return account_services.membership_create(user=user, role="agent")


def lead_created_ago(n: int, *, ago: timedelta, **fields) -> Lead:
    lead = lead_capture(
        inquiry=Inquiry(source=fields.pop("source", "website"), phones=[f"+97150{n:07d}"], **fields)
    ).lead
    Lead.objects.filter(pk=lead.pk).update(created_at=timezone.now() - ago)
    lead.refresh_from_db()
    return lead


# --- The clock ------------------------------------------------------------------------------


def test_the_first_contact_stops_the_clock_once(agency_a):
    # given a lead assigned to the agent, ten minutes old
    agent = member(agency_a, "agent")
    lead = lead_created_ago(1, ago=timedelta(minutes=10))
    lead_assign(lead=lead, assignee=agent, actor=member(agency_a, "manager"))

    # when the agent calls, then sends a WhatsApp a minute later
    first = lead_record_contact(lead=lead, actor=agent, channel="call", note="No answer")
    lead_record_contact(lead=lead, actor=agent, channel="whatsapp")

    # then the call is the first response, and both are on the timeline
    lead.refresh_from_db()
    assert lead.first_response_at == datetime.fromisoformat(first.data["at"])
    assert lead.first_response_channel == "call"
    contacts = list(lead.activities.filter(kind=LeadActivity.Kind.CONTACT))
    assert [c.data["channel"] for c in contacts] == ["call", "whatsapp"]
    assert [c.data["first_response"] for c in contacts] == [True, False]
    assert contacts[0].data["note"] == "No answer" and contacts[0].actor_id == agent.pk


def test_a_contact_before_the_lead_existed_does_not_count(agency_a):
    # given
    lead = lead_created_ago(1, ago=timedelta(minutes=5))

    # when messaging backfills a message from an hour ago
    lead_record_contact(
        lead=lead, actor=None, channel="sms", at=timezone.now() - timedelta(hours=1)
    )

    # then it is on the timeline but the clock still runs
    lead.refresh_from_db()
    assert lead.first_response_at is None
    assert lead.activities.filter(kind=LeadActivity.Kind.CONTACT).count() == 1


def test_the_same_reference_twice_is_recorded_once(agency_a):
    # given
    lead = lead_created_ago(1, ago=timedelta(minutes=5))

    # when messaging delivers the same sent message twice
    one = lead_record_contact(lead=lead, actor=None, channel="whatsapp", reference="SM123")
    two = lead_record_contact(lead=lead, actor=None, channel="whatsapp", reference="SM123")

    # then
    assert one.pk == two.pk
    assert lead.activities.filter(kind=LeadActivity.Kind.CONTACT).count() == 1


def test_a_late_report_of_an_earlier_contact_moves_the_clock_back(agency_a):
    # given a lead first contacted by email 20 minutes after it arrived
    lead = lead_created_ago(1, ago=timedelta(minutes=30))
    lead_record_contact(
        lead=lead, actor=None, channel="email", at=lead.created_at + timedelta(minutes=20)
    )

    # when messaging reports a WhatsApp sent 2 minutes after it arrived
    lead_record_contact(
        lead=lead, actor=None, channel="whatsapp", at=lead.created_at + timedelta(minutes=2)
    )

    # then
    lead.refresh_from_db()
    assert lead.first_response_at == lead.created_at + timedelta(minutes=2)
    assert lead.first_response_channel == "whatsapp"


def test_bad_contacts_are_refused_and_change_nothing(agency_a):
    # given
    lead = lead_created_ago(1, ago=timedelta(minutes=5))
    other_agent = new_agent("Other")

    # then
    with pytest.raises(ValidationError) as bad:
        lead_record_contact(lead=lead, actor=None, channel="pigeon", note="x" * 2001)
    assert set(bad.value.message_dict) == {"channel", "note"}
    with pytest.raises(ValidationError, match="your own leads"):
        lead_record_contact(lead=lead, actor=other_agent, channel="call")
    lead.refresh_from_db()
    assert lead.first_response_at is None
    assert not lead.activities.filter(kind=LeadActivity.Kind.CONTACT).exists()


def test_a_contact_with_a_merged_lead_lands_on_the_surviving_lead(agency_a):
    # given
    kept = lead_created_ago(1, ago=timedelta(minutes=5))
    merged = lead_created_ago(2, ago=timedelta(minutes=5))
    Lead.objects.filter(pk=merged.pk).update(merged_into=kept)
    merged.refresh_from_db()

    # when
    lead_record_contact(lead=merged, actor=None, channel="call")

    # then
    kept.refresh_from_db()
    assert kept.first_response_channel == "call"
    assert kept.activities.filter(kind=LeadActivity.Kind.CONTACT).count() == 1


# --- Overdue --------------------------------------------------------------------------------


def test_leads_past_the_target_without_a_contact_are_overdue(agency_a):
    # given a 15-minute target and four leads
    agent = member(agency_a, "agent")
    manager = member(agency_a, "manager")
    fresh = lead_created_ago(1, ago=timedelta(minutes=5))
    late = lead_created_ago(2, ago=timedelta(minutes=20))
    very_late = lead_created_ago(3, ago=timedelta(hours=3))
    answered = lead_created_ago(4, ago=timedelta(hours=1))
    lost = lead_created_ago(5, ago=timedelta(hours=2))
    lead_record_contact(lead=answered, actor=None, channel="call")
    Lead.objects.filter(pk=lost.pk).update(stage=PipelineStage.objects.get(kind="lost"))
    for lead in (late, fresh):
        lead_assign(lead=lead, assignee=agent, actor=manager)

    # then managers see every overdue lead, the longest waiting first; agents their own
    assert list(leads_awaiting_first_response(actor=manager)) == [very_late, late]
    assert list(leads_awaiting_first_response(actor=agent)) == [late]
    assert lead_first_response_overdue(Lead.objects.get(pk=late.pk))
    assert not lead_first_response_overdue(Lead.objects.get(pk=fresh.pk))
    assert not lead_first_response_overdue(Lead.objects.get(pk=answered.pk))


def test_the_agency_target_decides_what_is_overdue(agency_a):
    # given a lead 20 minutes old
    manager = member(agency_a, "manager")
    lead = lead_created_ago(1, ago=timedelta(minutes=20))
    before = agency_a.agency.first_response_target_minutes

    # when the target is an hour
    agency_a.agency.first_response_target_minutes = 60
    try:
        overdue = list(leads_awaiting_first_response(actor=manager))
    finally:
        agency_a.agency.first_response_target_minutes = before

    # then
    assert overdue == []
    assert list(leads_awaiting_first_response(actor=manager)) == [lead]


def test_only_managers_see_unassigned_leads(agency_a):
    lead = lead_created_ago(1, ago=timedelta(minutes=1))
    assert list(leads_unassigned(actor=member(agency_a, "manager"))) == [lead]
    assert list(leads_unassigned(actor=member(agency_a, "agent"))) == []


# --- Report ---------------------------------------------------------------------------------


def answered_after(n: int, minutes: float, *, assignee: Membership | None, source: str = "website"):
    lead = lead_created_ago(n, ago=timedelta(days=1), source=source)
    if assignee is not None:
        Lead.objects.filter(pk=lead.pk).update(assignee=assignee)
    lead_record_contact(
        lead=lead, actor=None, channel="call", at=lead.created_at + timedelta(minutes=minutes)
    )
    return lead


def test_median_and_90th_percentile_per_agent_and_source(agency_a):
    # given Huda answered in 1, 2, 3, 4 and 10 minutes, Omar in 30 and 50, and one lead of
    # Omar's from Meta never answered
    huda, omar = new_agent("Huda"), new_agent("Omar")
    for n, minutes in enumerate([1, 2, 3, 4, 10]):
        answered_after(n, minutes, assignee=huda)
    answered_after(10, 30, assignee=omar, source="meta")
    answered_after(11, 50, assignee=omar, source="meta")
    waiting = lead_created_ago(12, ago=timedelta(days=1), source="meta")
    Lead.objects.filter(pk=waiting.pk).update(assignee=omar)
    today = timezone.localdate()

    # when
    report = response_time_report(date_from=today - timedelta(days=7), date_to=today)

    # then (percentile_cont interpolates: p90 of 1,2,3,4,10 = 4 + 0.6 * 6 = 7.6 minutes)
    agents = {row.label: row for row in report.by_agent}
    assert agents["Huda"].median_seconds == pytest.approx(180)
    assert agents["Huda"].p90_seconds == pytest.approx(7.6 * 60)
    assert (agents["Huda"].leads, agents["Huda"].contacted, agents["Huda"].waiting) == (5, 5, 0)
    assert agents["Huda"].within_target == 5
    assert agents["Omar"].median_seconds == pytest.approx(40 * 60)
    assert agents["Omar"].p90_seconds == pytest.approx(48 * 60)
    assert (agents["Omar"].leads, agents["Omar"].contacted, agents["Omar"].waiting) == (3, 2, 1)
    assert agents["Omar"].within_target_percent == 0
    assert [row.label for row in report.by_agent] == ["Omar", "Huda"]  # slowest first
    sources = {row.key: row for row in report.by_source}
    assert sources["meta"].median_seconds == pytest.approx(40 * 60)
    assert sources["website"].leads == 5
    assert report.total.leads == 8 and report.total.contacted == 7 and report.total.waiting == 1
    assert report.total.median_seconds == pytest.approx(4 * 60)


def test_the_report_counts_only_leads_created_in_the_range(agency_a):
    # given one lead 40 days ago and one yesterday
    lead_created_ago(1, ago=timedelta(days=40))
    lead_created_ago(2, ago=timedelta(days=1))
    today = timezone.localdate()

    # then
    assert (
        response_time_report(date_from=today - timedelta(days=29), date_to=today).total.leads == 1
    )
    assert response_time_report(date_from=today, date_to=today).total.leads == 0


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, "—"),
        (42, "42 s"),
        (60 * 12, "12 min"),
        (3600 + 300, "1 h 5 min"),
        (3600 * 2, "2 h"),
        (86400 * 2 + 3600 * 4, "2 d 4 h"),
    ],
)
def test_durations_read_naturally(seconds, text):
    assert duration_short(seconds) == text


# --- The Reports page -----------------------------------------------------------------------


def test_managers_see_the_report_and_agents_cannot_open_it(client_for, agency_a):
    # given
    huda = new_agent("Huda Saleh")
    answered_after(1, 3, assignee=huda)

    # when
    page = client_for(agency_a, "manager").get("/reports/")
    agent_page = client_for(agency_a, "agent").get("/reports/")
    anonymous = client_for(agency_a).get("/reports/")

    # then
    assert page.status_code == 200
    html = page.content.decode()
    assert "Huda Saleh" in html and "3 min" in html
    assert agent_page.status_code == 403
    assert anonymous.status_code == 302


def test_the_report_range_is_validated_and_htmx_gets_the_partial(client_for, agency_a):
    client = client_for(agency_a, "admin")

    swapped = client.get("/reports/?date_from=2026-05-10&date_to=2026-05-01")
    nonsense = client.get("/reports/?date_from=yesterday")
    too_long = client.get("/reports/?date_from=2020-01-01&date_to=2026-01-01")
    partial = client.get(
        "/reports/?date_from=2026-01-01&date_to=2026-01-31", HTTP_HX_REQUEST="true"
    )

    assert swapped.status_code == 200 and "Swap them" in swapped.content.decode()
    assert nonsense.status_code == 200 and 'aria-invalid="true"' in nonsense.content.decode()
    assert "at most 366 days" in too_long.content.decode()
    assert partial.status_code == 200
    body = partial.content.decode()
    assert body.lstrip().startswith('<div id="report"') and "<html" not in body
    assert 'value="2026-01-01"' in body

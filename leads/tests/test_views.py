"""The lead pages as a browser sees them: roles, visibility, htmx partials, bad input, and two
agencies side by side."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from accounts.models import Membership
from leads import services
from leads.models import FollowUp, Lead, LeadActivity, LeadAttachment, LeadNote, PipelineStage
from leads.services import Inquiry, lead_capture

HTMX = {"HTTP_HX_REQUEST": "true"}


def member(fixture, role: str) -> Membership:
    with schema_context(fixture.schema_name):
        return Membership.objects.get(user_id=fixture.users[role].pk)


def make_lead(fixture, *, name="Ahmed Khan", phone="050 123 4567", assignee_role=None, **extra):
    with schema_context(fixture.schema_name):
        lead = lead_capture(
            inquiry=Inquiry(
                source=extra.pop("source", "website"), full_name=name, phones=[phone], **extra
            )
        ).lead
        if assignee_role:
            Lead.objects.filter(pk=lead.pk).update(assignee=member(fixture, assignee_role))
            lead.refresh_from_db()
    connection.set_schema_to_public()
    return lead


def lead_urls(lead_id: int, other_id: int = 1, task_id: int = 1, file_id: int = 1) -> list:
    """Every URL of one lead, with the method it answers."""
    base = f"/leads/{lead_id}"
    return [
        ("get", f"{base}/"),
        ("post", f"{base}/stage/"),
        ("post", f"{base}/assign/"),
        ("post", f"{base}/notes/"),
        ("post", f"{base}/tasks/"),
        ("post", f"{base}/tasks/{task_id}/toggle/"),
        ("post", f"{base}/attachments/"),
        ("get", f"{base}/attachments/{file_id}/"),
        ("post", f"{base}/tags/"),
        ("get", f"{base}/contact/"),
        ("post", f"{base}/contact/"),
        ("get", f"{base}/merge/"),
        ("post", f"{base}/merge/"),
    ]


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


# --- who may open what ------------------------------------------------------------------------


def test_signed_out_goes_to_sign_in_and_privacy_officer_is_refused(agency_a, client_for):
    lead = make_lead(agency_a)
    response = client_for(agency_a).get("/leads/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    officer = client_for(agency_a, "privacy_officer")
    assert officer.get("/leads/").status_code == 403
    assert officer.get(f"/leads/{lead.pk}/").status_code == 403


def test_pages_render_for_every_role_that_works_leads(agency_a, client_for):
    lead = make_lead(agency_a, assignee_role="agent")
    for role in ("admin", "manager", "agent"):
        client = client_for(agency_a, role)
        for path in (
            "/",
            "/leads/",
            f"/leads/{lead.pk}/",
            "/leads/new/",
            f"/leads/{lead.pk}/merge/",
            f"/leads/{lead.pk}/contact/?channel=call",
        ):
            response = client.get(path)
            assert response.status_code == 200, (role, path)


def test_agent_lists_only_own_leads_and_gets_404_for_anyone_elses(agency_a, client_for):
    mine = make_lead(agency_a, name="Mine Person", phone="050 100 0001", assignee_role="agent")
    theirs = make_lead(agency_a, name="Their Person", phone="050 100 0002", assignee_role="manager")
    agent = client_for(agency_a, "agent")

    html = agent.get("/leads/").content.decode()
    assert "Mine Person" in html and "Their Person" not in html
    for method, url in lead_urls(theirs.pk):
        assert getattr(agent, method)(url).status_code == 404, url
    assert agent.get(f"/leads/{mine.pk}/").status_code == 200

    manager_html = client_for(agency_a, "manager").get("/leads/").content.decode()
    assert "Mine Person" in manager_html and "Their Person" in manager_html


def test_a_lead_of_another_agency_is_404_on_every_lead_url(agency_a, agency_b, client_for):
    # given a lead in B with a task and a file, and a lead in A with the same ids around
    with schema_context(agency_b.schema_name):
        foreign = lead_capture(
            inquiry=Inquiry(source="website", full_name="Bravo Secret", phones=["050 999 8888"])
        ).lead
        manager_b = Membership.objects.get(user_id=agency_b.users["manager"].pk)
        follow_up = services.follow_up_create(lead=foreign, actor=manager_b, title="B task")
        note = services.lead_note_add(lead=foreign, actor=manager_b, body="B note")
    connection.set_schema_to_public()
    client = client_for(agency_a, "admin")

    # when every lead URL of A's host is tried with B's ids
    for method, url in lead_urls(foreign.pk, other_id=foreign.pk, task_id=follow_up.pk):
        response = getattr(client, method)(url, {"body": "x", "stage": "1", "other": foreign.pk})
        assert response.status_code == 404, url

    # then nothing in B changed and nothing of B shows in A's list
    with schema_context(agency_b.schema_name):
        assert LeadNote.objects.filter(lead_id=foreign.pk).count() == 1
        assert LeadNote.objects.get(pk=note.pk).body == "B note"
        assert FollowUp.objects.get(pk=follow_up.pk).done_at is None
    assert "Bravo Secret" not in client.get("/leads/?q=bravo").content.decode()


# --- the list ---------------------------------------------------------------------------------


def test_list_filters_search_and_bad_filters(agency_a, client_for):
    make_lead(agency_a, name="Ahmed Khan", phone="050 123 4567", source="meta")
    make_lead(agency_a, name="سارة الكعبي", phone="055 765 4321", source="website")
    client = client_for(agency_a, "manager")

    html = client.get("/leads/", {"q": "050 123"}).content.decode()
    assert "Ahmed Khan" in html and "سارة" not in html
    html = client.get("/leads/", {"q": "ساره"}).content.decode()
    assert "سارة الكعبي" in html and "Ahmed Khan" not in html
    html = client.get("/leads/", {"source": "website"}).content.decode()
    assert "سارة الكعبي" in html and "Ahmed Khan" not in html

    # nonsense in the query string is ignored with a message, never a server error
    response = client.get(
        "/leads/",
        {"stage": "abc", "created_from": "yesterday", "budget_min": "lots", "cursor": "'; --"},
    )
    assert response.status_code == 200
    assert "Some filters were not understood" in response.content.decode()
    assert "Ahmed Khan" in response.content.decode()


def test_list_pages_by_cursor_without_counting(agency_a, client_for):
    for i in range(30):
        make_lead(agency_a, name=f"Person {i:02d}", phone=f"050 555 00{i:02d}")
    client = client_for(agency_a, "manager")

    with CaptureQueriesContext(connection) as queries:
        first = client.get("/leads/")
    assert not any("COUNT(" in q["sql"].upper() for q in queries.captured_queries)
    html = first.content.decode()
    assert "Person 29" in html and "Person 04" not in html
    next_url = first.context["next_url"]
    assert next_url and "cursor=" in next_url

    # htmx asks for the next rows only; they carry their own "more" link while any are left
    more = client.get("/leads/" + next_url, **HTMX)
    rows = more.content.decode()
    assert "<html" not in rows and "Person 04" in rows and "Person 29" not in rows
    assert 'id="lead-more"' not in rows


def test_htmx_filtering_returns_the_results_partial(agency_a, client_for):
    make_lead(agency_a, name="Ahmed Khan")
    response = client_for(agency_a, "manager").get("/leads/", {"q": "khan"}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="lead-results"') and "<html" not in html
    assert "Ahmed Khan" in html


def test_bulk_assign_stage_tag_and_export(agency_a, client_for, outbox):
    leads = [make_lead(agency_a, name=f"Bulk {i}", phone=f"050 600 00{i:02d}") for i in range(3)]
    ids = [lead.pk for lead in leads]
    agent = member(agency_a, "agent")
    client = client_for(agency_a, "manager")
    with schema_context(agency_a.schema_name):
        lost = PipelineStage.objects.get(name="Lost")

    response = client.post(
        "/leads/bulk/", {"action": "assign", "lead": ids, "assignee": agent.pk, "query": "q=bulk"}
    )
    assert response.status_code == 302 and response["Location"] == "/leads/?q=bulk"
    client.post("/leads/bulk/", {"action": "stage", "lead": ids, "stage": lost.pk})
    client.post("/leads/bulk/", {"action": "tag", "lead": ids, "tag": "expo"})
    with schema_context(agency_a.schema_name):
        rows = list(Lead.objects.filter(pk__in=ids).values_list("assignee_id", "stage_id", "tags"))
    # a lost stage without a reason moved nothing
    assert rows == [(agent.pk, leads[0].stage_id, ["expo"])] * 3

    export = client.post("/leads/bulk/", {"action": "export", "lead": ids})
    assert export["Content-Type"].startswith("text/csv")
    body = b"".join(export.streaming_content).decode("utf-8-sig")
    assert {row["name"] for row in csv.DictReader(io.StringIO(body))} == {
        "Bulk 0",
        "Bulk 1",
        "Bulk 2",
    }

    # an agent cannot export or reassign, even by forging the form
    agent_client = client_for(agency_a, "agent")
    refused = agent_client.post("/leads/bulk/", {"action": "export", "lead": ids})
    assert refused.status_code == 302
    refused = agent_client.post(
        "/leads/bulk/", {"action": "assign", "lead": ids, "assignee": member(agency_a, "admin").pk}
    )
    with schema_context(agency_a.schema_name):
        assert set(Lead.objects.values_list("assignee_id", flat=True)) == {agent.pk}


def test_saved_views(agency_a, client_for):
    client = client_for(agency_a, "agent")
    client.post("/leads/views/", {"name": "Marina cash buyers", "query": "tag=hot&community=JVC"})
    html = client.get("/leads/").content.decode()
    assert "Marina cash buyers" in html and "?tag=hot&amp;community=JVC" in html
    assert (
        "Marina cash buyers" not in client_for(agency_a, "manager").get("/leads/").content.decode()
    )


def test_new_lead_by_hand(agency_a, client_for):
    client = client_for(agency_a, "agent")
    response = client.post(
        "/leads/new/", {"full_name": "Walk In", "phone": "050 777 1234", "interest": "buy"}
    )
    with schema_context(agency_a.schema_name):
        lead = Lead.objects.get(full_name="Walk In")
        assert lead.source == "manual" and lead.assignee_id == member(agency_a, "agent").pk
    assert response["Location"] == f"/leads/{lead.pk}/"

    bad = client.post("/leads/new/", {"full_name": "No Contact", "phone": "12"})
    assert bad.status_code == 400
    assert "is not a valid phone number" in bad.content.decode()


# --- the lead page ----------------------------------------------------------------------------


def test_stage_change_and_lost_needs_a_reason(agency_a, client_for):
    lead = make_lead(agency_a, assignee_role="agent")
    client = client_for(agency_a, "agent")
    with schema_context(agency_a.schema_name):
        lost = PipelineStage.objects.get(name="Lost")
        viewing = PipelineStage.objects.get(name="Viewing")

    refused = client.post(f"/leads/{lead.pk}/stage/", {"stage": lost.pk}, **HTMX)
    assert refused.status_code == 200
    assert "Say why the lead was lost" in refused.content.decode()
    with schema_context(agency_a.schema_name):
        assert Lead.objects.get(pk=lead.pk).stage.name == "New"

    moved = client.post(f"/leads/{lead.pk}/stage/", {"stage": viewing.pk})
    assert moved.status_code == 302
    with schema_context(agency_a.schema_name):
        assert Lead.objects.get(pk=lead.pk).stage_id == viewing.pk


def test_lead_page_names_stages_and_source_details_in_the_readers_language(agency_a, client_for):
    lead = make_lead(
        agency_a,
        assignee_role="agent",
        source_details={
            "form_name": "Marina contact page",
            "utm_source": "google",
            "x": "not-a-detail-to-show",
        },
    )
    client = client_for(agency_a, "agent")
    with schema_context(agency_a.schema_name):
        contacted = PipelineStage.objects.get(name="Contacted")
    client.post(f"/leads/{lead.pk}/stage/", {"stage": contacted.pk})
    with schema_context(agency_a.schema_name):
        # renamed after the move: the timeline shows the stage as it is called now
        PipelineStage.objects.filter(pk=contacted.pk).update(name="Reached", name_ar="تم الوصول")

    english = client.get(f"/leads/{lead.pk}/").content.decode()
    assert "Stage changed from New to Reached" in english
    assert "Form: <bdi>Marina contact page</bdi>" in english
    assert "UTM source: <bdi>google</bdi>" in english
    assert "not-a-detail-to-show" not in english

    user = agency_a.users["agent"]
    user.language = "ar"
    user.save(update_fields=["language"])
    try:
        arabic = client.get(f"/leads/{lead.pk}/").content.decode()
    finally:
        user.language = "en"
        user.save(update_fields=["language"])
    assert "تغيّرت المرحلة من جديد إلى تم الوصول" in arabic
    assert "النموذج: <bdi>Marina contact page</bdi>" in arabic
    assert "form_name" not in arabic and "form name" not in arabic


def test_htmx_note_returns_the_card_and_the_timeline_out_of_band(agency_a, client_for):
    lead = make_lead(agency_a, assignee_role="agent")
    response = client_for(agency_a, "agent").post(
        f"/leads/{lead.pk}/notes/", {"body": "Prefers a marina view"}, **HTMX
    )
    html = response.content.decode()
    assert 'id="note-card"' in html
    assert 'id="timeline" hx-swap-oob="true"' in html and "Prefers a marina view" in html
    assert "<html" not in html


def test_tasks_from_the_lead_page(agency_a, client_for):
    lead = make_lead(agency_a, assignee_role="agent")
    client = client_for(agency_a, "agent")
    response = client.post(
        f"/leads/{lead.pk}/tasks/",
        {"title": "Send brochure", "due_date": "2099-01-05", "due_time": "10:30", "remind": "60"},
        **HTMX,
    )
    assert "Send brochure" in response.content.decode()
    with schema_context(agency_a.schema_name):
        follow_up = FollowUp.objects.get()
        assert follow_up.due_at.isoformat() == "2099-01-05T06:30:00+00:00"  # 10:30 in Dubai
        assert (follow_up.due_at - follow_up.remind_at).total_seconds() == 3600
    client.post(f"/leads/{lead.pk}/tasks/{follow_up.pk}/toggle/")
    with schema_context(agency_a.schema_name):
        assert FollowUp.objects.get().done_at is not None

    refused = client.post(f"/leads/{lead.pk}/tasks/", {"title": "x", "remind": "60"}, **HTMX)
    assert "Set a due date to get a reminder" in refused.content.decode()


def test_attachment_upload_and_download(agency_a, client_for, media):
    lead = make_lead(agency_a, assignee_role="agent")
    client = client_for(agency_a, "agent")

    bad = client.post(
        f"/leads/{lead.pk}/attachments/",
        {"file": SimpleUploadedFile("passport.pdf", b"\x89PNG\r\n\x1a\nnot a pdf")},
    )
    assert bad.status_code == 400
    assert "is not really a PDF file inside" in bad.content.decode()

    huge = client.post(
        f"/leads/{lead.pk}/attachments/",
        {"file": SimpleUploadedFile("scan.pdf", b"%PDF-1.4" + b"0" * (11 * 1024 * 1024))},
    )
    assert huge.status_code == 413 and "over 10 MB" in huge.content.decode()

    client.post(
        f"/leads/{lead.pk}/attachments/",
        {"file": SimpleUploadedFile("offer.pdf", b"%PDF-1.4 hello")},
    )
    with schema_context(agency_a.schema_name):
        attachment = LeadAttachment.objects.get()
    download = client.get(f"/leads/{lead.pk}/attachments/{attachment.pk}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"%PDF-1.4 hello"
    assert 'filename="offer.pdf"' in download["Content-Disposition"]
    other = client_for(agency_a, "manager")
    assert other.get(f"/leads/{lead.pk}/attachments/{attachment.pk + 1}/").status_code == 404


def test_logging_a_call_stops_the_response_clock(agency_a, client_for):
    lead = make_lead(agency_a, assignee_role="agent")
    client = client_for(agency_a, "agent")

    prompt = client.get(f"/leads/{lead.pk}/contact/?channel=whatsapp&from=list", **HTMX)
    assert 'value="whatsapp" checked' in prompt.content.decode()
    response = client.post(
        f"/leads/{lead.pk}/contact/", {"channel": "call", "note": "Wants JVC"}, **HTMX
    )
    assert "Contact logged." in response.content.decode()
    with schema_context(agency_a.schema_name):
        lead.refresh_from_db()
        assert lead.first_response_channel == "call"
        assert lead.activities.filter(kind=LeadActivity.Kind.CONTACT).count() == 1

    bad = client.post(f"/leads/{lead.pk}/contact/", {"channel": "pigeon"})
    assert bad.status_code == 400


def test_merge_from_the_lead_page(agency_a, client_for):
    keep = make_lead(agency_a, name="Ahmed Khan", phone="050 123 4567", assignee_role="agent")
    dup = make_lead(agency_a, name="A. Khan", phone="055 000 1111", assignee_role="agent")
    client = client_for(agency_a, "agent")

    candidates = client.get(f"/leads/{keep.pk}/merge/", {"q": "0000 1111"}, **HTMX)
    assert f"?other={dup.pk}" in candidates.content.decode()
    confirm = client.get(f"/leads/{keep.pk}/merge/", {"other": dup.pk})
    assert "Merge leads" in confirm.content.decode()
    response = client.post(f"/leads/{keep.pk}/merge/", {"other": dup.pk})
    assert response["Location"] == f"/leads/{keep.pk}/"
    with schema_context(agency_a.schema_name):
        assert Lead.objects.get(pk=dup.pk).merged_into_id == keep.pk
        assert Lead.objects.get(pk=keep.pk).phones == ["+971501234567", "+971550001111"]
    # the old link of the merged lead leads to the one it lives on in
    assert client.get(f"/leads/{dup.pk}/")["Location"] == f"/leads/{keep.pk}/"


def test_tags_and_manual_assignment(agency_a, client_for, outbox):
    lead = make_lead(agency_a)
    client = client_for(agency_a, "manager")
    agent = member(agency_a, "agent")

    client.post(f"/leads/{lead.pk}/tags/", {"tags": "hot, cash buyer،  JVC"})
    client.post(f"/leads/{lead.pk}/assign/", {"assignee": agent.pk})
    with schema_context(agency_a.schema_name):
        lead.refresh_from_db()
    assert lead.tags == ["hot", "cash buyer", "JVC"]
    assert lead.assignee_id == agent.pk
    agent_client = client_for(agency_a, "agent")
    assert agent_client.post(f"/leads/{lead.pk}/assign/", {"assignee": "none"}).status_code == 403


# --- pipeline settings and the dashboard ------------------------------------------------------


def test_pipeline_settings_are_for_admins(agency_a, client_for):
    admin = client_for(agency_a, "admin")
    assert client_for(agency_a, "manager").get("/leads/pipeline/").status_code == 403
    assert admin.get("/leads/pipeline/").status_code == 200

    admin.post("/leads/pipeline/", {"name": "Negotiation", "name_ar": "تفاوض", "kind": "open"})
    with schema_context(agency_a.schema_name):
        stage = PipelineStage.objects.get(name="Negotiation")
        new = PipelineStage.objects.get(name="New")
    duplicate = admin.post("/leads/pipeline/", {"name": "new", "kind": "open"})
    assert duplicate.status_code == 400
    assert "already a stage with this name" in duplicate.content.decode()

    make_lead(agency_a)
    admin.post(f"/leads/pipeline/{new.pk}/delete/")
    admin.post(f"/leads/pipeline/{stage.pk}/delete/")
    with schema_context(agency_a.schema_name):
        assert PipelineStage.objects.filter(pk=new.pk).exists()
        assert not PipelineStage.objects.filter(pk=stage.pk).exists()


def test_dashboard_shows_new_leads_funnel_and_overdue_tasks(agency_a, client_for):
    lead = make_lead(agency_a, name="Fresh Lead", source="meta", assignee_role="agent")
    with schema_context(agency_a.schema_name):
        from datetime import timedelta

        from django.utils import timezone

        follow_up = services.follow_up_create(
            lead=lead, actor=member(agency_a, "agent"), title="Overdue call"
        )
        FollowUp.objects.filter(pk=follow_up.pk).update(due_at=timezone.now() - timedelta(hours=2))
    response = client_for(agency_a, "agent").get("/")
    figures = response.context["figures"]
    assert figures.new_today == 1
    assert [(row.source, row.today, row.week) for row in figures.by_source] == [("meta", 1, 1)]
    assert figures.funnel[0].stage.name == "New" and figures.funnel[0].count == 1
    assert figures.overdue_follow_up_count == 1
    assert "Overdue call" in response.content.decode()
    officer = client_for(agency_a, "privacy_officer").get("/")
    assert officer.status_code == 200 and officer.context["figures"] is None

"""Working a lead through the services: stage, notes, tasks and reminders, attachments, tags,
merging, bulk actions, the agency's stages and saved views."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from accounts.models import Membership
from leads import services
from leads.models import FollowUp, Lead, LeadActivity, LeadAttachment, LeadNote, PipelineStage
from leads.selectors.lists import LeadFilters, leads_page
from leads.services import Inquiry, lead_capture

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 32


def office_file(kind: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        if kind == "docx":
            archive.writestr("word/document.xml", "<w:document/>")
        else:
            archive.writestr("xl/workbook.xml", "<workbook/>")
    return buffer.getvalue()


@pytest.fixture
def team(agency_a):
    return {
        role: Membership.objects.get(user_id=agency_a.users[role].pk)
        for role in ("admin", "manager", "agent")
    }


def capture(name="Ahmed Khan", phone="050 123 4567", email="", assignee=None, **extra) -> Lead:
    lead = lead_capture(
        inquiry=Inquiry(
            source=extra.pop("source", "website"),
            full_name=name,
            phones=[phone] if phone else [],
            email=email,
            **extra,
        )
    ).lead
    if assignee is not None:
        Lead.objects.filter(pk=lead.pk).update(assignee=assignee)
        lead.refresh_from_db()
    return lead


def stage(name: str) -> PipelineStage:
    return PipelineStage.objects.get(name=name)


# --- stage ------------------------------------------------------------------------------------


def test_moving_a_lead_through_the_pipeline_is_on_its_timeline(team):
    # given
    lead = capture(assignee=team["agent"])

    # when
    services.lead_change_stage(lead=lead, stage=stage("Contacted"), actor=team["agent"])
    services.lead_change_stage(lead=lead, stage=stage("Viewing"), actor=team["agent"])

    # then
    lead.refresh_from_db()
    assert lead.stage.name == "Viewing"
    moves = list(lead.activities.filter(kind=LeadActivity.Kind.STAGE).order_by("id"))
    assert [(m.data["from"], m.data["to"]) for m in moves] == [
        ("New", "Contacted"),
        ("Contacted", "Viewing"),
    ]
    assert moves[0].actor_id == team["agent"].pk


def test_lost_needs_a_reason_and_leaving_lost_clears_it(team):
    lead = capture(assignee=team["agent"])

    with pytest.raises(ValidationError) as error:
        services.lead_change_stage(lead=lead, stage=stage("Lost"), actor=team["agent"])
    assert "lost_reason" in error.value.message_dict
    lead.refresh_from_db()
    assert lead.stage.name == "New"
    assert not lead.activities.filter(kind=LeadActivity.Kind.STAGE).exists()

    services.lead_change_stage(
        lead=lead, stage=stage("Lost"), actor=team["agent"], lost_reason="  Bought elsewhere "
    )
    lead.refresh_from_db()
    assert (lead.stage.name, lead.lost_reason) == ("Lost", "Bought elsewhere")

    services.lead_change_stage(lead=lead, stage=stage("Contacted"), actor=team["agent"])
    lead.refresh_from_db()
    assert lead.lost_reason == ""


def test_a_hidden_stage_is_not_offered_and_an_agent_works_only_their_leads(team):
    lead = capture(assignee=team["manager"])
    hidden = stage("Offer")
    PipelineStage.objects.filter(pk=hidden.pk).update(is_active=False)

    with pytest.raises(ValidationError):
        services.lead_change_stage(lead=lead, stage=hidden, actor=team["manager"])
    with pytest.raises(ValidationError):
        services.lead_change_stage(lead=lead, stage=stage("Contacted"), actor=team["agent"])


# --- notes and tasks --------------------------------------------------------------------------


def test_notes_are_required_and_land_on_the_timeline(team):
    lead = capture(assignee=team["agent"])
    with pytest.raises(ValidationError):
        services.lead_note_add(lead=lead, actor=team["agent"], body="   ")

    note = services.lead_note_add(lead=lead, actor=team["agent"], body="Wants a sea view")

    assert LeadNote.objects.get().body == "Wants a sea view"
    activity = lead.activities.get(kind=LeadActivity.Kind.NOTE)
    assert activity.data == {"note_id": note.pk}


def test_task_with_due_date_and_reminder_goes_to_the_leads_assignee(team):
    lead = capture(assignee=team["agent"])
    due = timezone.now() + timedelta(days=1)

    follow_up = services.follow_up_create(
        lead=lead,
        actor=team["manager"],
        title="Send the floor plan",
        due_at=due,
        remind_at=due - timedelta(hours=1),
    )

    assert follow_up.assignee_id == team["agent"].pk
    assert follow_up.remind_at == due - timedelta(hours=1)
    with pytest.raises(ValidationError) as error:
        services.follow_up_create(
            lead=lead,
            actor=team["agent"],
            title="Call",
            due_at=due,
            remind_at=timezone.now() - timedelta(minutes=5),
        )
    assert "remind_at" in error.value.message_dict

    services.follow_up_complete(follow_up=follow_up, actor=team["agent"])
    # twice changes nothing more
    services.follow_up_complete(follow_up=follow_up, actor=team["agent"])
    actions = list(
        lead.activities.filter(kind=LeadActivity.Kind.FOLLOW_UP).values_list(
            "data__action", flat=True
        )
    )
    assert actions == ["created", "done"]


def test_reminders_are_emailed_once_through_the_beat_fan_out(
    team, agency_a, outbox, django_capture_on_commit_callbacks
):
    from core.tasks import fan_out

    # given a task whose reminder time has come, one not yet due, and one done
    lead = capture(assignee=team["agent"])
    due = services.follow_up_create(
        lead=lead,
        actor=team["agent"],
        title="Call back about the villa & Ahmed's offer",
        due_at=timezone.now() + timedelta(minutes=30),
        remind_at=timezone.now() + timedelta(minutes=1),
    )
    later = services.follow_up_create(
        lead=lead,
        actor=team["agent"],
        title="Later",
        due_at=timezone.now() + timedelta(days=2),
        remind_at=timezone.now() + timedelta(days=1),
    )
    FollowUp.objects.filter(pk=due.pk).update(remind_at=timezone.now() - timedelta(seconds=5))

    # when the public dispatcher runs twice
    connection.set_schema_to_public()
    with django_capture_on_commit_callbacks(execute=True):
        fan_out("leads.tasks.follow_up_reminders_sweep")
        fan_out("leads.tasks.follow_up_reminders_sweep")
    connection.set_tenant(agency_a.agency)

    # then the assignee got exactly one email, about the due task only
    emails = outbox("email")
    assert len(emails) == 1
    assert emails[0]["to"] == [agency_a.users["agent"].email]
    assert "Call back about the villa & Ahmed's offer" in emails[0]["subject"]  # not escaped
    assert "Call back about the villa & Ahmed's offer" in emails[0]["text"]
    assert FollowUp.objects.get(pk=due.pk).reminded_at is not None
    assert FollowUp.objects.get(pk=later.pk).reminded_at is None


def test_a_reminder_the_provider_refuses_is_not_offered_every_minute(
    team, agency_a, outbox, django_capture_on_commit_callbacks
):
    from core.providers import fake_fail_next
    from leads.tasks import follow_up_reminders_sweep

    # given a due reminder, and a provider that refuses its email for good
    due = services.follow_up_create(
        lead=capture(assignee=team["agent"]),
        actor=team["agent"],
        title="Call back",
        due_at=timezone.now() + timedelta(minutes=30),
        remind_at=timezone.now() + timedelta(minutes=1),
    )
    FollowUp.objects.filter(pk=due.pk).update(remind_at=timezone.now() - timedelta(seconds=5))
    fake_fail_next("email", code="422", message="Invalid `to` field.")

    # when the sweep runs, then again a minute later
    with django_capture_on_commit_callbacks(execute=True):
        first = follow_up_reminders_sweep()
    cache.delete_pattern("lost-work:*")
    again = follow_up_reminders_sweep()

    # then it was tried once, and the follow-up says why no reminder went
    due.refresh_from_db()
    assert (first, again) == (1, 0)
    assert due.reminder_error == "422" and due.reminded_at is None
    assert outbox("email") == []


def test_the_reminder_sweep_refuses_to_run_without_an_agency(db):
    from core.tasks import MissingTenant
    from leads.tasks import follow_up_reminders_sweep

    connection.set_schema_to_public()
    with pytest.raises(MissingTenant):
        follow_up_reminders_sweep()


# --- attachments ------------------------------------------------------------------------------


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("offer.pdf", PDF, "application/pdf"),
        ("passport.JPG", JPEG, "image/jpeg"),
        ("plan.png", PNG, "image/png"),
        ("photo.heic", HEIC, "image/heic"),
        ("contract.docx", office_file("docx"), "application/vnd.openxmlformats-officedocument"),
        ("prices.xlsx", office_file("xlsx"), "application/vnd.openxmlformats-officedocument"),
    ],
)
def test_allowed_files_are_stored_under_a_random_name(team, media, name, content, content_type):
    lead = capture(assignee=team["agent"])

    attachment = services.lead_attachment_add(
        lead=lead, actor=team["agent"], upload=SimpleUploadedFile(name, content)
    )

    assert attachment.original_name == name
    assert attachment.content_type.startswith(content_type)
    assert attachment.size == len(content)
    assert name.split(".")[0] not in attachment.file.name
    assert (media / attachment.file.name).read_bytes() == content
    assert lead.activities.filter(kind=LeadActivity.Kind.ATTACHMENT).count() == 1


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("setup.exe", b"MZ\x90\x00", "Attach a PDF, JPG, PNG, HEIC, Word (.docx) or Excel"),
        ("offer.pdf", PNG, "is not really a PDF file inside"),
        ("photo.jpg", PDF, "is not really a JPG file inside"),
        ("contract.docx", office_file("xlsx"), "is not really a Word (.docx) file inside"),
        ("contract.docx", b"PK\x03\x04 broken zip", "is not really a Word (.docx) file inside"),
        ("empty.pdf", b"", "is empty"),
    ],
)
def test_wrong_files_are_refused_with_a_clear_message(team, media, name, content, message):
    lead = capture(assignee=team["agent"])

    with pytest.raises(ValidationError) as error:
        services.lead_attachment_add(
            lead=lead, actor=team["agent"], upload=SimpleUploadedFile(name, content)
        )

    assert message in " ".join(error.value.messages)
    assert not LeadAttachment.objects.exists()
    assert not any(media.rglob("*.*"))


def test_files_over_ten_megabytes_are_refused(team, media):
    lead = capture(assignee=team["agent"])
    big = SimpleUploadedFile("scan.pdf", PDF + b"0" * (10 * 1024 * 1024))

    with pytest.raises(ValidationError) as error:
        services.lead_attachment_add(lead=lead, actor=team["agent"], upload=big)

    assert "attachments can be at most 10 MB" in " ".join(error.value.messages)
    assert not LeadAttachment.objects.exists()


# --- merge ------------------------------------------------------------------------------------


def test_merge_moves_everything_unites_identities_and_hides_the_duplicate(team, media):
    # given two records of the same person, each with history
    target = capture(name="Ahmed Khan", phone="050 123 4567", assignee=team["agent"])
    duplicate = capture(
        name="",
        phone="055 987 6543",
        email="ahmed.k@example.com",
        assignee=team["agent"],
        budget_max=Decimal("2500000"),
    )
    services.lead_set_tags(lead=target, actor=team["agent"], tags=["hot"])
    services.lead_set_tags(lead=duplicate, actor=team["agent"], tags=["Hot", "cash buyer"])
    note = services.lead_note_add(lead=duplicate, actor=team["agent"], body="Prefers JVC")
    follow_up = services.follow_up_create(lead=duplicate, actor=team["agent"], title="Call back")
    attachment = services.lead_attachment_add(
        lead=duplicate, actor=team["agent"], upload=SimpleUploadedFile("id.pdf", PDF)
    )
    duplicate_activities = set(duplicate.activities.values_list("pk", flat=True))

    # when
    merged = services.lead_merge(target=target, duplicate=duplicate, actor=team["agent"])

    # then everything of the duplicate is on the target
    assert merged.pk == target.pk
    target.refresh_from_db()
    duplicate.refresh_from_db()
    assert target.phones == ["+971501234567", "+971559876543"]
    assert target.email == "ahmed.k@example.com"
    assert target.full_name == "Ahmed Khan"
    assert target.budget_max == Decimal("2500000")
    assert target.tags == ["hot", "cash buyer"]
    assert LeadNote.objects.get(pk=note.pk).lead_id == target.pk
    assert FollowUp.objects.get(pk=follow_up.pk).lead_id == target.pk
    assert LeadAttachment.objects.get(pk=attachment.pk).lead_id == target.pk
    assert duplicate_activities <= set(target.activities.values_list("pk", flat=True))
    merge_entry = target.activities.get(kind=LeadActivity.Kind.MERGED)
    assert merge_entry.data["merged_lead_id"] == duplicate.pk
    assert merge_entry.data["moved"]["notes"] == 1
    # and the duplicate is kept, pointing at the target, but never listed or found again
    assert duplicate.merged_into_id == target.pk
    assert not duplicate.activities.exists()
    page = leads_page(actor=team["manager"], filters=LeadFilters())
    assert [lead.pk for lead in page.leads] == [target.pk]
    assert leads_page(actor=team["manager"], filters=LeadFilters(query="6543")).leads == [target]
    again = lead_capture(inquiry=Inquiry(source="sms", phones=["+971 55 987 6543"]))
    assert again.lead.pk == target.pk and not again.created


def test_merge_refuses_itself_a_merged_lead_and_someone_elses_lead(team):
    mine = capture(phone="050 111 2222", assignee=team["agent"])
    other = capture(phone="050 333 4444", assignee=team["manager"])
    third = capture(phone="050 555 6666", assignee=team["agent"])

    with pytest.raises(ValidationError):
        services.lead_merge(target=mine, duplicate=mine, actor=team["agent"])
    with pytest.raises(ValidationError):
        services.lead_merge(target=mine, duplicate=other, actor=team["agent"])
    services.lead_merge(target=mine, duplicate=third, actor=team["agent"])
    with pytest.raises(ValidationError):
        services.lead_merge(target=other, duplicate=third, actor=team["manager"])


# --- bulk and export --------------------------------------------------------------------------


def test_bulk_assign_stage_and_tag(team, outbox):
    leads = [capture(phone=f"050 000 00{i:02d}") for i in range(3)]

    assigned = services.leads_bulk_assign(
        leads=leads, assignee=team["agent"], actor=team["manager"]
    )
    assert assigned == 3
    assert set(Lead.objects.values_list("assignee_id", flat=True)) == {team["agent"].pk}

    with pytest.raises(ValidationError):
        services.leads_bulk_change_stage(leads=leads, stage=stage("Lost"), actor=team["manager"])
    assert set(Lead.objects.values_list("stage__name", flat=True)) == {"New"}

    moved = services.leads_bulk_change_stage(
        leads=leads, stage=stage("Lost"), actor=team["manager"], lost_reason="Spam"
    )
    assert moved == 3
    assert set(Lead.objects.values_list("lost_reason", flat=True)) == {"Spam"}

    tagged = services.leads_bulk_tag(
        leads=Lead.objects.all(), tag=" expo 2026 ", actor=team["manager"]
    )
    assert tagged == 3
    assert (
        services.leads_bulk_tag(leads=Lead.objects.all(), tag="EXPO 2026", actor=team["manager"])
        == 0
    )
    assert all(lead.tags == ["expo 2026"] for lead in Lead.objects.all())

    with pytest.raises(ValidationError):
        services.leads_bulk_assign(leads=[], assignee=team["agent"], actor=team["manager"])
    with pytest.raises(ValidationError):
        services.leads_bulk_assign(leads=leads, assignee=team["agent"], actor=team["agent"])


def test_export_is_excel_friendly_and_never_a_formula(team):
    lead = capture(name='=HYPERLINK("http://evil")', email="a@example.com")
    capture(name="محمد المنصوري", phone="050 765 4321")
    leads = Lead.objects.select_related("stage").order_by("-created_at", "-id")

    text = "".join(services.leads_export_csv(leads=leads, names={}, actor=team["manager"]))

    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert {row["name"] for row in rows} == {'\'=HYPERLINK("http://evil")', "محمد المنصوري"}
    assert rows[-1]["id"] == str(lead.pk)
    assert rows[-1]["phones"] == "+971501234567"
    with pytest.raises(ValidationError):
        list(services.leads_export_csv(leads=leads, names={}, actor=team["agent"]))


# --- the agency's pipeline --------------------------------------------------------------------


def test_admin_edits_the_pipeline_but_a_stage_in_use_can_only_be_hidden(team):
    admin = team["admin"]
    lead = capture()
    services.lead_change_stage(lead=lead, stage=stage("Offer"), actor=admin)

    # add, rename, reorder
    added = services.stage_create(actor=admin, name="Negotiation", name_ar="تفاوض")
    names = list(PipelineStage.objects.values_list("name", flat=True))
    assert names.index("Negotiation") == names.index("Won") - 1
    services.stage_move(actor=admin, stage=added, offset=-1)
    names = list(PipelineStage.objects.values_list("name", flat=True))
    assert names.index("Negotiation") < names.index("Offer")
    with pytest.raises(ValidationError):
        services.stage_create(actor=admin, name="negotiation")

    # a stage with leads in it: no delete, but hide
    offer = stage("Offer")
    with pytest.raises(ValidationError) as error:
        services.stage_delete(actor=admin, stage=offer)
    assert "Hide it instead" in error.value.messages[0]
    services.stage_update(
        actor=admin, stage=offer, name="Offer made", name_ar="عرض", kind="open", is_active=False
    )
    assert not PipelineStage.objects.get(pk=offer.pk).is_active
    assert Lead.objects.get(pk=lead.pk).stage_id == offer.pk

    # an unused stage can go
    services.stage_delete(actor=admin, stage=added)
    assert not PipelineStage.objects.filter(pk=added.pk).exists()

    # only admins
    with pytest.raises(ValidationError):
        services.stage_create(actor=team["manager"], name="Sneaky")


def test_the_last_open_stage_cannot_be_hidden_or_deleted(team):
    admin = team["admin"]
    opens = list(PipelineStage.objects.filter(kind="open"))
    for extra in opens[1:]:
        services.stage_update(
            actor=admin, stage=extra, name=extra.name, kind="open", is_active=False
        )
    with pytest.raises(ValidationError):
        services.stage_update(
            actor=admin, stage=opens[0], name=opens[0].name, kind="open", is_active=False
        )
    with pytest.raises(ValidationError):
        services.stage_delete(actor=admin, stage=opens[0])


def test_saved_views_belong_to_their_owner(team):
    view = services.saved_view_create(actor=team["agent"], name="Hot JVC", query="tag=hot")
    again = services.saved_view_create(actor=team["agent"], name="hot jvc", query="tag=hot&q=x")
    assert again.pk == view.pk and again.query == "tag=hot&q=x"
    with pytest.raises(ValidationError):
        services.saved_view_create(actor=team["agent"], name=" ", query="")
    with pytest.raises(ValidationError):
        services.saved_view_delete(actor=team["manager"], view=view)
    services.saved_view_delete(actor=team["agent"], view=view)

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django_tenants.utils import schema_context

from core.phones import phone_normalise
from leads.models import Lead, LeadActivity, PipelineStage
from leads.services import Inquiry, lead_capture


@pytest.mark.parametrize(
    "raw", ["050 123 4567", "+971501234567", "00971 50 123 4567", "+971 (50) 123-4567"]
)
def test_uae_numbers_written_any_way_are_one_number(raw):
    assert phone_normalise(raw, region="AE") == "+971501234567"


@pytest.mark.parametrize("raw", ["12345", "not a phone", "+971 50 12"])
def test_unreadable_numbers_get_a_clear_error(raw):
    with pytest.raises(ValidationError) as error:
        phone_normalise(raw, region="AE")
    assert "phone number" in " ".join(error.value.messages)


def test_every_agency_starts_with_the_default_pipeline(agency_a):
    names = list(PipelineStage.objects.values_list("name", "kind"))
    assert names[0] == ("New", "open")
    assert ("Won", "won") in names and ("Lost", "lost") in names


def test_a_repeat_inquiry_by_phone_or_email_joins_the_same_lead(agency_a):
    # given a lead captured from the website
    first = lead_capture(
        inquiry=Inquiry(
            source="website",
            full_name="Ahmed Khan",
            phones=["050 123 4567"],
            email="ahmed.khan@example.com",
            budget_max=Decimal("1200000"),
        ),
    )

    # when the same person writes again with the number in another format, and by email alone
    again_by_phone = lead_capture(
        inquiry=Inquiry(source="csv", full_name="AHMED KHAN", phones=["+971501234567"]),
    )
    again_by_email = lead_capture(
        inquiry=Inquiry(source="meta", email="Ahmed.Khan@Example.com", phones=["055 987 6543"]),
    )

    # then there is one lead, with both numbers and a timeline of three events
    assert first.created and not again_by_phone.created and not again_by_email.created
    assert Lead.objects.count() == 1
    lead = Lead.objects.get()
    assert lead.phones == ["+971501234567", "+971559876543"]
    assert lead.full_name == "Ahmed Khan"
    assert list(lead.activities.values_list("kind", flat=True)) == [
        LeadActivity.Kind.CREATED,
        LeadActivity.Kind.INQUIRY,
        LeadActivity.Kind.INQUIRY,
    ]


def test_an_inquiry_without_contact_or_with_bad_fields_creates_nothing(agency_a):
    with pytest.raises(ValidationError) as no_contact:
        lead_capture(inquiry=Inquiry(source="website", full_name="No Contact"))
    with pytest.raises(ValidationError) as bad:
        lead_capture(inquiry=Inquiry(source="website", phones=["123"], email="nope@"))
    assert "at least a phone" in " ".join(no_contact.value.messages)
    assert set(bad.value.message_dict) == {"phones", "email"}
    assert Lead.objects.count() == 0


def test_the_same_phone_in_two_agencies_is_two_leads(agency_a, agency_b):
    lead_capture(inquiry=Inquiry(source="website", phones=["050 123 4567"]))
    with schema_context(agency_b.schema_name):
        result = lead_capture(inquiry=Inquiry(source="website", phones=["050 123 4567"]))
        assert result.created
        assert Lead.objects.count() == 1
    assert Lead.objects.count() == 1


def test_an_inquiry_matching_a_merged_away_lead_joins_the_lead_it_was_merged_into(agency_a):
    # given two leads, the second merged into the first
    kept = lead_capture(inquiry=Inquiry(source="website", email="kept@example.com")).lead
    gone = lead_capture(inquiry=Inquiry(source="website", email="gone@example.com")).lead
    Lead.objects.filter(pk=gone.pk).update(merged_into=kept)

    # when the merged-away person writes again
    result = lead_capture(inquiry=Inquiry(source="meta", email="gone@example.com"))

    # then it lands on the kept lead
    assert not result.created
    assert result.lead.pk == kept.pk

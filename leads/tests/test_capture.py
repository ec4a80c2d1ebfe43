"""Website forms: `POST /capture/<token>/` on the agency host, and the admin's settings page."""

from __future__ import annotations

import json
from decimal import Decimal
from unittest import mock
from urllib.parse import urlencode

import pytest
from django.db import connection
from django_tenants.utils import schema_context
from redis.client import Pipeline
from redis.exceptions import ConnectionError as RedisConnectionError

from accounts.models import Membership
from leads.capture.ratelimit import PER_ADDRESS_PER_MINUTE, PER_FORM_PER_MINUTE, capture_rate_reset
from leads.inquiries.fields import budget_parse, field_key, inquiry_from_fields
from leads.models import CaptureForm, Lead, LeadActivity
from leads.services.capture import capture_form_create, capture_form_revoke

FORM_ENCODED = "application/x-www-form-urlencoded"


def admin_of(fixture) -> Membership:
    return Membership.objects.get(user_id=fixture.users["admin"].pk)


def new_form(fixture, **kwargs) -> CaptureForm:
    with schema_context(fixture.schema_name):
        return capture_form_create(
            actor=admin_of(fixture), name=kwargs.pop("name", "Contact page"), **kwargs
        )


def post_form(client, token: str, data: dict, **extra):
    return client.post(
        f"/capture/{token}/", urlencode(data, doseq=True), content_type=FORM_ENCODED, **extra
    )


def post_json(client, token: str, data, **extra):
    body = data if isinstance(data, str | bytes) else json.dumps(data)
    return client.post(f"/capture/{token}/", body, content_type="application/json", **extra)


@pytest.fixture
def web_form(agency_a) -> CaptureForm:
    return new_form(agency_a)


# --- Capturing -------------------------------------------------------------------------------


def test_a_form_encoded_submission_creates_a_lead(client_for, agency_a, web_form):
    # given
    client = client_for(agency_a)

    # when
    response = post_form(
        client,
        web_form.token,
        {
            "name": "Ahmed Khan",
            "phone": "050 123 4567",
            "email": "Ahmed.Khan@Example.com",
            "message": "Looking for a 2-bed in the Marina.",
            "budget": "AED 1.2M - 1.5M",
            "bedrooms": "2 BR",
            "community": "Dubai Marina",
            "interest": "Buy",
            "utm_source": "google",
            "utm_campaign": "marina-nov",
            "website": "",
        },
        HTTP_ORIGIN="https://www.alpha-homes.ae",
    )

    # then
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "created"
    lead = Lead.objects.get(pk=body["id"])
    assert lead.full_name == "Ahmed Khan"
    assert lead.phones == ["+971501234567"]
    assert lead.email == "ahmed.khan@example.com"
    assert lead.source == "website"
    assert (lead.budget_min, lead.budget_max, lead.budget_currency) == (
        Decimal("1200000"),
        Decimal("1500000"),
        "AED",
    )
    assert lead.bedrooms == 2 and lead.communities == ["Dubai Marina"] and lead.interest == "buy"
    assert lead.source_details["utm_source"] == "google"
    assert lead.source_details["utm_campaign"] == "marina-nov"
    assert lead.source_details["capture_form_id"] == web_form.pk
    assert lead.source_details["origin"] == "https://www.alpha-homes.ae"
    created = lead.activities.get()
    assert created.kind == LeadActivity.Kind.CREATED
    assert created.data["message"] == "Looking for a 2-bed in the Marina."
    assert response["Access-Control-Allow-Origin"] == "*"


def test_a_json_submission_with_first_and_last_name_and_arabic_creates_a_lead(
    client_for, agency_a, web_form
):
    # when
    response = post_json(
        client_for(agency_a),
        web_form.token,
        {
            "first_name": "فاطمة",
            "last_name": "الهاشمي",
            "mobile": "+971 55 987 6543",
            "whatsapp": "00971 50 111 2233",
            "bedrooms": 3,
            "property_type": "Villa",
            "preferred_move_date": "next_summer",
        },
    )

    # then
    assert response.status_code == 201, response.content
    lead = Lead.objects.get(pk=response.json()["id"])
    assert lead.full_name == "فاطمة الهاشمي"
    assert lead.phones == ["+971559876543", "+971501112233"]
    assert lead.bedrooms == 3 and lead.property_type == "Villa"
    # a question we have no column for is kept, word for word, on the timeline
    assert "Preferred move date: next summer" in lead.activities.get().data["message"]


def test_the_same_person_again_with_the_phone_written_differently_updates_the_lead(
    client_for, agency_a, web_form
):
    # given
    client = client_for(agency_a)
    first = post_form(client, web_form.token, {"name": "Sara Ali", "phone": "050 123 4567"})

    # when
    again = post_json(
        client,
        web_form.token,
        {"full_name": "Sara Ali", "whatsapp": "+971501234567", "email": "sara@example.com"},
    )

    # then
    assert first.status_code == again.status_code == 201
    assert again.json() == {"id": first.json()["id"], "status": "updated"}
    assert Lead.objects.count() == 1
    lead = Lead.objects.get()
    assert lead.email == "sara@example.com"
    assert list(lead.activities.values_list("kind", flat=True)) == ["created", "inquiry"]


# --- Bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body, code",
    [
        ('{"name": "Ahmed", "phone": ', "invalid_json"),
        ("[1, 2, 3]", "invalid_json"),
        (b"\xff\xfe\x00garbage", "invalid_json"),
        ('{"name": {"first": "Ahmed"}, "phone": "0501234567"}', "invalid"),
    ],
    ids=["truncated", "not-an-object", "not-utf8", "nested-object"],
)
def test_bad_json_gets_a_clear_400_and_creates_nothing(client_for, agency_a, web_form, body, code):
    # when
    response = post_json(client_for(agency_a), web_form.token, body)

    # then
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == code and error["message"]
    assert Lead.objects.count() == 0


def test_missing_contact_and_bad_email_get_field_errors_under_the_senders_names(
    client_for, agency_a, web_form
):
    # given
    client = client_for(agency_a)

    # when
    no_contact = post_form(client, web_form.token, {"name": "No Contact", "message": "Hi"})
    bad_email = post_form(client, web_form.token, {"name": "X", "email_address": "nope@"})
    bad_phone = post_json(client, web_form.token, {"mobile": "12345", "email": "ok@example.com"})

    # then
    assert no_contact.status_code == bad_email.status_code == bad_phone.status_code == 400
    assert no_contact.json()["error"]["code"] == "invalid"
    assert set(no_contact.json()["error"]["fields"]) == {"phone", "email"}
    assert "phone number or an email" in no_contact.json()["error"]["fields"]["phone"][0]
    assert set(bad_email.json()["error"]["fields"]) == {"email_address"}
    assert set(bad_phone.json()["error"]["fields"]) == {"mobile"}
    assert Lead.objects.count() == 0


def test_arabic_errors_keep_the_typed_number_left_to_right(client_for, agency_a, web_form):
    # when
    response = post_form(client_for(agency_a), web_form.token, {"phone": "050 12", "lang": "ar"})

    # then the number is isolated, so Arabic text around it cannot reorder it to "12 050"
    assert response.status_code == 400
    [message] = response.json()["error"]["fields"]["phone"]
    assert "\u2066050 12\u2069" in message


def test_a_body_over_64_kb_is_refused_with_413(client_for, agency_a, web_form):
    # when
    response = post_form(
        client_for(agency_a),
        web_form.token,
        {"phone": "0501234567", "message": "x" * (65 * 1024)},
    )

    # then
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
    assert Lead.objects.count() == 0


def test_an_unsupported_content_type_is_refused(client_for, agency_a, web_form):
    response = client_for(agency_a).post(
        f"/capture/{web_form.token}/", b"<lead/>", content_type="application/xml"
    )
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"


def test_a_filled_honeypot_looks_accepted_but_stores_nothing(client_for, agency_a, web_form):
    # when
    response = post_form(
        client_for(agency_a),
        web_form.token,
        {"name": "Bot", "phone": "0501234567", "website": "https://spam.example"},
    )

    # then
    assert response.status_code == 201
    assert response.json()["status"] == "created"
    assert Lead.objects.count() == 0


def test_submissions_past_the_rate_limits_get_429(client_for, agency_a, web_form):
    # given
    capture_rate_reset()
    client = client_for(agency_a)
    # (no contact details: each request is counted, none needs to create a lead)
    empty = {"name": "Nobody"}

    # when one address sends more than its share
    from_one_address = [
        post_form(client, web_form.token, empty, REMOTE_ADDR="203.0.113.7").status_code
        for _ in range(PER_ADDRESS_PER_MINUTE + 1)
    ]
    # and the form as a whole gets more than its share from many addresses
    from_many = [
        post_form(client, web_form.token, empty, REMOTE_ADDR=f"198.51.100.{n}").status_code
        for n in range(PER_FORM_PER_MINUTE)
    ]

    # then
    assert from_one_address == [400] * PER_ADDRESS_PER_MINUTE + [429]
    assert from_many[-1] == 429
    refused = post_form(client, web_form.token, {"phone": "0501234567"}, REMOTE_ADDR="192.0.2.1")
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limited"
    assert int(refused["Retry-After"]) > 0
    assert Lead.objects.count() == 0
    capture_rate_reset()


def test_a_lead_is_still_captured_when_redis_cannot_count(client_for, agency_a, web_form):
    # given the rate-limit store is unreachable, when
    with mock.patch.object(Pipeline, "execute", side_effect=RedisConnectionError("down")):
        response = post_form(client_for(agency_a), web_form.token, {"phone": "0501234567"})

    # then
    assert response.status_code == 201
    assert Lead.objects.count() == 1


def test_unknown_and_revoked_tokens_get_a_clear_404(client_for, agency_a, web_form):
    # given
    client = client_for(agency_a)
    capture_form_revoke(actor=admin_of(agency_a), capture_form=web_form)

    # when
    revoked = post_form(client, web_form.token, {"phone": "0501234567"})
    unknown = post_form(client, "no-such-token", {"phone": "0501234567"})

    # then
    assert revoked.status_code == unknown.status_code == 404
    assert revoked.json()["error"]["code"] == "form_revoked"
    assert unknown.json()["error"]["code"] == "form_not_found"
    assert "switched off" in revoked.json()["error"]["message"]
    assert Lead.objects.count() == 0


def test_a_token_of_agency_b_posted_to_agency_a_is_not_found(
    client_for, agency_a, agency_b, web_form
):
    # given
    form_b = new_form(agency_b)

    # when
    response = post_form(client_for(agency_a), form_b.token, {"phone": "0501234567"})

    # then
    assert response.status_code == 404
    assert Lead.objects.count() == 0
    with schema_context(agency_b.schema_name):
        assert Lead.objects.count() == 0


# --- CORS ------------------------------------------------------------------------------------


def test_preflight_allows_any_site_when_the_form_lists_none(client_for, agency_a, web_form):
    # when
    response = client_for(agency_a).options(
        f"/capture/{web_form.token}/",
        HTTP_ORIGIN="https://www.alpha-homes.ae",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type",
    )

    # then
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "POST" in response["Access-Control-Allow-Methods"]
    assert "Content-Type" in response["Access-Control-Allow-Headers"]


def test_a_form_tied_to_websites_serves_only_those(client_for, agency_a):
    # given
    capture_form = new_form(agency_a, allowed_origins=["https://www.alpha-homes.ae/contact/"])
    client = client_for(agency_a)
    url = f"/capture/{capture_form.token}/"

    # when
    allowed = client.options(url, HTTP_ORIGIN="https://www.alpha-homes.ae")
    refused = client.options(url, HTTP_ORIGIN="https://evil.example")
    posted_from_elsewhere = post_form(
        client, capture_form.token, {"phone": "0501234567"}, HTTP_ORIGIN="https://evil.example"
    )
    posted_from_the_site = post_form(
        client,
        capture_form.token,
        {"phone": "0501234567"},
        HTTP_ORIGIN="https://www.alpha-homes.ae",
    )

    # then
    assert capture_form.allowed_origins == ["https://www.alpha-homes.ae"]
    assert allowed.status_code == 204
    assert allowed["Access-Control-Allow-Origin"] == "https://www.alpha-homes.ae"
    assert refused.status_code == 403 and "Access-Control-Allow-Origin" not in refused
    assert posted_from_elsewhere.status_code == 403
    assert posted_from_elsewhere.json()["error"]["code"] == "origin_not_allowed"
    assert posted_from_the_site.status_code == 201
    assert posted_from_the_site["Access-Control-Allow-Origin"] == "https://www.alpha-homes.ae"
    assert Lead.objects.count() == 1


# --- A plain HTML form, no script ------------------------------------------------------------


def test_a_plain_html_form_lands_on_a_thank_you_page_or_the_sites_own(client_for, agency_a):
    # given
    capture_form = new_form(agency_a, allowed_origins=["https://www.alpha-homes.ae"])
    client = client_for(agency_a)
    html = "text/html,application/xhtml+xml,*/*;q=0.8"

    # when
    ours = post_form(client, capture_form.token, {"phone": "0501234567"}, HTTP_ACCEPT=html)
    theirs = post_form(
        client,
        capture_form.token,
        {"phone": "0559876543", "redirect": "https://www.alpha-homes.ae/thanks/"},
        HTTP_ACCEPT=html,
    )
    elsewhere = post_form(
        client,
        capture_form.token,
        {"phone": "0551112233", "redirect": "https://evil.example/"},
        HTTP_ACCEPT=html,
    )
    invalid = post_form(client, capture_form.token, {"name": "No contact"}, HTTP_ACCEPT=html)

    # then
    assert ours.status_code == 201 and b"Thank you" in ours.content
    assert theirs.status_code == 303
    assert theirs["Location"] == "https://www.alpha-homes.ae/thanks/"
    assert elsewhere.status_code == 201  # never an open redirect
    assert invalid.status_code == 400 and b"phone number or an email" in invalid.content
    assert Lead.objects.count() == 3


# --- Field mapping ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("AED 3M - 5M", (Decimal("3000000"), Decimal("5000000"), "AED")),
        ("3 - 5M", (Decimal("3000000"), Decimal("5000000"), "AED")),
        ("1.5 - 2 million", (Decimal("1500000"), Decimal("2000000"), "AED")),
        ("up to 1,200,000", (None, Decimal("1200000"), "AED")),
        ("from 800k USD", (Decimal("800000"), None, "USD")),
        ("2M+", (Decimal("2000000"), None, "AED")),
        ("٣ مليون درهم", (None, Decimal("3000000"), "AED")),
    ],
)
def test_budgets_are_read_the_way_people_write_them(text, expected):
    assert budget_parse(text, default_currency="AED") == expected


def test_field_names_are_matched_however_they_are_written():
    assert field_key("What is your budget?") == field_key("what_is_your_budget?")
    parsed = inquiry_from_fields(
        [("Full Name", "Omar"), ("Phone-Number", "0501234567"), ("Budget", "flexible")],
        source="website",
        default_currency="AED",
    )
    assert parsed.inquiry.full_name == "Omar"
    assert parsed.inquiry.phones == ["0501234567"]
    # an answer we cannot read is kept for a person, never dropped
    assert parsed.inquiry.budget_max is None and "Budget: flexible" in parsed.inquiry.message


# --- Settings page ---------------------------------------------------------------------------


def test_only_the_admin_opens_the_website_forms_page(client_for, agency_a):
    assert client_for(agency_a).get("/settings/capture-forms/").status_code == 302
    for role in ("manager", "agent", "privacy_officer"):
        assert client_for(agency_a, role).get("/settings/capture-forms/").status_code == 403
        assert (
            client_for(agency_a, role)
            .post("/settings/capture-forms/new/", {"name": "Sneaky"})
            .status_code
            == 403
        )
    assert CaptureForm.objects.count() == 0


def test_the_admin_adds_a_form_and_gets_a_snippet_to_paste(client_for, agency_a):
    # given
    client = client_for(agency_a, "admin")

    # when
    response = client.post(
        "/settings/capture-forms/new/",
        {"name": "Dubai Hills landing", "allowed_origins": "https://www.alpha-homes.ae/hills"},
    )

    # then
    capture_form = CaptureForm.objects.get()
    assert response.status_code == 302
    assert response["Location"].endswith(f"?created={capture_form.pk}#form-{capture_form.pk}")
    assert capture_form.allowed_origins == ["https://www.alpha-homes.ae"]
    assert len(capture_form.token) >= 40
    page = client.get(response["Location"])
    text = page.content.decode()
    endpoint = f"http://{agency_a.host}:8000/capture/{capture_form.token}/"
    assert page.status_code == 200
    assert "Dubai Hills landing" in text
    assert f"action=&quot;{endpoint}&quot;" in text  # the snippet, shown as text to copy
    assert "name=&quot;website&quot;" in text  # with its honeypot
    arabic = client.get(f"/settings/capture-forms/?snippet=ar#form-{capture_form.pk}")
    assert "dir=&quot;rtl&quot;" in arabic.content.decode()


def test_the_admin_sees_clear_errors_for_a_bad_form(client_for, agency_a):
    # when
    response = client_for(agency_a, "admin").post(
        "/settings/capture-forms/new/",
        {"name": " ", "allowed_origins": "not a website"},
        HTTP_HX_REQUEST="true",
    )

    # then
    assert response.status_code == 400
    text = response.content.decode()
    assert 'id="create-form"' in text and "<html" not in text
    assert "is not a website address" in text
    assert CaptureForm.objects.count() == 0


def test_the_admin_switches_a_form_off(client_for, agency_a, web_form):
    # when
    response = client_for(agency_a, "admin").post(f"/settings/capture-forms/{web_form.pk}/revoke/")

    # then
    assert response.status_code == 302
    web_form.refresh_from_db()
    assert web_form.revoked_at is not None
    page = client_for(agency_a, "admin").get("/settings/capture-forms/").content.decode()
    assert "Switched off" in page and web_form.token not in page


def test_a_form_id_of_agency_b_cannot_be_revoked_from_agency_a(client_for, agency_a, agency_b):
    # given
    form_b = new_form(agency_b)
    connection.set_tenant(agency_a.agency)

    # when
    response = client_for(agency_a, "admin").post(f"/settings/capture-forms/{form_b.pk}/revoke/")

    # then
    assert response.status_code == 404
    with schema_context(agency_b.schema_name):
        assert CaptureForm.objects.get(pk=form_b.pk).revoked_at is None

"""The REST API as an integration sees it: keys, JSON in and out, errors, pages."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import Membership
from leads.api.keys import api_key_create, api_key_revoke
from leads.models import ApiKey, Lead, LeadActivity, PipelineStage
from leads.services import Inquiry, lead_capture


def admin_of(fixture) -> Membership:
    return Membership.objects.get(user_id=fixture.users["admin"].pk)


def new_key(fixture, name: str = "Website") -> tuple[ApiKey, str]:
    with schema_context(fixture.schema_name):
        return api_key_create(actor=admin_of(fixture), name=name)


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    from django.conf import settings
    from django_redis import get_redis_connection

    redis = get_redis_connection("default")
    for key in redis.scan_iter(f"{settings.REDIS_KEY_PREFIX}:api:rate:*"):
        redis.delete(key)
    yield


@pytest.fixture
def api(client_for, agency_a):
    """A client on agency A's host with a valid key."""
    _key, raw = new_key(agency_a)
    client = client_for(agency_a)
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
    return client


def post_json(client, path: str, data, **extra):
    return client.post(path, json.dumps(data), content_type="application/json", **extra)


def patch_json(client, path: str, data):
    return client.patch(path, json.dumps(data), content_type="application/json")


def error_of(response) -> dict:
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    return response.json()["error"]


# --- Keys -----------------------------------------------------------------------------------


def test_a_key_is_stored_hashed_and_shown_once(agency_a):
    key, raw = new_key(agency_a)

    assert raw.startswith(f"aq_{key.prefix}_") and len(raw) > 40
    stored = ApiKey.objects.get(pk=key.pk)
    assert raw not in (stored.key_hash, stored.prefix, stored.name)
    assert len(stored.key_hash) == 64


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer",
        "Bearer aq_nothing_here",
        "Basic dXNlcjpwYXNz",
        "Bearer aq_00000000_" + "x" * 43,
    ],
)
def test_no_key_or_a_bad_key_is_401_json(client_for, agency_a, header):
    client = client_for(agency_a)
    extra = {} if header is None else {"HTTP_AUTHORIZATION": header}

    response = client.get("/api/v1/leads/", **extra)

    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthorized"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_key_is_401(client_for, agency_a):
    key, raw = new_key(agency_a)
    api_key_revoke(actor=admin_of(agency_a), api_key=key)

    response = client_for(agency_a).get("/api/v1/leads/", HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert response.status_code == 401
    assert "revoked" in error_of(response)["message"]


def test_another_agencys_key_is_401_here(client_for, agency_a, agency_b):
    _key, raw_b = new_key(agency_b)

    on_a = client_for(agency_a).get("/api/v1/leads/", HTTP_AUTHORIZATION=f"Bearer {raw_b}")
    on_b = client_for(agency_b).get("/api/v1/leads/", HTTP_AUTHORIZATION=f"Bearer {raw_b}")

    assert on_a.status_code == 401
    assert on_b.status_code == 200


def test_use_is_recorded(api, agency_a):
    api.get("/api/v1/leads/")
    assert ApiKey.objects.get().last_used_at is not None


def test_a_session_is_not_a_key(client_for, agency_a):
    response = client_for(agency_a, "admin").get("/api/v1/leads/")
    assert response.status_code == 401


def test_each_key_is_rate_limited(api, settings):
    settings.AQARI_API_RATE_LIMIT_PER_MINUTE = 3

    statuses = [api.get("/api/v1/leads/").status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]
    limited = api.get("/api/v1/leads/")
    assert error_of(limited)["code"] == "rate_limited"
    assert 1 <= int(limited["Retry-After"]) <= 60


def test_guessing_keys_is_rate_limited(client_for, agency_a, settings):
    settings.AQARI_API_FAILED_AUTH_PER_MINUTE = 2
    client = client_for(agency_a)

    statuses = [
        client.get(
            "/api/v1/leads/", HTTP_AUTHORIZATION=f"Bearer aq_0000000{i}_{'y' * 43}"
        ).status_code
        for i in range(3)
    ]

    assert statuses == [401, 401, 429]


# --- Create ---------------------------------------------------------------------------------


def test_create_then_the_same_person_again_updates(api, agency_a):
    # when
    created = post_json(
        api,
        "/api/v1/leads/",
        {
            "full_name": "فاطمة الزهراء",
            "phone": "050 123 4567",
            "email": "fatima@example.com",
            "interest": "buy",
            "budget_max": 2500000,
            "communities": ["Dubai Marina"],
            "tags": ["vip"],
            "source_details": {"campaign": "spring"},
            "message": "Two bedrooms with a sea view",
        },
    )
    again = post_json(
        api, "/api/v1/leads/", {"phones": ["+971 50 123 4567", "055 987 6543"], "bedrooms": 2}
    )

    # then
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["full_name"] == "فاطمة الزهراء" and "فاطمة" in created.content.decode()
    assert body["phones"] == ["+971501234567"]
    assert body["source"] == "api" and body["source_details"]["campaign"] == "spring"
    assert body["budget_max"] == "2500000.00" and body["tags"] == ["vip"]
    assert body["stage"]["name"] == "New"
    assert created["Location"] == f"/api/v1/leads/{body['id']}/"
    assert again.status_code == 200
    assert again.json()["id"] == body["id"]
    renamed = patch_json(api, f"/api/v1/leads/{body['id']}/", {"full_name": "Fatima\nAl  Zahra"})
    assert renamed.json()["full_name"] == "Fatima Al Zahra"
    assert again.json()["phones"] == ["+971501234567", "+971559876543"]
    assert again.json()["bedrooms"] == 2
    assert Lead.objects.count() == 1
    kinds = list(Lead.objects.get().activities.values_list("kind", flat=True))
    assert kinds == [LeadActivity.Kind.CREATED, LeadActivity.Kind.INQUIRY]


def test_create_validation_errors_name_each_field_and_create_nothing(api, agency_a):
    response = post_json(
        api,
        "/api/v1/leads/",
        {
            "phones": ["123"],
            "email": "not-an-email",
            "bedrooms": "two",
            "budget_min": "a lot",
            "nationality": "UAE",
            "colour": "blue",
        },
    )

    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid"
    assert set(error["fields"]) == {"bedrooms", "budget_min", "nationality", "colour"}
    assert Lead.objects.count() == 0

    # once the shapes are right, the service's own checks answer the same way
    response = post_json(api, "/api/v1/leads/", {"phones": ["123"], "email": "not-an-email"})
    assert response.status_code == 400
    assert set(error_of(response)["fields"]) == {"phones", "email"}
    nothing = post_json(api, "/api/v1/leads/", {"full_name": "No Contact"})
    assert error_of(nothing)["fields"]["_"] == ["Give at least a phone number or an email address."]
    assert Lead.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [
        (b'{"full_name": "Sam",', "application/json", 400, "invalid_json"),
        (b"[1, 2]", "application/json", 400, "invalid_json"),
        (b"\xff\xfe{}", "application/json", 400, "invalid_json"),
        (b"full_name=Sam", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
        (b'{"message": "' + b"x" * 70_000 + b'"}', "application/json", 413, "payload_too_large"),
    ],
)
def test_bad_bodies_get_json_errors(api, agency_a, body, content_type, status, code):
    response = api.post("/api/v1/leads/", body, content_type=content_type)

    assert response.status_code == status
    assert error_of(response)["code"] == code
    assert Lead.objects.count() == 0


# --- Read and list --------------------------------------------------------------------------


def make_leads(count: int) -> list[Lead]:
    return [
        lead_capture(inquiry=Inquiry(source="website", phones=[f"+97150{i:07d}"])).lead
        for i in range(count)
    ]


def test_list_pages_are_stable_even_with_equal_times_and_new_arrivals(api, agency_a):
    # given 7 leads, 4 of them created at the very same instant
    leads = make_leads(7)
    same = timezone.now() - timedelta(hours=1)
    Lead.objects.filter(pk__in=[lead.pk for lead in leads[1:5]]).update(created_at=same)
    Lead.objects.filter(pk=leads[0].pk).update(created_at=same - timedelta(minutes=1))

    # when a client walks pages of 3, and a lead arrives in the middle
    seen, cursor, pages = [], None, 0
    while True:
        url = "/api/v1/leads/?limit=3" + (f"&cursor={cursor}" if cursor else "")
        page = api.get(url)
        assert page.status_code == 200, page.content
        body = page.json()
        seen += [lead["id"] for lead in body["data"]]
        pages += 1
        if pages == 1:
            lead_capture(inquiry=Inquiry(source="api", phones=["+971559999999"]))
        if not body["has_more"]:
            assert body["next_cursor"] is None
            break
        cursor = body["next_cursor"]

    # then every lead is seen once, in (created_at, id) order, the newcomer last
    expected = list(Lead.objects.order_by("created_at", "id").values_list("id", flat=True))
    assert seen == expected and len(seen) == 8 and len(set(seen)) == 8


def test_list_filters(api, agency_a):
    # given
    website, meta = make_leads(2)
    Lead.objects.filter(pk=meta.pk).update(
        source="meta", stage=PipelineStage.objects.get(name="Qualified")
    )
    Lead.objects.filter(pk=website.pk).update(updated_at=timezone.now() - timedelta(days=3))

    def ids(query: str) -> list[int]:
        response = api.get("/api/v1/leads/" + query)
        assert response.status_code == 200, response.content
        return [lead["id"] for lead in response.json()["data"]]

    since = (timezone.now() - timedelta(days=1)).isoformat()
    assert ids("?source=meta") == [meta.pk]
    assert ids("?stage=qualified") == [meta.pk]
    assert ids(f"?stage={website.stage_id}") == [website.pk]
    assert ids("?updated_since=" + since.replace("+", "%2B")) == [meta.pk]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?source=fax", "source"),
        ("?stage=Nowhere", "stage"),
        ("?limit=0", "limit"),
        ("?limit=many", "limit"),
        ("?updated_since=yesterday", "updated_since"),
        ("?page=2", "page"),
        ("?cursor=not-a-cursor", "cursor"),
    ],
)
def test_bad_list_parameters_are_400(api, agency_a, query, field):
    response = api.get("/api/v1/leads/" + query)

    assert response.status_code == 400
    assert field in error_of(response)["fields"]


def test_get_one_lead_and_404_for_another_agencys(api, agency_a, agency_b):
    # given a lead in A, and a lead in B whose id A does not have
    (lead,) = make_leads(1)
    with schema_context(agency_b.schema_name):
        for n in range(10):
            other = lead_capture(inquiry=Inquiry(source="website", phones=[f"+97155{n:07d}"])).lead
            if other.pk != lead.pk:  # A's only lead
                break
    connection.set_tenant(agency_a.agency)
    assert not Lead.objects.filter(pk=other.pk).exists()

    # when
    mine = api.get(f"/api/v1/leads/{lead.pk}/")
    theirs = api.get(f"/api/v1/leads/{other.pk}/")
    foreign_patch = patch_json(api, f"/api/v1/leads/{other.pk}/", {"full_name": "Taken over"})

    # then
    assert mine.status_code == 200 and mine.json()["id"] == lead.pk
    assert theirs.status_code == 404 and error_of(theirs)["code"] == "not_found"
    assert foreign_patch.status_code == 404
    with schema_context(agency_b.schema_name):
        assert Lead.objects.get(pk=other.pk).full_name == ""


# --- Update ---------------------------------------------------------------------------------


def test_patch_changes_stage_tags_assignee_and_details(
    api, agency_a, django_capture_on_commit_callbacks
):
    # given
    (lead,) = make_leads(1)
    agent = Membership.objects.get(user_id=agency_a.users["agent"].pk)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = patch_json(
            api,
            f"/api/v1/leads/{lead.pk}/",
            {
                "full_name": "Omar Haddad",
                "email": "omar@example.com",
                "stage": "Viewing",
                "tags": ["hot", "cash buyer"],
                "assignee": agent.pk,
                "budget_min": "900000",
                "budget_max": 1500000,
                "budget_currency": "aed",
            },
        )

    # then
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["full_name"] == "Omar Haddad" and body["email"] == "omar@example.com"
    assert body["stage"]["name"] == "Viewing"
    assert body["tags"] == ["hot", "cash buyer"]
    assert body["assignee"] == {"id": agent.pk, "name": "Alpha Homes Agent"}
    assert body["budget_currency"] == "AED"
    kinds = set(Lead.objects.get(pk=lead.pk).activities.values_list("kind", flat=True))
    assert {LeadActivity.Kind.STAGE, LeadActivity.Kind.ASSIGNED} <= kinds
    assert Lead.objects.filter(search_grams__contains=["oma"]).exists()


def test_patch_is_all_or_nothing(api, agency_a):
    # given
    (lead,) = make_leads(1)

    # when the name is fine but the lost stage has no reason
    response = patch_json(
        api, f"/api/v1/leads/{lead.pk}/", {"full_name": "Changed", "stage": "Lost"}
    )

    # then nothing changed
    assert response.status_code == 400
    assert "lost_reason" in error_of(response)["fields"]
    lead.refresh_from_db()
    assert lead.full_name == "" and lead.stage.name == "New"

    ok = patch_json(
        api, f"/api/v1/leads/{lead.pk}/", {"stage": "lost", "lost_reason": "Bought elsewhere"}
    )
    assert ok.status_code == 200 and ok.json()["lost_reason"] == "Bought elsewhere"


def test_patch_refuses_another_leads_phone(api, agency_a):
    first, second = make_leads(2)

    response = patch_json(api, f"/api/v1/leads/{second.pk}/", {"phones": ["0500000000"]})

    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "duplicate"
    assert str(first.pk) in error["fields"]["phones"][0]
    second.refresh_from_db()
    assert second.phones == ["+971500000001"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"stage": "Nowhere"}, "stage"),
        ({"stage": None}, "stage"),
        ({"assignee": 999999}, "assignee"),
        ({"assignee": "someone"}, "assignee"),
        ({"phones": []}, "_"),
        ({"phones": "0501234567"}, "phones"),
        ({"interest": "lease"}, "interest"),
        ({"source": "meta"}, "source"),
        ({}, "_"),
    ],
)
def test_bad_patches_are_400_with_the_field(api, agency_a, body, field):
    (lead,) = make_leads(1)

    response = patch_json(api, f"/api/v1/leads/{lead.pk}/", body)

    assert response.status_code == 400, response.content
    assert field in error_of(response)["fields"]


def test_patch_of_a_merged_lead_is_409(api, agency_a):
    kept, merged = make_leads(2)
    Lead.objects.filter(pk=merged.pk).update(merged_into=kept)

    response = patch_json(api, f"/api/v1/leads/{merged.pk}/", {"full_name": "X"})

    assert response.status_code == 409 and error_of(response)["code"] == "merged"


# --- Shape of the API -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("delete", "/api/v1/leads/", 405, "method_not_allowed"),
        ("put", "/api/v1/leads/1/", 405, "method_not_allowed"),
        ("get", "/api/v1/nothing/", 404, "not_found"),
        ("get", "/api/v1/leads/abc/", 404, "not_found"),
        ("post", "/api/v1/openapi.json", 405, "method_not_allowed"),
    ],
)
def test_wrong_methods_and_paths_are_json(api, agency_a, method, path, status, code):
    response = getattr(api, method)(path)

    assert response.status_code == status
    assert error_of(response)["code"] == code
    if status == 405:
        assert response["Allow"]


def test_the_slash_is_optional(api, agency_a):
    (lead,) = make_leads(1)
    assert api.get("/api/v1/leads").status_code == 200
    assert api.get(f"/api/v1/leads/{lead.pk}").status_code == 200


def test_openapi_document_describes_every_endpoint(client_for, agency_a):
    response = client_for(agency_a).get("/api/v1/openapi.json")

    assert response.status_code == 200
    document = json.loads(response.content)
    assert document["openapi"].startswith("3.1")
    assert set(document["paths"]) == {"/leads/", "/leads/{lead_id}/", "/openapi.json"}
    assert set(document["paths"]["/leads/"]) == {"get", "post"}
    assert {"get", "patch"} <= set(document["paths"]["/leads/{lead_id}/"])

    # every $ref points at something that exists
    def refs(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "$ref":
                    yield value
                else:
                    yield from refs(value)
        elif isinstance(node, list):
            for item in node:
                yield from refs(item)

    for ref in refs(document):
        target = document
        for part in ref.removeprefix("#/").split("/"):
            target = target[part]
        assert target, ref

    # every field the API accepts is documented
    from leads.api.schemas import LeadCreate, LeadUpdate

    schemas = document["components"]["schemas"]
    assert set(LeadCreate.model_fields) == set(schemas["LeadCreate"]["properties"])
    assert set(LeadUpdate.model_fields) == set(schemas["LeadUpdate"]["properties"])


# --- The API keys page ----------------------------------------------------------------------


def test_an_admin_creates_a_key_sees_it_once_and_revokes_it(client_for, agency_a):
    # given
    admin = client_for(agency_a, "admin")

    # when
    created = admin.post("/settings/api-keys/", {"name": "Zapier"})

    # then the raw key is on this page only, and it works
    assert created.status_code == 201
    assert "no-store" in created["Cache-Control"]
    key = ApiKey.objects.get()
    html = created.content.decode()
    raw = html.split('id="new-key">')[1].split("<")[0]
    assert raw.startswith(f"aq_{key.prefix}_")
    listing = admin.get("/settings/api-keys/").content.decode()
    assert "Zapier" in listing and f"aq_{key.prefix}_" in listing and raw not in listing
    api = client_for(agency_a)
    assert api.get("/api/v1/leads/", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200

    # when it is revoked
    revoked = admin.post(f"/settings/api-keys/{key.pk}/revoke/")

    # then
    assert revoked.status_code == 302
    assert api.get("/api/v1/leads/", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401


def test_a_key_needs_a_name(client_for, agency_a):
    response = client_for(agency_a, "admin").post("/settings/api-keys/", {"name": "  "})
    assert response.status_code == 400
    assert not ApiKey.objects.exists()


@pytest.mark.parametrize("role", ["manager", "agent", "privacy_officer"])
def test_only_admins_manage_keys(client_for, agency_a, role):
    key, _raw = new_key(agency_a)
    client = client_for(agency_a, role)

    assert client.get("/settings/api-keys/").status_code == 403
    assert client.post("/settings/api-keys/", {"name": "Mine"}).status_code == 403
    assert client.post(f"/settings/api-keys/{key.pk}/revoke/").status_code == 403
    assert ApiKey.objects.get().revoked_at is None


def test_a_key_of_another_agency_cannot_be_revoked_here(client_for, agency_a, agency_b):
    key_b, _raw = new_key(agency_b)
    connection.set_tenant(agency_a.agency)
    (key_a, _raw_a) = new_key(agency_a)

    response = client_for(agency_a, "admin").post(f"/settings/api-keys/{key_b.pk}/revoke/")

    if key_b.pk != key_a.pk:
        assert response.status_code == 404
    with schema_context(agency_b.schema_name):
        assert ApiKey.objects.get(pk=key_b.pk).revoked_at is None


# --- Edges of the input ---------------------------------------------------------------------
# Ninja validates with the schemas in leads.api.schemas; what a client sees must stay our
# error shape, with the same codes, and never a 500.


def test_validation_errors_are_our_shape_with_a_sentence_per_field(api, agency_a):
    response = post_json(
        api,
        "/api/v1/leads/",
        {
            "email": "a@example.com",
            "full_name": 12,
            "bedrooms": 51,
            "communities": "JVC",
            "phones": ["1", "2", "3", "4", "5", "6"],
            "tags": ["x" * 41],
            "budget_max": True,
            "interest": "lease",
            "nationality": "UAE",
            "source_details": {"nested": {"no": 1}},
        },
    )

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert set(response.json()) == {"error"}
    error = error_of(response)
    assert set(error) == {"code", "message", "fields"}
    assert error["code"] == "invalid"
    assert error["fields"] == {
        "full_name": ["Send text."],
        "bedrooms": ["Send a number from 0 to 50."],
        "communities": ["Send a list of text values."],
        "phones": ["Send at most 5 values."],
        "tags": ["Keep each value under 40 characters."],
        "budget_max": ["Send an amount such as 1200000."],
        "interest": ["Choose buy, rent or off_plan."],
        "nationality": ["Use a two-letter country code, like AE."],
        "source_details": ["Send at most 30 names with plain values (text, numbers, true/false)."],
    }


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/leads/", {"email": "a@example.com", "colour": "blue"}, "colour"),
        ("/api/v1/leads/", {"email": "a@example.com", "stage": "New"}, "stage"),
        ("/api/v1/leads/{id}/", {"message": "Hello"}, "message"),
        ("/api/v1/leads/{id}/", {"phone": "0501234567"}, "phone"),
    ],
)
def test_unknown_fields_are_named_not_ignored(api, agency_a, path, body, field):
    (lead,) = make_leads(1)
    path = path.format(id=lead.pk)
    send = post_json if path == "/api/v1/leads/" else patch_json

    response = send(api, path, body)

    assert response.status_code == 400
    assert error_of(response)["fields"] == {
        field: ["Unknown field. Check its spelling in the API reference."]
    }
    assert Lead.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [
        (b"", "text/plain", 415, "unsupported_media_type"),
        (b'{"email": "a@example.com"}', "", 415, "unsupported_media_type"),
        (b"null", "application/json", 400, "invalid_json"),
        (b'"text"', "application/json", 400, "invalid_json"),
        (b"{'email': 'a@example.com'}", "application/json", 400, "invalid_json"),
        (
            b'{"source_details": ' + b"[" * 5000 + b"]" * 5000 + b"}",
            "application/json",
            400,
            "invalid_json",
        ),
        (b"[" * 100_000 + b"]" * 100_000, "application/json", 413, "payload_too_large"),
        # over Django's DATA_UPLOAD_MAX_MEMORY_SIZE too: refused before it is read
        (b'{"message": "' + b"x" * 3_000_000 + b'"}', "application/json", 413, "payload_too_large"),
    ],
)
def test_malformed_bodies_get_json_errors(api, agency_a, body, content_type, status, code):
    response = api.post("/api/v1/leads/", body, content_type=content_type)

    assert response.status_code == status
    assert error_of(response)["code"] == code
    assert Lead.objects.count() == 0


@pytest.mark.parametrize(
    ("method", "path"), [("POST", "/api/v1/leads/"), ("PATCH", "/api/v1/leads/{id}/")]
)
def test_an_empty_json_body_is_invalid_json(api, agency_a, method, path):
    (lead,) = make_leads(1)

    # The test client drops Content-Type when there is no body; a real client need not.
    response = api.generic(method, path.format(id=lead.pk), b"", CONTENT_TYPE="application/json")

    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid_json"


def test_a_json_error_says_where(api, agency_a):
    response = api.post(
        "/api/v1/leads/",
        b'{"email": "a@example.com",\n "phone": }',
        content_type="application/json",
    )

    assert error_of(response)["message"] == (
        "The body is not valid JSON: Expecting value at line 2, column 11."
    )


@pytest.mark.parametrize(
    "body",
    [
        b'{"phone": "0501234567", "full_name": "A\\u0000B"}',
        b'{"phone": "0501234567", "full_name": "A\\ud800B"}',
        b'{"phone": "0501234567", "message": "\\udc00"}',
        b'{"phone": "0501234567", "tags": ["x\\u0000"]}',
        b'{"phone": "0501234567", "source_details": {"campaign": "x\\u0000"}}',
        b'{"phone": "0501234567", "source_details": {"x\\ud800": "y"}}',
    ],
)
def test_text_that_cannot_be_stored_is_a_400_not_a_500(api, agency_a, body):
    response = api.post("/api/v1/leads/", body, content_type="application/json")

    assert response.status_code == 400, response.content
    ((field, messages),) = error_of(response)["fields"].items()
    assert field in {"full_name", "message", "tags", "source_details"}
    assert messages == ["Send text."]
    assert Lead.objects.count() == 0


def test_a_field_name_with_a_lone_surrogate_is_a_400(api, agency_a):
    response = api.post(
        "/api/v1/leads/", b'{"\\ud800": 1, "phone": "0501234567"}', content_type="application/json"
    )

    assert response.status_code == 400
    assert error_of(response)["fields"] == {"_": ["Send text."]}


@pytest.mark.parametrize(
    "query",
    [
        "?updated_since=2026-02-30",
        "?updated_since=2026-02-28T25:00:00",
        "?updated_since=2026-13-01",
        "?stage=%00",
        "?limit=1.5",
        "?source=%00",
    ],
)
def test_impossible_parameters_are_400_not_500(api, agency_a, query):
    response = api.get("/api/v1/leads/" + query)

    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid"


def test_empty_parameters_mean_no_filter(api, agency_a):
    make_leads(2)

    response = api.get("/api/v1/leads/?limit=&stage=&source=&updated_since=&cursor=")

    assert response.status_code == 200
    assert len(response.json()["data"]) == 2


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"bedrooms": True}, "bedrooms", "Send a whole number."),
        ({"bedrooms": "2"}, "bedrooms", "Send a whole number."),
        ({"bedrooms": 2.5}, "bedrooms", "Send a whole number."),
        ({"stage": True}, "stage", "Send an id, a name, or null."),
        ({"stage": ""}, "stage", "Send an id, a name, or null."),
        ({"stage": 1.5}, "stage", "Send an id, a name, or null."),
        (
            {"assignee": "5"},
            "assignee",
            "Send the id of an active team member who works leads, or null.",
        ),
        ({"budget_min": "a lot"}, "budget_min", "Send an amount such as 1200000."),
        ({"budget_min": -1}, "budget_min", "Send an amount between 0 and 999,999,999,999."),
        ({"full_name": "x" * 151}, "full_name", "Keep this under 150 characters."),
    ],
)
def test_wrong_types_are_not_coerced(api, agency_a, body, field, message):
    (lead,) = make_leads(1)

    response = patch_json(api, f"/api/v1/leads/{lead.pk}/", body)

    assert response.status_code == 400
    assert error_of(response)["fields"] == {field: [message]}


def test_null_clears_text_and_lists_on_patch(api, agency_a):
    (lead,) = make_leads(1)
    patch_json(api, f"/api/v1/leads/{lead.pk}/", {"full_name": "Sam", "tags": ["vip"]})

    response = patch_json(
        api, f"/api/v1/leads/{lead.pk}/", {"full_name": None, "tags": None, "bedrooms": None}
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["full_name"] == "" and body["tags"] == [] and body["bedrooms"] is None


def test_a_lead_reads_as_before(api, agency_a):
    created = post_json(
        api,
        "/api/v1/leads/",
        {"phone": "0501234567", "budget_min": "1,200,000.5", "nationality": "ae"},
    )
    lead = Lead.objects.get()

    body = created.json()

    assert list(body) == [
        "id", "full_name", "phones", "email", "nationality", "preferred_language", "source",
        "source_details", "interest", "property_type", "bedrooms", "communities", "budget_min",
        "budget_max", "budget_currency", "stage", "lost_reason", "assignee", "tags",
        "created_at", "updated_at", "assigned_at", "first_response_at",
        "first_response_channel", "merged_into",
    ]  # fmt: skip
    assert body["budget_min"] == "1200000.50" and body["budget_max"] is None
    assert body["nationality"] == "AE"
    assert body["created_at"] == lead.created_at.isoformat()
    assert body["updated_at"] == lead.updated_at.isoformat()
    assert set(body["stage"]) == {"id", "name", "kind"}


def test_the_openapi_document_needs_no_key_and_takes_only_get(client_for, agency_a):
    client = client_for(agency_a)

    assert client.get("/api/v1/openapi.json").status_code == 200
    posted = client.post("/api/v1/openapi.json")
    assert posted.status_code == 405 and posted["Allow"] == "GET"
    assert error_of(posted)["code"] == "method_not_allowed"


@pytest.mark.parametrize("path", ["/api/v1/docs", "/api/v1/docs/", "/api/v1/"])
def test_there_is_no_docs_page(client_for, agency_a, path):
    response = client_for(agency_a).get(path)

    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"

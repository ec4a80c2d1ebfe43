"""Meta lead ads: the webhook on the platform host, the processing task, the Graph adapter."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta
from pathlib import Path
from unittest import mock
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from celery.exceptions import Retry
from django.utils import timezone
from django_tenants.utils import schema_context

from core.providers import fake_fail_next
from leads.models import Lead
from leads.providers.meta import (
    FakeMetaLeadsProvider,
    GraphMetaLeadsProvider,
    MetaGraphError,
    get_meta_provider,
)
from leads.tasks import meta_lead_process
from tenants.models import ProviderRoute, WebhookEvent
from tenants.tasks import webhook_events_sweep

FIXTURES = Path(__file__).parent / "fixtures" / "meta"
APP_SECRET = "test-meta-app-secret"
VERIFY_TOKEN = "test-meta-verify-token"
PAGE_ID = "104857600123456"
LEADGEN_ID = "444444444444444"


def sample_webhook() -> dict:
    return json.loads((FIXTURES / "leadgen_webhook.json").read_text())


def webhook_for(leadgen_id: str, page_id: str = PAGE_ID) -> dict:
    payload = sample_webhook()
    value = payload["entry"][0]["changes"][0]["value"]
    value.update(leadgen_id=leadgen_id, page_id=page_id)
    payload["entry"][0]["id"] = page_id
    return payload


def signed(body: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def deliver(client, payload, *, signature: str | None = None, secret: str = APP_SECRET):
    # json.dumps escapes non-ASCII (\u0645...), which is what Meta sends and signs.
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = {}
    if signature is not False:
        headers["HTTP_X_HUB_SIGNATURE_256"] = signature or signed(body, secret)
    return client.post("/webhooks/meta/", body, content_type="application/json", **headers)


@pytest.fixture(autouse=True)
def meta_settings(settings):
    settings.META_APP_SECRET = APP_SECRET
    settings.META_VERIFY_TOKEN = VERIFY_TOKEN
    settings.AQARI_META_PROVIDER = "fake"
    fake_fail_next("meta", times=0)
    yield
    fake_fail_next("meta", times=0)


@pytest.fixture
def page_of_a(agency_a) -> ProviderRoute:
    return ProviderRoute.objects.create(
        kind=ProviderRoute.Kind.META_PAGE, address=PAGE_ID, agency=agency_a.agency
    )


# --- Handshake -------------------------------------------------------------------------------


def test_the_verify_handshake_answers_the_challenge(public_client):
    # when
    response = public_client.get(
        "/webhooks/meta/",
        {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"},
    )

    # then
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert response.content == b"1158201444"


@pytest.mark.parametrize(
    "params",
    [
        {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
        {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1"},
        {"hub.challenge": "1"},
    ],
    ids=["wrong-token", "wrong-mode", "nothing"],
)
def test_a_bad_handshake_is_refused(public_client, params):
    response = public_client.get("/webhooks/meta/", params)
    assert response.status_code == 403
    assert b"1" not in response.content


# --- Signature -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "signature",
    [False, "sha256=" + "0" * 64, "sha1=abc", "signed(wrong secret)"],
    ids=["missing", "forged", "wrong-scheme", "wrong-secret"],
)
def test_a_bad_signature_gets_403_and_nothing_is_stored(public_client, page_of_a, signature):
    # given
    body = json.dumps(sample_webhook()).encode()
    if signature == "signed(wrong secret)":
        signature = signed(body, "another-secret")

    # when
    response = deliver(public_client, body, signature=signature)

    # then
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "bad_signature"
    assert not WebhookEvent.objects.exists()


def test_a_signed_body_that_is_not_json_gets_400(public_client):
    response = deliver(public_client, b"{not json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_json"
    assert not WebhookEvent.objects.exists()


def test_arabic_text_survives_the_signature_check(public_client, page_of_a):
    # given a delivery with Arabic in it, escaped and signed the way Meta does
    payload = sample_webhook()
    payload["entry"][0]["changes"][0]["value"]["ad_name"] = "فلل دبي هيلز"
    raw = json.dumps(payload).encode()
    assert b"\\u0641" in raw  # escaped, as Meta sends it
    # (re-serialising with the Arabic unescaped would give other bytes and another signature)
    assert signed(json.dumps(payload, ensure_ascii=False).encode()) != signed(raw)

    # when
    response = deliver(public_client, raw, signature=signed(raw))

    # then
    assert response.status_code == 200
    assert WebhookEvent.objects.get().payload["ad_name"] == "فلل دبي هيلز"


# --- Storing, routing and processing ---------------------------------------------------------


def test_the_same_event_delivered_three_times_gives_one_event_and_one_lead(
    public_client, agency_a, agency_b, page_of_a, django_capture_on_commit_callbacks
):
    # when Meta delivers (and retries) the same leadgen id three times
    responses = []
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            responses.append(deliver(public_client, sample_webhook()))

    # then
    assert [r.status_code for r in responses] == [200, 200, 200]
    assert [r.json()["new_events"] for r in responses] == [1, 0, 0]
    event = WebhookEvent.objects.get(provider="meta", external_id=LEADGEN_ID)
    assert event.status == WebhookEvent.Status.PROCESSED
    assert event.agency_id == agency_a.agency.pk
    assert event.payload["form_id"] == "987654321098765"
    with schema_context(agency_a.schema_name):
        lead = Lead.objects.get()
        assert event.result == {"lead_id": lead.pk, "lead_created": True}
        assert lead.full_name == "Mariam Al Suwaidi"
        assert lead.phones == ["+971501234567"]
        assert lead.email == "mariam.suwaidi@example.ae"
        assert lead.source == "meta"
        assert lead.source_details == {
            "form_id": "987654321098765",
            "ad_id": "120210000000000001",
            "campaign": "Dubai Hills Villas - Nov",
            "page_id": PAGE_ID,
            "leadgen_id": LEADGEN_ID,
        }
        assert lead.communities == ["Dubai Hills Estate"]
        assert (lead.budget_min, lead.budget_max) == (3_000_000, 5_000_000)
        created = lead.activities.get()
        assert created.data["message"] == "When are you planning to buy?: within 3 months"
    with schema_context(agency_b.schema_name):
        assert not Lead.objects.exists()


def test_an_arabic_lead_from_the_graph_api_is_captured_whole(
    public_client, agency_a, page_of_a, django_capture_on_commit_callbacks
):
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = deliver(public_client, webhook_for("555555555555555"))

    # then
    assert response.status_code == 200
    with schema_context(agency_a.schema_name):
        lead = Lead.objects.get()
        assert lead.full_name == "مريم السويدي"
        assert lead.phones == ["+971501234567"]
        assert lead.bedrooms == 4
        assert lead.source_details["campaign"] == "فلل دبي هيلز - نوفمبر"


def test_a_second_ad_lead_from_someone_already_known_joins_their_lead(
    public_client, agency_a, page_of_a, django_capture_on_commit_callbacks
):
    # given two leadgen ids for the same phone number (two ads, one person)
    with django_capture_on_commit_callbacks(execute=True):
        deliver(public_client, webhook_for(LEADGEN_ID))
        deliver(public_client, webhook_for("555555555555555"))

    # then
    with schema_context(agency_a.schema_name):
        lead = Lead.objects.get()
        assert list(lead.activities.values_list("kind", flat=True)) == ["created", "inquiry"]
    results = WebhookEvent.objects.order_by("pk").values_list("result", flat=True)
    assert [r["lead_created"] for r in results] == [True, False]


def test_a_page_no_agency_connected_is_stored_as_ignored(
    public_client, agency_a, django_capture_on_commit_callbacks
):
    # when
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = deliver(public_client, webhook_for(LEADGEN_ID, page_id="999000999000"))

    # then
    assert response.status_code == 200
    event = WebhookEvent.objects.get()
    assert event.status == WebhookEvent.Status.IGNORED
    assert event.agency is None
    assert "No agency" in event.result["reason"]
    assert callbacks == []
    with schema_context(agency_a.schema_name):
        assert not Lead.objects.exists()


def test_other_page_changes_are_answered_but_not_stored(public_client, page_of_a):
    payload = sample_webhook()
    payload["entry"][0]["changes"][0]["field"] = "feed"
    response = deliver(public_client, payload)
    assert response.status_code == 200
    assert not WebhookEvent.objects.exists()


# --- Provider failures and lost tasks --------------------------------------------------------


def test_a_graph_failure_is_retried_later_and_the_event_is_kept(
    public_client, agency_a, page_of_a, django_capture_on_commit_callbacks
):
    # given the Graph API fails once
    fake_fail_next("meta", times=1)

    # when the delivery is processed (tasks run eagerly in tests, so the retry the task asks
    # for reaches us instead of being scheduled)
    with pytest.raises(Retry) as retry, django_capture_on_commit_callbacks(execute=True):
        response = deliver(public_client, sample_webhook())

    # then Meta got its 200, there is no lead yet, and the event waits with its reason
    assert response.status_code == 200
    assert retry.value.when == 30
    event = WebhookEvent.objects.get()
    assert (event.status, event.attempts) == (WebhookEvent.Status.RECEIVED, 1)
    assert "Graph API failed" in event.last_error
    with schema_context(agency_a.schema_name):
        assert not Lead.objects.exists()
    # and the sweeper leaves it alone while its retry is on the way
    WebhookEvent.objects.filter(pk=event.pk).update(
        received_at=timezone.now() - timedelta(minutes=3)
    )
    assert webhook_events_sweep() == 0

    # when the retry runs
    with schema_context(agency_a.schema_name):
        meta_lead_process.delay(event.pk)

    # then
    event.refresh_from_db()
    assert (event.status, event.attempts, event.last_error) == ("processed", 2, "")
    with schema_context(agency_a.schema_name):
        assert Lead.objects.count() == 1


def test_a_graph_api_that_keeps_failing_leaves_the_event_failed_not_lost(
    public_client, agency_a, page_of_a, django_capture_on_commit_callbacks
):
    # given
    fake_fail_next("meta", times=10)
    with pytest.raises(Retry), django_capture_on_commit_callbacks(execute=True):
        response = deliver(public_client, sample_webhook())
    event = WebhookEvent.objects.get()

    # when every retry fails too
    backoff = []
    with schema_context(agency_a.schema_name):
        for _ in range(3):
            with pytest.raises(Retry) as retry:
                meta_lead_process.delay(event.pk)
            backoff.append(retry.value.when)
        last = meta_lead_process.delay(event.pk).get()
        after_giving_up = meta_lead_process.delay(event.pk).get()

    # then after five attempts the event is FAILED, kept with a reason free of personal data
    assert response.status_code == 200
    assert backoff == [60, 120, 240]
    assert (last, after_giving_up) == ("failed", "skipped")
    event.refresh_from_db()
    assert (event.status, event.attempts) == (WebhookEvent.Status.FAILED, 5)
    assert "Graph API failed" in event.last_error
    assert "mariam" not in event.last_error.lower() and "+971" not in event.last_error
    with schema_context(agency_a.schema_name):
        assert not Lead.objects.exists()


def test_the_sweeper_finds_an_event_whose_task_was_lost(
    public_client, agency_a, page_of_a, django_capture_on_commit_callbacks
):
    # given an event stored but never queued (a crash between commit and publish)
    with django_capture_on_commit_callbacks(execute=False):
        deliver(public_client, sample_webhook())
    with django_capture_on_commit_callbacks(execute=False):
        deliver(public_client, webhook_for("555555555555555"))
    lost = WebhookEvent.objects.get(external_id=LEADGEN_ID)
    WebhookEvent.objects.filter(pk=lost.pk).update(
        received_at=timezone.now() - timedelta(minutes=3)
    )

    # when beat runs the sweeper (in the public schema)
    with django_capture_on_commit_callbacks(execute=True):
        requeued = webhook_events_sweep()
        again = webhook_events_sweep()

    # then only the old event was queued, once, and it became a lead in its agency
    assert (requeued, again) == (1, 0)
    lost.refresh_from_db()
    assert lost.status == WebhookEvent.Status.PROCESSED
    fresh = WebhookEvent.objects.get(external_id="555555555555555")
    assert fresh.status == WebhookEvent.Status.RECEIVED
    with schema_context(agency_a.schema_name):
        assert Lead.objects.count() == 1


def test_the_task_refuses_to_run_outside_an_agency(page_of_a, agency_a):
    from core.tasks import MissingTenant

    event = WebhookEvent.objects.create(
        provider="meta", external_id="1", agency=agency_a.agency, payload={}
    )
    with schema_context("public"), pytest.raises(MissingTenant):
        meta_lead_process.delay(event.pk)


# --- Graph API adapter -----------------------------------------------------------------------


def graph_response(status: int, body) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = json.dumps(body).encode()
    response.headers["Content-Type"] = "application/json"
    return response


def test_the_graph_adapter_asks_for_the_lead_with_token_and_proof():
    # given
    provider = GraphMetaLeadsProvider(access_token="page-token", app_secret="app-secret")
    answer = graph_response(
        200, json.loads((FIXTURES / f"graph_lead_{LEADGEN_ID}.json").read_text())
    )

    # when
    with mock.patch.object(requests.adapters.HTTPAdapter, "send", return_value=answer) as send:
        lead = provider.lead(LEADGEN_ID)

    # then
    request = send.call_args.args[0]
    url = urlsplit(request.url)
    query = parse_qs(url.query)
    assert request.method == "GET"
    assert (url.scheme, url.netloc, url.path) == (
        "https",
        "graph.facebook.com",
        "/v21.0/444444444444444",
    )
    assert query["access_token"] == ["page-token"]
    expected_proof = hmac.new(b"app-secret", b"page-token", hashlib.sha256).hexdigest()
    assert query["appsecret_proof"] == [expected_proof]
    assert "field_data" in query["fields"][0] and "campaign_name" in query["fields"][0]
    assert send.call_args.kwargs["timeout"]
    assert lead["field_data"][0] == {"name": "full_name", "values": ["Mariam Al Suwaidi"]}


@pytest.mark.parametrize(
    "outcome, expected",
    [
        (
            graph_response(
                400,
                {
                    "error": {
                        "message": "Invalid OAuth access token - Cannot parse access token",
                        "type": "OAuthException",
                        "code": 190,
                    }
                },
            ),
            "answered 400 (OAuthException code 190",
        ),
        (graph_response(502, "Bad Gateway"), "answered 502"),
        (
            requests.ConnectionError("https://graph.facebook.com/v21.0/4?access_token=page-token"),
            "Could not reach",
        ),
        (requests.ReadTimeout("timed out"), "did not answer in time"),
    ],
    ids=["oauth-error", "bad-gateway", "connection", "timeout"],
)
def test_graph_errors_become_safe_messages(outcome, expected):
    # given
    provider = GraphMetaLeadsProvider(access_token="page-token", app_secret="app-secret")
    patch = (
        {"side_effect": outcome} if isinstance(outcome, Exception) else {"return_value": outcome}
    )

    # when
    with mock.patch.object(requests.adapters.HTTPAdapter, "send", **patch):
        with pytest.raises(MetaGraphError) as error:
            provider.lead(LEADGEN_ID)

    # then
    assert expected in str(error.value)
    assert "page-token" not in str(error.value)


def test_the_fake_answers_the_sample_and_any_other_id_and_can_fail():
    fake = FakeMetaLeadsProvider()
    sample = fake.lead(LEADGEN_ID)
    assert sample["campaign_name"] == "Dubai Hills Villas - Nov"
    assert fake.lead("123456789") == fake.lead("123456789")
    fake_fail_next("meta")
    with pytest.raises(MetaGraphError):
        fake.lead(LEADGEN_ID)
    with pytest.raises(MetaGraphError):
        fake.lead("../../etc/passwd")


def test_settings_pick_the_adapter(settings):
    settings.AQARI_META_PROVIDER = "graph"
    settings.META_PAGE_ACCESS_TOKEN = "page-token"
    assert isinstance(get_meta_provider(), GraphMetaLeadsProvider)
    settings.AQARI_META_PROVIDER = "fake"
    assert isinstance(get_meta_provider(), FakeMetaLeadsProvider)

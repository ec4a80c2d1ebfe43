"""The platform admin: only on the public host, only for platform staff; agencies, their provider
routes, and the webhook events those routes bring in."""

from __future__ import annotations

import logging

import pytest
from django.contrib.admin.models import LogEntry
from django_tenants.utils import schema_context

from accounts import services
from accounts.models import User
from conftest import PASSWORD
from core.providers import fake_fail_next
from leads.models import Lead
from leads.tests.test_meta import LEADGEN_ID, webhook_for
from tenants.models import Agency, ProviderRoute, WebhookEvent
from tenants.tests.factories import ProviderRouteFactory, WebhookEventFactory

BACKEND = "allauth.account.auth_backends.AuthenticationBackend"


@pytest.fixture
def platform_staff(db) -> User:
    user = services.user_create(
        email="ops@aqari.test", password=PASSWORD, full_name="Platform Ops", is_staff=True
    )
    User.objects.filter(pk=user.pk).update(is_superuser=True)
    return User.objects.get(pk=user.pk)


@pytest.fixture
def staff_client(public_client, platform_staff):
    public_client.force_login(platform_staff, backend=BACKEND)
    return public_client


def test_platform_staff_sees_agencies(staff_client, two_agencies):
    # when
    response = staff_client.get("/admin/tenants/agency/")

    # then
    assert response.status_code == 200
    html = response.content.decode()
    assert "Alpha Homes" in html
    assert "Bravo Realty" in html
    assert "(platform)" not in html  # the public schema's own row is not an agency


def test_platform_staff_opens_an_agency_with_its_domains(staff_client, two_agencies):
    # when
    response = staff_client.get(f"/admin/tenants/agency/{two_agencies['a'].agency.pk}/change/")

    # then
    assert response.status_code == 200
    assert "alpha-homes.localhost" in response.content.decode()


def test_platform_staff_sees_domains(staff_client, two_agencies):
    # when
    response = staff_client.get("/admin/tenants/domain/")

    # then
    assert response.status_code == 200
    html = response.content.decode()
    assert "alpha-homes.localhost" in html
    assert "bravo-realty.localhost" in html


def test_platform_staff_sees_users_of_every_agency(staff_client, two_agencies):
    # when
    response = staff_client.get("/admin/accounts/user/")

    # then
    assert response.status_code == 200
    html = response.content.decode()
    assert two_agencies["a"].users["agent"].email in html
    assert two_agencies["b"].users["admin"].email in html


def test_platform_staff_opens_the_admin_index_and_a_user(staff_client, two_agencies):
    # when
    index = staff_client.get("/admin/")
    user = staff_client.get(f"/admin/accounts/user/{two_agencies['a'].users['admin'].pk}/change/")

    # then
    assert index.status_code == 200
    assert user.status_code == 200


def test_agencies_are_not_added_from_the_admin(staff_client):
    # when
    response = staff_client.get("/admin/tenants/agency/add/")

    # then
    assert response.status_code == 403


@pytest.mark.parametrize("role", [None, "admin"])
def test_agency_host_has_no_admin(client_for, two_agencies, platform_staff, role):
    # given
    client = client_for(two_agencies["a"], role)

    # when
    anonymous_or_member = client.get("/admin/")
    client.force_login(platform_staff, backend=BACKEND)
    staff = client.get("/admin/")

    # then
    assert anonymous_or_member.status_code == 404
    assert staff.status_code == 404


def test_signed_out_visitor_is_sent_to_sign_in(public_client, db):
    # when
    response = public_client.get("/admin/", follow=True)

    # then
    final_url, _ = response.redirect_chain[-1]
    assert final_url.startswith("/accounts/login/?next=")
    assert response.status_code == 200
    assert "Platform staff only." in response.content.decode()


def test_non_staff_user_cannot_use_the_admin(public_client, two_agencies):
    # given
    public_client.force_login(two_agencies["a"].users["admin"], backend=BACKEND)

    # when
    index = public_client.get("/admin/")
    agencies = public_client.get("/admin/tenants/agency/")

    # then
    assert index.status_code in (302, 403)
    assert agencies.status_code in (302, 403)
    assert "Bravo Realty" not in agencies.content.decode()


# --- Provider routes -------------------------------------------------------------------------

ROUTES = "/admin/tenants/providerroute/"
EVENTS = "/admin/tenants/webhookevent/"
PAGE_ID = "104857600123456"


def route_form(agency, **fields) -> dict:
    return {"kind": "meta_page", "address": PAGE_ID, "agency": agency.pk, **fields}


def form_errors(response) -> dict:
    return response.context["adminform"].form.errors


@pytest.fixture
def page_of_a(agency_a) -> ProviderRoute:
    return ProviderRouteFactory(address=PAGE_ID, agency=agency_a.agency)


def test_route_pages_render(staff_client, page_of_a):
    # when
    changelist = staff_client.get(ROUTES)
    searched = staff_client.get(ROUTES, {"q": "alpha", "kind__exact": "meta_page"})
    add = staff_client.get(f"{ROUTES}add/")
    change = staff_client.get(f"{ROUTES}{page_of_a.pk}/change/")

    # then
    assert [r.status_code for r in (changelist, searched, add, change)] == [200] * 4
    assert PAGE_ID in changelist.content.decode()
    assert "Alpha Homes" in searched.content.decode()
    assert PAGE_ID in change.content.decode()


def test_staff_connect_a_meta_page_to_an_agency(staff_client, two_agencies):
    # when
    response = staff_client.post(
        f"{ROUTES}add/", route_form(two_agencies["a"].agency, address=" 1048 5760 0123 456 ")
    )

    # then
    assert response.status_code == 302
    route = ProviderRoute.objects.get()
    assert (route.kind, route.address, route.agency) == (
        "meta_page",
        PAGE_ID,
        two_agencies["a"].agency,
    )


@pytest.mark.parametrize(
    "kind, typed, stored",
    [
        ("twilio_number", "+971 4 300 1234", "+97143001234"),
        ("twilio_number", "001 (202) 555-0143", "+12025550143"),
        ("whatsapp_sender", "whatsapp:+971 50 123 4567", "+971501234567"),
    ],
)
def test_phone_addresses_are_stored_in_e164(staff_client, two_agencies, kind, typed, stored):
    # when
    response = staff_client.post(
        f"{ROUTES}add/", route_form(two_agencies["b"].agency, kind=kind, address=typed)
    )

    # then
    assert response.status_code == 302
    assert ProviderRoute.objects.get(kind=kind).address == stored


@pytest.mark.parametrize(
    "kind, address, message",
    [
        ("meta_page", "facebook.com/alphahomes", "A Meta page id is digits only"),
        ("meta_page", "Alpha Homes", "A Meta page id is digits only"),
        ("twilio_number", "04 123 4567", "Include the country code"),
        ("twilio_number", "+971 4 12", "not a valid phone number"),
        ("whatsapp_sender", "alpha-homes", "Include the country code"),
    ],
)
def test_an_address_wrong_for_its_kind_is_a_form_error(
    staff_client, two_agencies, kind, address, message
):
    # when
    response = staff_client.post(
        f"{ROUTES}add/", route_form(two_agencies["a"].agency, kind=kind, address=address)
    )

    # then
    assert response.status_code == 200
    assert message in " ".join(form_errors(response)["address"])
    assert not ProviderRoute.objects.exists()


def test_an_address_routed_to_another_agency_is_a_form_error(staff_client, two_agencies, page_of_a):
    # when the same page, written differently, is given to agency B
    response = staff_client.post(
        f"{ROUTES}add/", route_form(two_agencies["b"].agency, address=f" {PAGE_ID}")
    )

    # then
    assert response.status_code == 200
    [error] = form_errors(response)["address"]
    assert f"{PAGE_ID} is already routed to Alpha Homes" in error
    assert ProviderRoute.objects.get().agency == two_agencies["a"].agency


def test_the_same_address_may_be_a_route_of_another_kind(staff_client, two_agencies):
    # given
    number = "+97143001234"
    ProviderRouteFactory(
        kind=ProviderRoute.Kind.TWILIO_NUMBER, address=number, agency=two_agencies["a"].agency
    )

    # when
    resaved = staff_client.post(
        f"{ROUTES}{ProviderRoute.objects.get().pk}/change/",
        route_form(two_agencies["a"].agency, kind="twilio_number", address=number),
    )
    sender = staff_client.post(
        f"{ROUTES}add/",
        route_form(two_agencies["a"].agency, kind="whatsapp_sender", address=number),
    )

    # then
    assert (resaved.status_code, sender.status_code) == (302, 302)
    assert ProviderRoute.objects.count() == 2


def test_the_platform_itself_is_not_an_agency_to_route_to(staff_client, db):
    from tenants.models import Agency

    # given
    platform = Agency.objects.get(schema_name="public")

    # when
    response = staff_client.post(f"{ROUTES}add/", route_form(platform))

    # then
    assert response.status_code == 200
    assert "agency" in form_errors(response)
    assert not ProviderRoute.objects.exists()


def agency_page_data(response) -> dict:
    """What the browser would post back from an agency's change page, unchanged."""
    forms = [response.context["adminform"].form]
    data = {}
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        data.update({management.add_prefix(k): v for k, v in management.initial.items()})
        forms += formset.forms
    for form in forms:
        for bound in form:
            value = bound.value()
            if value is True:
                data[bound.html_name] = "on"
            elif value not in (None, False):
                data[bound.html_name] = value
    return data


def test_an_agency_page_lists_and_adds_its_routes(staff_client, two_agencies, page_of_a):
    # given
    url = f"/admin/tenants/agency/{two_agencies['a'].agency.pk}/change/"
    page = staff_client.get(url)
    data = agency_page_data(page)

    # when a bad sender, then a good one, is added in the routes inline
    data.update({"routes-TOTAL_FORMS": "2", "routes-1-kind": "whatsapp_sender"})
    bad = staff_client.post(url, {**data, "routes-1-address": "050 123"})
    good = staff_client.post(url, {**data, "routes-1-address": "+971 50 123 4567"})

    # then
    assert PAGE_ID in page.content.decode()
    assert bad.status_code == 200
    [routes] = [
        i.formset for i in bad.context["inline_admin_formsets"] if i.formset.prefix == "routes"
    ]
    assert "Include the country code" in " ".join(routes.forms[1].errors["address"])
    assert good.status_code == 302
    assert set(two_agencies["a"].agency.routes.values_list("kind", "address")) == {
        ("meta_page", PAGE_ID),
        ("whatsapp_sender", "+971501234567"),
    }


def test_staff_change_an_agency_through_its_service(staff_client, two_agencies, page_of_a):
    # given an agency's change page, with its Meta page route
    agency = two_agencies["a"].agency
    url = f"/admin/tenants/agency/{agency.pk}/change/"
    data = agency_page_data(staff_client.get(url))

    # when staff suspend it, rename it and delete its route
    data.update({"status": "suspended", "name": "Alpha Homes LLC", "routes-0-DELETE": "on"})
    response = staff_client.post(url, data)

    # then the changes are saved, and the route is gone
    assert response.status_code == 302, response.context and response.context["errors"]
    agency.refresh_from_db()
    try:
        assert (agency.status, agency.name) == ("suspended", "Alpha Homes LLC")
        assert not agency.routes.exists()
    finally:
        Agency.objects.filter(pk=agency.pk).update(status="active", name="Alpha Homes")


# --- Webhook events --------------------------------------------------------------------------

SMS_PAYLOAD = {"From": "+971509876543", "Body": "Hi, this is Omar Haddad about the villa"}


@pytest.fixture
def sms_event(agency_a) -> WebhookEvent:
    # A delivery carrying a person's number and words, as message webhooks do.
    return WebhookEventFactory(
        external_id="SM0123456789", agency=agency_a.agency, payload=SMS_PAYLOAD
    )


@pytest.fixture
def meta_settings(settings):
    settings.AQARI_META_PROVIDER = "fake"
    fake_fail_next("meta", times=0)
    yield
    fake_fail_next("meta", times=0)


def test_event_pages_render_without_the_payload_in_the_list(staff_client, sms_event):
    # when
    changelist = staff_client.get(EVENTS)
    filtered = staff_client.get(EVENTS, {"provider": "twilio", "status__exact": "received"})
    by_day = staff_client.get(EVENTS, {"received_at__year": sms_event.received_at.year})
    change = staff_client.get(f"{EVENTS}{sms_event.pk}/change/")
    add = staff_client.get(f"{EVENTS}add/")

    # then
    assert [r.status_code for r in (changelist, filtered, by_day, change)] == [200] * 4
    assert add.status_code == 403
    for page in (changelist, filtered, by_day):
        html = page.content.decode()
        assert "SM0123456789" in html
        assert "+971509876543" not in html and "Omar" not in html


def test_a_superuser_sees_the_payload_and_cannot_change_it(staff_client, sms_event):
    # when
    page = staff_client.get(f"{EVENTS}{sms_event.pk}/change/")
    post = staff_client.post(
        f"{EVENTS}{sms_event.pk}/change/", {"payload": "{}", "status": "processed"}
    )

    # then
    html = page.content.decode()
    assert "+971509876543" in html and "Omar Haddad" in html
    assert 'name="_save"' not in html
    assert post.status_code == 403
    sms_event.refresh_from_db()
    assert (sms_event.payload, sms_event.status) == (SMS_PAYLOAD, "received")


def test_staff_who_are_not_superusers_do_not_see_the_payload(public_client, sms_event):
    from django.contrib.auth.models import Permission

    # given
    user = services.user_create(
        email="support@aqari.test", password=PASSWORD, full_name="Platform Support", is_staff=True
    )
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_webhookevent", "change_webhookevent"])
    )
    public_client.force_login(user, backend=BACKEND)

    # when
    changelist = public_client.get(EVENTS)
    change = public_client.get(f"{EVENTS}{sms_event.pk}/change/")

    # then
    assert (changelist.status_code, change.status_code) == (200, 200)
    assert "retry_processing" in changelist.content.decode()
    html = change.content.decode()
    assert "SM0123456789" in html
    assert "+971509876543" not in html and "Omar" not in html
    assert "payload" not in html.lower()


def retry(client, *events):
    return client.post(
        EVENTS,
        {"action": "retry_processing", "_selected_action": [e.pk for e in events]},
        follow=True,
    )


def test_retry_sends_a_failed_meta_event_through_processing_to_a_lead(
    staff_client,
    agency_a,
    agency_b,
    page_of_a,
    meta_settings,
    sms_event,
    caplog,
    django_capture_on_commit_callbacks,
):
    from leads.services.meta import meta_webhook_receive

    # given a lead the Graph API would not give us five times, and another already captured
    with django_capture_on_commit_callbacks(execute=False):
        meta_webhook_receive(payload=webhook_for(LEADGEN_ID))
    failed = WebhookEvent.objects.get(external_id=LEADGEN_ID)
    WebhookEvent.objects.filter(pk=failed.pk).update(
        status=WebhookEvent.Status.FAILED, attempts=5, last_error="The Graph API failed."
    )
    with django_capture_on_commit_callbacks(execute=True):
        meta_webhook_receive(payload=webhook_for("777777777777777"))
    processed = WebhookEvent.objects.get(external_id="777777777777777")
    assert processed.status == WebhookEvent.Status.PROCESSED

    # when staff retry all three
    caplog.set_level(logging.INFO)
    with django_capture_on_commit_callbacks(execute=True):
        response = retry(staff_client, failed, processed, sms_event)

    # then the failed one is a lead in agency A, and the others were left alone
    notes = [str(m) for m in response.context["messages"]]
    assert "1 event was queued for processing again." in notes
    assert "1 event was already processed and was left as it is." in notes
    assert any(n.startswith("1 event cannot be retried") for n in notes)
    failed.refresh_from_db()
    assert (failed.status, failed.attempts, failed.last_error) == ("processed", 1, "")
    with schema_context(agency_a.schema_name):
        assert failed.result["lead_created"] is True
        lead = Lead.objects.get(pk=failed.result["lead_id"])
        assert lead.full_name == "Mariam Al Suwaidi"
        assert lead.source_details["leadgen_id"] == LEADGEN_ID
    with schema_context(agency_b.schema_name):
        assert not Lead.objects.exists()
    sms_event.refresh_from_db()
    assert sms_event.status == WebhookEvent.Status.RECEIVED
    history = LogEntry.objects.filter(object_id=str(failed.pk)).get()
    assert history.get_change_message() == "Queued for processing again."
    logged = " ".join(str(vars(record)) for record in caplog.records)  # extra fields too
    assert "webhook events retried" in logged
    assert "+971" not in logged and "Mariam" not in logged and "Omar" not in logged


def test_retry_of_a_processed_event_only_says_so(
    staff_client, agency_a, page_of_a, meta_settings, django_capture_on_commit_callbacks
):
    from leads.services.meta import meta_webhook_receive

    # given
    with django_capture_on_commit_callbacks(execute=True):
        meta_webhook_receive(payload=webhook_for(LEADGEN_ID))
    event = WebhookEvent.objects.get()

    # when
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = retry(staff_client, event)

    # then
    assert [str(m) for m in response.context["messages"]] == [
        "1 event was already processed and was left as it is."
    ]
    assert callbacks == []
    with schema_context(agency_a.schema_name):
        assert Lead.objects.count() == 1


def test_linking_a_page_processes_the_deliveries_that_came_before(
    staff_client, agency_a, agency_b, meta_settings, django_capture_on_commit_callbacks
):
    from leads.services.meta import meta_webhook_receive

    # given a lead ad delivered before anyone linked its page: stored, ignored
    with django_capture_on_commit_callbacks(execute=True):
        meta_webhook_receive(payload=webhook_for(LEADGEN_ID))
    event = WebhookEvent.objects.get()
    assert (event.status, event.agency_id) == (WebhookEvent.Status.IGNORED, None)

    # when staff link the page to agency A
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(f"{ROUTES}add/", route_form(agency_a.agency), follow=True)

    # then the delivery became a lead of agency A, and staff were told
    notes = [str(m) for m in response.context["messages"]]
    assert any(n.startswith("1 lead-ad delivery received for this page before") for n in notes)
    event.refresh_from_db()
    assert (event.status, event.agency_id) == (WebhookEvent.Status.PROCESSED, agency_a.agency.pk)
    with schema_context(agency_a.schema_name):
        assert Lead.objects.filter(source_details__leadgen_id=LEADGEN_ID).count() == 1
    with schema_context(agency_b.schema_name):
        assert not Lead.objects.exists()


def test_retry_routes_an_ignored_delivery_once_its_page_is_linked(
    staff_client, agency_a, meta_settings, django_capture_on_commit_callbacks
):
    from leads.services.meta import meta_webhook_receive

    # given an ignored delivery, and its page linked outside the admin's add form
    with django_capture_on_commit_callbacks(execute=True):
        meta_webhook_receive(payload=webhook_for(LEADGEN_ID))
    event = WebhookEvent.objects.get()
    refused = retry(staff_client, event)
    assert any("link the page first" in str(m) for m in refused.context["messages"])
    ProviderRoute.objects.create(  # as a shell or a migration would: no claim on save
        kind=ProviderRoute.Kind.META_PAGE, address=PAGE_ID, agency=agency_a.agency
    )

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = retry(staff_client, event)

    # then
    assert "1 event was queued for processing again." in [
        str(m) for m in response.context["messages"]
    ]
    event.refresh_from_db()
    assert (event.status, event.agency_id) == (WebhookEvent.Status.PROCESSED, agency_a.agency.pk)

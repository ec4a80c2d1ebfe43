"""Every model of ours is classified, and a person's data can be exported and erased."""

from __future__ import annotations

from pathlib import Path

from allauth.account.models import EmailAddress
from django.apps import apps
from django.conf import settings
from django.db import transaction
from django_tenants.utils import schema_context

from accounts import services
from accounts.models import Invitation, Membership, User
from core.privacy import Person, registry

OUR_APPS = {
    "core",
    "tenants",
    "accounts",
    "privacy",
    "aqari",
    "demo",
    "leads",
    "messaging",
    "assistant",
    "billing",
}


def our_app_configs():
    base = Path(settings.BASE_DIR).resolve()
    venv = base / ".venv"
    for config in apps.get_app_configs():
        path = Path(config.path).resolve()
        if path.is_relative_to(base) and not path.is_relative_to(venv):
            yield config


def test_our_apps_are_the_ones_expected():
    # the walk below must not silently skip an app of ours
    labels = {config.label for config in our_app_configs()}

    assert labels <= OUR_APPS
    assert {"tenants", "accounts", "privacy", "aqari"} <= labels


def test_every_model_of_ours_is_classified_for_personal_data():
    # given
    models = [model for config in our_app_configs() for model in config.get_models()]

    # when
    unclassified = registry.unclassified(models)

    # then
    assert models
    assert unclassified == [], (
        "Register these in core.privacy (register(...) or no_personal_data(...)): "
        + ", ".join(unclassified)
    )


def test_export_and_erase_a_staff_member(agency_a, agency_b):
    # given
    user = agency_a.users["agent"]
    email = user.email
    with schema_context(agency_a.schema_name):
        admin = Membership.objects.get(user_id=agency_a.users["admin"].pk)
        services.invitation_create(
            actor=admin, email=email.replace("agent", "agent2"), role="agent"
        )
    person = Person(emails=frozenset({email}))

    # when
    with schema_context(agency_a.schema_name):
        report = registry.export_person(person)
        with transaction.atomic():
            counts = registry.erase_person(person)
        membership = Membership.objects.get(user_id=user.pk)
        again = registry.export_person(person)

    # then (other tests may have signed this user in: last_login is whatever the row says;
    # a fresh copy, since the fixture's user object is shared by the whole session)
    stored = User.objects.get(pk=user.pk)
    assert report["accounts.User"] == [
        {
            "email": email,
            "full_name": "Alpha Homes Agent",
            "language": stored.language,
            "joined": stored.date_joined.isoformat(),
            "last_login": stored.last_login.isoformat() if stored.last_login else None,
        }
    ]
    assert report["accounts.Membership"][0]["role"] == "agent"
    assert report["account.EmailAddress"][0]["email"] == email
    assert counts["accounts.User"] == 1
    erased = User.objects.get(pk=user.pk)
    assert erased.email == f"erased-{user.pk}@erased.invalid"
    assert erased.full_name == ""
    assert erased.is_active is False
    assert erased.has_usable_password() is False
    assert membership.is_active is False
    assert not EmailAddress.objects.filter(email__iexact=email).exists()
    assert again == {}
    with schema_context(agency_a.schema_name):
        assert Invitation.objects.filter(email=email.replace("agent", "agent2")).exists()
    assert User.objects.get(pk=agency_a.users["manager"].pk).is_active


def test_erased_person_can_no_longer_sign_in(client_for, agency_a):
    # given
    from conftest import PASSWORD

    user = agency_a.users["manager"]
    with schema_context(agency_a.schema_name), transaction.atomic():
        registry.erase_person(Person(emails=frozenset({user.email})))
    client = client_for(agency_a)

    # when
    response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})

    # then
    assert "_auth_user_id" not in client.session
    assert response.status_code == 200

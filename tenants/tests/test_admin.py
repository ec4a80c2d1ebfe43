"""The platform admin: only on the public host, only for platform staff."""

from __future__ import annotations

import pytest

from accounts import services
from accounts.models import User
from conftest import PASSWORD

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

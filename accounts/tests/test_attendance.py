"""Checking in and out from a phone, and who managers see on duty."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from accounts.models import AttendanceCheckIn
from accounts.selectors import attendance_is_on_duty, attendance_on_duty_ids, attendance_today
from accounts.services import attendance_check_in, attendance_check_out, attendance_set_enabled
from tenants.selectors import local_day_start


@pytest.fixture
def attendance_on(agency_a):
    agency = connection.tenant
    before = agency.attendance_enabled
    agency.attendance_enabled = True
    agency.save(update_fields=["attendance_enabled"])
    yield agency
    agency.attendance_enabled = before


def test_check_in_then_out(agency_a, attendance_on):
    agent = agency_a.member("agent")

    check_in = attendance_check_in(actor=agent)
    assert attendance_is_on_duty(membership=agent)
    assert attendance_on_duty_ids() == {agent.pk}

    check_out = attendance_check_out(actor=agent)
    assert check_out.pk == check_in.pk and check_out.checked_out_at >= check_in.checked_in_at
    assert not attendance_is_on_duty(membership=agent)


def test_checking_in_twice_or_out_twice_is_a_clear_error(agency_a, attendance_on):
    agent = agency_a.member("agent")
    attendance_check_in(actor=agent)

    with pytest.raises(ValidationError, match="already checked in since"):
        attendance_check_in(actor=agent)
    attendance_check_out(actor=agent)
    with pytest.raises(ValidationError, match="not checked in"):
        attendance_check_out(actor=agent)
    assert AttendanceCheckIn.objects.filter(membership=agent).count() == 1


def test_the_database_allows_one_open_check_in(agency_a, attendance_on):
    from django.db import IntegrityError, transaction

    agent = agency_a.member("agent")
    AttendanceCheckIn.objects.create(membership=agent)
    with pytest.raises(IntegrityError), transaction.atomic():
        AttendanceCheckIn.objects.create(membership=agent)


def test_a_check_in_left_open_overnight_is_closed_at_the_end_of_its_day(agency_a, attendance_on):
    # given an agent who forgot to check out yesterday
    agent = agency_a.member("agent")
    yesterday_9am = local_day_start() - timedelta(hours=15)
    AttendanceCheckIn.objects.create(membership=agent, checked_in_at=yesterday_9am)

    # then they are not on duty this morning
    assert not attendance_is_on_duty(membership=agent)

    # when they check in today
    attendance_check_in(actor=agent)

    # then yesterday's is closed before midnight, and today's is open
    old = AttendanceCheckIn.objects.get(checked_in_at=yesterday_9am)
    assert yesterday_9am < old.checked_out_at < local_day_start()
    assert attendance_is_on_duty(membership=agent)


def test_nobody_checks_in_while_attendance_is_off(agency_a):
    with pytest.raises(ValidationError, match="turned off"):
        attendance_check_in(actor=agency_a.member("agent"))


def test_only_staff_who_work_leads_check_in(agency_a, attendance_on):
    with pytest.raises(ValidationError):
        attendance_check_in(actor=agency_a.member("privacy_officer"))


def test_only_an_admin_turns_attendance_on(agency_a):
    agency = connection.tenant
    before = agency.attendance_enabled
    try:
        with pytest.raises(ValidationError):
            attendance_set_enabled(actor=agency_a.member("manager"), enabled=True)
        attendance_set_enabled(actor=agency_a.member("admin"), enabled=True)
        agency.refresh_from_db()
        assert agency.attendance_enabled
    finally:
        agency.attendance_enabled = before


def test_who_is_on_duty_today(agency_a, attendance_on):
    # given the agent on duty, the manager checked in and out, the admin not in
    agent, manager = agency_a.member("agent"), agency_a.member("manager")
    attendance_check_in(actor=manager)
    attendance_check_out(actor=manager)
    attendance_check_in(actor=agent, now=timezone.now())

    # when
    rows = attendance_today()

    # then on duty first, then who left, then who has not come in
    assert [(r.membership.pk, r.on_duty) for r in rows][:2] == [
        (agent.pk, True),
        (manager.pk, False),
    ]
    assert rows[1].checked_out_at is not None
    assert rows[2].checked_in_at is None
    assert agency_a.member("privacy_officer").pk not in {r.membership.pk for r in rows}


# --- The page -------------------------------------------------------------------------------


def test_an_agent_checks_in_and_out_on_the_page(client_for, agency_a, attendance_on):
    client = client_for(agency_a, "agent")

    page = client.get("/attendance/")
    checked_in = client.post("/attendance/check-in/")
    again = client.post("/attendance/check-in/")
    out = client.post("/attendance/check-out/", HTTP_HX_REQUEST="true")
    out_again = client.post("/attendance/check-out/")

    assert page.status_code == 200 and "Check in" in page.content.decode()
    assert checked_in.status_code == 302
    assert again.status_code == 400 and "already checked in" in again.content.decode()
    assert out.status_code == 200
    assert 'id="duty-card"' in out.content.decode() and "<html" not in out.content.decode()
    assert "checked out" in out.content.decode()
    assert out_again.status_code == 400 and "not checked in" in out_again.content.decode()


def test_managers_see_the_team_and_agents_do_not(client_for, agency_a, attendance_on):
    attendance_check_in(actor=agency_a.member("agent"))

    manager_page = client_for(agency_a, "manager").get("/attendance/").content.decode()
    agent_page = client_for(agency_a, "agent").get("/attendance/").content.decode()

    assert "Who is on duty today" in manager_page and "Alpha Homes Agent" in manager_page
    assert "On duty since" in manager_page
    assert "Who is on duty today" not in agent_page


def test_the_page_says_when_attendance_is_off(client_for, agency_a):
    agent = client_for(agency_a, "agent")

    page = agent.get("/attendance/")
    post = agent.post("/attendance/check-in/")

    assert "Attendance is off" in page.content.decode()
    assert post.status_code == 400 and "turned off" in post.content.decode()


def test_who_may_open_the_attendance_page(client_for, agency_a):
    assert client_for(agency_a).get("/attendance/").status_code == 302
    assert client_for(agency_a, "privacy_officer").get("/attendance/").status_code == 403
    assert client_for(agency_a, "privacy_officer").post("/attendance/check-in/").status_code == 403
    assert client_for(agency_a, "agent").get("/attendance/check-in/").status_code == 405

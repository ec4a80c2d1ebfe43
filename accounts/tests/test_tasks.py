"""accounts/tasks.py: invitation emails whose queued task was lost are sent, once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from accounts.models import Invitation
from accounts.tasks import invitation_emails_sweep
from accounts.tests.factories import InvitationFactory
from core.providers import fake_fail_next
from core.tasks import fan_out


@pytest.fixture(autouse=True)
def _fresh_holds():
    cache.delete_pattern("lost-work:*")
    yield
    cache.delete_pattern("lost-work:*")


def unsent_invitation(fixture, email: str) -> Invitation:
    invitation = InvitationFactory(actor=fixture.member("admin"), email=email)  # never sent
    Invitation.objects.filter(pk=invitation.pk).update(
        created_at=timezone.now() - timedelta(minutes=5)
    )
    return invitation


def test_an_unsent_invitation_is_sent_once(agency_a, outbox, django_capture_on_commit_callbacks):
    # given an invitation whose on-commit send never ran, and a new one still on its way
    invitation = unsent_invitation(agency_a, "new.agent@example.test")
    InvitationFactory(actor=agency_a.member("admin"), email="just.now@example.test")

    # when the sweep comes by twice (each a task of its own, publishing what it queues as it
    # ends), its hold forgotten in between
    with django_capture_on_commit_callbacks(execute=True):
        first = invitation_emails_sweep()
    cache.delete_pattern("lost-work:*")
    with django_capture_on_commit_callbacks(execute=True):
        second = invitation_emails_sweep()

    # then the lost one was sent once, and the young one left to its own task
    assert (first, second) == (1, 0)
    assert len([e for e in outbox("email") if "new.agent@example.test" in e["to"]]) == 1
    assert not [e for e in outbox("email") if "just.now@example.test" in e["to"]]
    invitation.refresh_from_db()
    assert invitation.sent_at is not None


def test_a_refused_invitation_is_not_offered_again(
    agency_a, outbox, django_capture_on_commit_callbacks
):
    # given an invitation the provider refused for good
    invitation = unsent_invitation(agency_a, "refused@example.test")
    fake_fail_next("email", code="422", message="Invalid `to` field.")
    with django_capture_on_commit_callbacks(execute=True):
        invitation_emails_sweep()

    # when the sweep comes by again
    cache.delete_pattern("lost-work:*")
    again = invitation_emails_sweep()

    # then nothing more is queued, and the row says why
    invitation.refresh_from_db()
    assert again == 0 and invitation.send_error == "422" and invitation.sent_at is None


def test_beat_reaches_every_active_agency(agency_a, agency_b):
    connection.set_schema_to_public()
    try:
        assert fan_out("accounts.tasks.invitation_emails_sweep") >= 2
    finally:
        connection.set_tenant(agency_a.agency)

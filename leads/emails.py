"""The emails leads sends, registered with core.emails (sent after commit, once): the notice to
the person a lead was assigned to, and a follow-up's reminder. The rows remember what was sent:
an assignment's activity (`notified_at`, or `notice` when it will never go) and the follow-up
(`reminded_at`, or `reminder_error`)."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from accounts.models import Membership, User
from core.emails import NoRecipient, email_kind_register
from core.providers.email import OutgoingEmail
from leads.models import FollowUp, LeadActivity
from leads.services.assignment import ASSIGNMENT_EMAIL
from leads.services.follow_ups import FOLLOW_UP_REMINDER_EMAIL
from tenants.selectors import agency_url, current_agency


def _recipient(membership_id: int | None) -> User:
    membership = Membership.objects.filter(pk=membership_id, is_active=True).first()
    user = (
        User.objects.filter(pk=membership.user_id, is_active=True).first() if membership else None
    )
    if user is None:
        raise NoRecipient
    return user


def _email(user: User, subject: str, body: str) -> OutgoingEmail:
    # A subject is one header line, whatever a lead's name holds.
    return OutgoingEmail(
        sender=settings.DEFAULT_FROM_EMAIL,
        to=(user.email,),
        subject=" ".join(subject.split()),
        text=body,
    )


# --- assignment ---------------------------------------------------------------------------------


def assignment_email_compose(activity_id: int) -> OutgoingEmail | None:
    activity = (
        LeadActivity.objects.select_related("lead")
        .filter(pk=activity_id, kind=LeadActivity.Kind.ASSIGNED)
        .first()
    )
    if activity is None or activity.data.get("notified_at") or activity.data.get("notice"):
        return None
    lead = activity.lead
    assignee_id = activity.data.get("assignee_id")
    # Reassigned again before we got here: the newer assignment sends its own email.
    if assignee_id is None or lead.assignee_id != assignee_id:
        return None
    user = _recipient(assignee_id)
    agency = current_agency()
    context = {
        "agency": agency,
        "lead": lead,
        "link": agency_url(agency, f"/leads/{lead.pk}/"),
        "target_minutes": (
            agency.first_response_target_minutes if lead.first_response_at is None else None
        ),
    }
    with translation.override(user.language or agency.default_language):
        subject = render_to_string("leads/assignment/email_assigned_subject.txt", context)
        body = render_to_string("leads/assignment/email_assigned_message.txt", context)
    return _email(user, subject, body)


def _activity_data_set(activity_id: int, **values) -> None:
    with transaction.atomic():
        activity = LeadActivity.objects.select_for_update().filter(pk=activity_id).first()
        if activity is not None:
            activity.data = {**activity.data, **values}
            activity.save(update_fields=["data"])


def assignment_email_mark_sent(activity_id: int, provider_id: str) -> None:
    _activity_data_set(activity_id, notified_at=timezone.now().isoformat())


def assignment_email_give_up(activity_id: int, code: str) -> None:
    _activity_data_set(activity_id, notice=code)


# --- follow-up reminders ------------------------------------------------------------------------


def follow_up_reminder_compose(follow_up_id: int) -> OutgoingEmail | None:
    follow_up = FollowUp.objects.select_related("lead").filter(pk=follow_up_id).first()
    if (
        follow_up is None
        or follow_up.reminded_at
        or follow_up.reminder_error
        or follow_up.done_at
        or follow_up.assignee_id is None
    ):
        return None
    user = _recipient(follow_up.assignee_id)
    agency = current_agency()
    context = {
        "agency": agency,
        "follow_up": follow_up,
        "lead": follow_up.lead,
        "link": agency_url(agency, f"/leads/{follow_up.lead_id}/"),
    }
    with (
        translation.override(user.language or agency.default_language),
        timezone.override(agency.timezone),
    ):
        subject = render_to_string("leads/follow_ups/email/reminder_subject.txt", context)
        body = render_to_string("leads/follow_ups/email/reminder_message.txt", context)
    return _email(user, subject, body)


@transaction.atomic
def follow_up_reminder_mark_sent(follow_up_id: int, provider_id: str) -> None:
    FollowUp.objects.filter(pk=follow_up_id, reminded_at__isnull=True).update(
        reminded_at=timezone.now()
    )


@transaction.atomic
def follow_up_reminder_give_up(follow_up_id: int, code: str) -> None:
    FollowUp.objects.filter(pk=follow_up_id).update(reminder_error=code[:40])


def register() -> None:
    email_kind_register(
        name=ASSIGNMENT_EMAIL,
        compose=assignment_email_compose,
        mark_sent=assignment_email_mark_sent,
        give_up=assignment_email_give_up,
    )
    email_kind_register(
        name=FOLLOW_UP_REMINDER_EMAIL,
        compose=follow_up_reminder_compose,
        mark_sent=follow_up_reminder_mark_sent,
        give_up=follow_up_reminder_give_up,
    )

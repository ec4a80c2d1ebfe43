"""Who may work a lead, checked by every service that changes one."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from accounts.models import Membership
from accounts.roles import STAFF_WHO_WORK_LEADS, can
from leads.models import Lead


def lead_work_check(actor: Membership | None, lead: Lead) -> None:
    """Refuse an actor who may not work this lead (an agent may work only their own). No
    actor means the system itself (a capture, an import), which may."""
    if actor is None:
        return
    if actor.role not in STAFF_WHO_WORK_LEADS:
        raise ValidationError(_("Your role does not work leads."))
    if not can(actor.role, "see_all_leads") and lead.assignee_id != actor.pk:
        raise ValidationError(_("You can work only on leads assigned to you."))


def lead_locked(lead: Lead) -> Lead:
    """The lead's row, locked for the rest of the transaction."""
    return Lead.objects.select_for_update().get(pk=lead.pk)

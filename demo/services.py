"""The demo agency `make run` seeds: one login per role, a few more agents, and each app's own
demo data, seeded by that app's seed function in order (leads, then assignment rules)."""

from __future__ import annotations

from django.db import transaction
from django_tenants.utils import schema_context

from accounts import selectors as account_selectors
from accounts import services as account_services
from accounts.models import Membership, Role, User
from demo.logins import DEMO_LOGINS, DEMO_NAMES, DEMO_PASSWORD, DEMO_SLUG, PLATFORM_LOGIN
from leads.demo import assignment_rules_demo_seed, leads_demo_seed
from tenants.models import Agency
from tenants.services import agency_create

# Colleagues of the seeded agent, so the lists look shared; the first two speak Arabic.
DEMO_AGENTS = [
    ("ahmed.agent@demo.aqari.test", "Ahmed Khalil", True),
    ("sara.agent@demo.aqari.test", "Sara Al Hashimi", True),
    ("james.agent@demo.aqari.test", "James Carter", False),
]


def demo_agents_seed() -> tuple[list[Membership], list[Membership]]:
    """The demo's agents (created if missing): all of them, and those who speak Arabic."""
    arabic_speakers = []
    for email, name, speaks_arabic in DEMO_AGENTS:
        user = account_selectors.user_by_email(email=email)
        if user is None:
            user = account_services.user_create(email=email, password=DEMO_PASSWORD, full_name=name)
        membership = Membership.objects.filter(user_id=user.pk).first()
        if membership is None:
            membership = account_services.membership_create(user=user, role=Role.AGENT)
        if speaks_arabic and membership.is_active:
            arabic_speakers.append(membership)
    agents = list(Membership.objects.filter(role=Role.AGENT, is_active=True).order_by("id"))
    return agents, arabic_speakers


def demo_seed() -> bool:
    """Create the demo agency and its staff if missing. Returns True if anything was added."""
    added = False
    agency = Agency.objects.filter(slug=DEMO_SLUG).first()
    if agency is None:
        role, email, password = DEMO_LOGINS[0]
        agency = agency_create(
            slug=DEMO_SLUG,
            name="Marina Bay Properties",
            admin_email=email,
            admin_password=password,
            admin_name=DEMO_NAMES[role],
        )
        added = True
    with transaction.atomic(), schema_context(agency.schema_name):
        for role, email, password in DEMO_LOGINS:
            user = account_selectors.user_by_email(email=email)
            if user is None:
                user = account_services.user_create(
                    email=email, password=password, full_name=DEMO_NAMES[role]
                )
                added = True
            if not Membership.objects.filter(user_id=user.pk).exists():
                account_services.membership_create(user=user, role=role)
                added = True
        agents, arabic_speakers = demo_agents_seed()
        added = leads_demo_seed(agents=agents) > 0 or added
        added = (
            assignment_rules_demo_seed(agents=agents, arabic_speakers=arabic_speakers) > 0 or added
        )
    _, email, password = PLATFORM_LOGIN
    if account_selectors.user_by_email(email=email) is None:
        account_services.user_create(
            email=email, password=password, full_name="Platform Staff", is_staff=True
        )
        User.objects.filter(email=email).update(is_superuser=True)
        added = True
    return added

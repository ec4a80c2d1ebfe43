"""The demo agency `make run` seeds: one login per role."""

from __future__ import annotations

from django.db import transaction
from django_tenants.utils import schema_context

DEMO_SLUG = "demo"
DEMO_PASSWORD = "aqari-demo-2026"
DEMO_LOGINS: list[tuple[str, str, str]] = [
    ("admin", "admin@demo.aqari.test", DEMO_PASSWORD),
    ("manager", "manager@demo.aqari.test", DEMO_PASSWORD),
    ("agent", "agent@demo.aqari.test", DEMO_PASSWORD),
    ("privacy_officer", "privacy@demo.aqari.test", DEMO_PASSWORD),
]
DEMO_NAMES = {
    "admin": "Layla Haddad",
    "manager": "Omar Al Mansoori",
    "agent": "Priya Nair",
    "privacy_officer": "Daniel Fischer",
}
PLATFORM_LOGIN = ("platform staff", "staff@aqari.test", DEMO_PASSWORD)


def demo_seed() -> bool:
    """Create the demo agency and its staff if missing. Returns True if anything was added."""
    from accounts import selectors as account_selectors
    from accounts import services as account_services
    from accounts.models import Membership
    from leads.demo import assignment_rules_demo_seed, leads_demo_seed
    from tenants.models import Agency
    from tenants.services import agency_create

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
        added = leads_demo_seed() > 0 or added
        added = assignment_rules_demo_seed() > 0 or added
    _, email, password = PLATFORM_LOGIN
    if account_selectors.user_by_email(email=email) is None:
        account_services.user_create(
            email=email, password=password, full_name="Platform Staff", is_staff=True
        )
        from accounts.models import User

        User.objects.filter(email=email).update(is_superuser=True)
        added = True
    return added

"""Who signs in to the demo agency. Plain data: the launcher prints it before Django starts."""

from __future__ import annotations

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

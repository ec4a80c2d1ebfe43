"""About 500 realistic leads for the demo agency, so every page has something real on it.

Run inside the demo agency's schema (demo/services.py does, after seeding its staff).
Deterministic and idempotent: lead number i always has the same person, and a second run adds
only what is missing. Leads are created through `lead_capture` and worked through the services
(stage, notes, follow-ups, contacts); only their timestamps are moved back afterwards, to spread
them over the last 60 days as a real agency's would be.
"""

from __future__ import annotations

import logging
import random
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts.models import Membership, Role
from leads.communities import DUBAI_COMMUNITIES
from leads.models import (
    AssignmentRule,
    FollowUp,
    Lead,
    LeadActivity,
    LeadNote,
    PipelineStage,
    Source,
)
from leads.services import Inquiry, lead_capture
from leads.services.assignment import assignment_rule_save
from leads.services.follow_ups import follow_up_complete, follow_up_create
from leads.services.lead_page import lead_note_add
from leads.services.response import lead_record_contact
from leads.services.stages import lead_change_stage

logger = logging.getLogger(__name__)

DEMO_MARK = "demo_seed"
ARABIC_FIRST = [
    "محمد",
    "أحمد",
    "عبدالله",
    "خالد",
    "سعيد",
    "عمر",
    "يوسف",
    "حمدان",
    "راشد",
    "سلطان",
    "فاطمة",
    "مريم",
    "عائشة",
    "نورة",
    "شيخة",
    "ليلى",
    "هند",
    "سارة",
    "آمنة",
    "ريم",
]
ARABIC_LAST = [
    "المنصوري",
    "الهاشمي",
    "الكعبي",
    "النعيمي",
    "الشامسي",
    "المزروعي",
    "الظاهري",
    "السويدي",
    "القاسمي",
    "الفلاسي",
    "الحمادي",
    "البلوشي",
    "العامري",
    "المهيري",
]
LATIN_FIRST = [
    "Ahmed",
    "Mohammed",
    "Omar",
    "Fatima",
    "Aisha",
    "Priya",
    "Rahul",
    "Sanjay",
    "Anita",
    "James",
    "Oliver",
    "Emma",
    "Sophie",
    "Liam",
    "Olga",
    "Dmitry",
    "Elena",
    "Chen",
    "Wei",
    "Hassan",
    "Zainab",
    "Bilal",
    "Ayesha",
    "Lucas",
    "Marco",
    "Giulia",
    "Hans",
    "Nadia",
]
LATIN_LAST = [
    "Khan",
    "Sharma",
    "Patel",
    "Smith",
    "Brown",
    "Williams",
    "Ivanova",
    "Petrov",
    "Wang",
    "Al Mansoori",
    "Al Hashimi",
    "Haddad",
    "Nair",
    "Iyer",
    "Rossi",
    "Müller",
    "Schmidt",
    "O'Connor",
    "Fernandes",
    "Siddiqui",
    "Qureshi",
    "Novak",
    "Dubois",
    "Kowalski",
]
NATIONALITIES_LATIN = ["IN", "GB", "RU", "CN", "PK", "IT", "DE", "FR", "PH", "EG", "LB", "CA"]
NATIONALITIES_ARABIC = ["AE", "SA", "KW", "OM", "BH", "QA", "EG", "JO", "LB"]
COMMUNITIES = DUBAI_COMMUNITIES[:12]
PROPERTY_TYPES = ["Apartment", "Villa", "Townhouse", "Penthouse", "Studio"]
SOURCES = [
    (Source.WEBSITE, 26),
    (Source.META, 24),
    (Source.WHATSAPP, 16),
    (Source.SMS, 5),
    (Source.EMAIL, 8),
    (Source.CSV, 10),
    (Source.API, 5),
    (Source.MANUAL, 6),
]
STAGE_WEIGHTS = {
    "New": 28,
    "Contacted": 20,
    "Qualified": 15,
    "Viewing": 12,
    "Offer": 7,
    "Won": 8,
    "Lost": 10,
}
LOST_REASONS = [
    "Bought through another agent",
    "Budget too low for the area",
    "Stopped answering",
    "Decided to keep renting",
    "Mortgage not approved",
]
NOTES = [
    "Wants a high floor with a marina view. Flexible on the handover date.",
    "Cash buyer, ready to move within a month if the price is right.",
    "Prefers a villa near a good school; two children.",
    "Asked about payment plans for off-plan units.",
    "Viewing went well; wife wants to see it again on the weekend.",
    "Relocating from London in September, needs a 12-month lease.",
    "يفضل التواصل عبر واتساب بعد الساعة ٥ مساءً.",
    "مهتم بفيلا في المرابع العربية بحديقة كبيرة.",
]
MESSAGES = [
    "Hi, I'm interested in 2-bedroom apartments. Please call me.",
    "Is this unit still available? What is the service charge?",
    "Looking for a villa for my family, budget around 3.5M.",
    "أرغب في معرفة المزيد عن المشروع وخطة الدفع.",
    "مرحبا، أبحث عن شقة للإيجار في دبي مارينا.",
    "",
]
TASKS = [
    "Send the floor plan and payment plan",
    "Call back after the viewing",
    "Book a viewing for the weekend",
    "Share three comparable listings",
    "Follow up on the mortgage pre-approval",
]
MOBILE_PREFIXES = ["50", "52", "54", "55", "56", "58"]


def _person(index: int) -> dict:
    rng = random.Random(f"aqari-demo-lead-{index}")  # noqa: S311 - demo data, not security
    arabic = rng.random() < 0.4
    if arabic:
        name = f"{rng.choice(ARABIC_FIRST)} {rng.choice(ARABIC_LAST)}"
        latin_hint = rng.choice(["m", "a", "k", "s", "h", "r"]) + str(rng.randint(10, 99))
        email = f"{latin_hint}.{index}@{rng.choice(['gmail.com', 'hotmail.com', 'outlook.com'])}"
        nationality = rng.choice(NATIONALITIES_ARABIC)
        language = "ar"
    else:
        first, last = rng.choice(LATIN_FIRST), rng.choice(LATIN_LAST)
        name = f"{first} {last}"
        local = f"{first}.{last}".lower().replace(" ", "").replace("'", "").replace("ü", "u")
        domain = rng.choice(["gmail.com", "outlook.com", "yahoo.com", "icloud.com"])
        email = f"{local}{index}@{domain}"
        nationality = rng.choice(NATIONALITIES_LATIN)
        language = "en"
    # Numbers are unique per index: the index is part of the subscriber number.
    phone = f"0{rng.choice(MOBILE_PREFIXES)} {index % 1000:03d} {rng.randint(1000, 9999)}"
    source = rng.choices([s for s, _ in SOURCES], weights=[w for _, w in SOURCES])[0]
    interest = rng.choices(["buy", "rent", "off_plan"], weights=[45, 35, 20])[0]
    property_type = rng.choice(PROPERTY_TYPES)
    bedrooms = 0 if property_type == "Studio" else rng.randint(1, 5)
    if interest == "rent":
        low = rng.choice([50, 70, 90, 120, 160, 220]) * 1000
        budget_min, budget_max = Decimal(low), Decimal(int(low * 1.3))
    else:
        low = rng.choice([700, 900, 1200, 1600, 2200, 3500, 5000, 9000]) * 1000
        budget_min, budget_max = Decimal(low), Decimal(int(low * 1.4))
    details = {
        Source.WEBSITE: {"form": "Property enquiry", "page": "/listings/"},
        Source.META: {
            "campaign": rng.choice(["Dubai Hills launch", "Marina rentals", "Off-plan Q4"]),
            "ad": rng.choice(["Carousel A", "Video 15s", "Lead form B"]),
            "form": "Instant form",
        },
        Source.WHATSAPP: {"channel": "WhatsApp Business"},
        Source.CSV: {"file": "expo-leads.csv"},
        Source.API: {"partner": "Property portal"},
    }.get(source, {})
    return {
        "rng": rng,
        "inquiry": Inquiry(
            source=source,
            full_name=name if rng.random() > 0.03 else "",
            phones=[phone],
            email=email if rng.random() < 0.65 else "",
            nationality=nationality,
            preferred_language=language,
            source_details={**details, DEMO_MARK: True},
            interest=interest,
            property_type=property_type,
            bedrooms=bedrooms,
            communities=rng.sample(COMMUNITIES, k=rng.choice([1, 1, 1, 2])),
            budget_min=budget_min,
            budget_max=budget_max,
            budget_currency="AED",
            message=rng.choice(MESSAGES),
        ),
    }


def _age(rng: random.Random, index: int) -> timedelta:
    """Recent leads are more common than old ones; a few arrive today."""
    if index % 40 == 0:
        return timedelta(minutes=rng.randint(20, 300))
    return timedelta(days=60 * rng.random() ** 1.15, minutes=rng.randint(0, 600))


def _work(
    lead: Lead,
    *,
    rng: random.Random,
    age: timedelta,
    agents: list[Membership],
    manager: Membership | None,
    stages: dict[str, PipelineStage],
) -> None:
    """Assign, contact, move through the pipeline, note and follow up, as the team would have."""
    assignee = rng.choice(agents) if agents and rng.random() > 0.08 else None
    if assignee is not None:
        # Assigned by the seed itself: no notification emails for 500 historical leads.
        Lead.objects.filter(pk=lead.pk).update(assignee=assignee, assigned_at=timezone.now())
        LeadActivity.objects.create(
            lead=lead,
            kind=LeadActivity.Kind.ASSIGNED,
            actor=manager,
            data={"assignee_id": assignee.pk, "previous_assignee_id": None, "how": "manual"},
        )
        lead.assignee = assignee
    actor = assignee or manager
    stage_name = rng.choices(list(STAGE_WEIGHTS), weights=list(STAGE_WEIGHTS.values()))[0]
    if stage_name != "New" or rng.random() < 0.6:
        lead_record_contact(
            lead=lead,
            actor=actor,
            channel=rng.choice(["call", "call", "whatsapp", "whatsapp", "email"]),
            note=rng.choice(["", "Left a voicemail", "Interested, sending options"]),
        )
    if stage_name != "New" and stage_name in stages:
        reason = rng.choice(LOST_REASONS) if stage_name == "Lost" else ""
        lead_change_stage(lead=lead, stage=stages[stage_name], actor=actor, lost_reason=reason)
    if rng.random() < 0.35:
        lead_note_add(lead=lead, actor=actor, body=rng.choice(NOTES))
    if rng.random() < 0.3 and stage_name not in ("Won", "Lost"):
        follow_up = follow_up_create(lead=lead, actor=actor, title=rng.choice(TASKS))
        # Most follow-ups on older leads were done long ago; a few slipped.
        if age > timedelta(days=4) and rng.random() < 0.85:
            follow_up_complete(follow_up=follow_up, actor=actor)


def _backdate(lead: Lead, *, created_at, rng: random.Random) -> None:
    """Spread the lead's history after its (earlier) creation time, in the order it
    happened. Timestamps are auto-set on save, so only an update can move them."""
    now = timezone.now()
    Lead.objects.filter(pk=lead.pk).update(created_at=created_at)
    moment = created_at
    span = max((now - created_at).total_seconds(), 60)
    activities = list(LeadActivity.objects.filter(lead=lead).order_by("id"))
    for position, activity in enumerate(activities):
        if position:
            moment = min(moment + timedelta(seconds=rng.uniform(0.02, 0.3) * span), now)
        LeadActivity.objects.filter(pk=activity.pk).update(created_at=moment)
        if activity.kind == LeadActivity.Kind.CONTACT and activity.data.get("first_response"):
            # The first contact came minutes to hours after the lead arrived.
            contact_at = created_at + timedelta(minutes=rng.choice([3, 8, 12, 25, 45, 90, 240]))
            contact_at = min(contact_at, now)
            LeadActivity.objects.filter(pk=activity.pk).update(
                created_at=contact_at, data={**activity.data, "at": contact_at.isoformat()}
            )
            Lead.objects.filter(pk=lead.pk).update(first_response_at=contact_at)
        if activity.kind == LeadActivity.Kind.NOTE and activity.data.get("note_id"):
            LeadNote.objects.filter(pk=activity.data["note_id"]).update(created_at=moment)
        if activity.kind == LeadActivity.Kind.FOLLOW_UP and activity.data.get("task_id"):
            follow_up_id = activity.data["task_id"]
            if activity.data.get("action") == "done":
                FollowUp.objects.filter(pk=follow_up_id).update(done_at=moment)
            else:
                due = moment + timedelta(days=rng.choice([1, 2, 3, 7]), hours=rng.randint(0, 8))
                FollowUp.objects.filter(pk=follow_up_id).update(created_at=moment, due_at=due)


def leads_demo_seed(*, agents: list[Membership], count: int = 500) -> int:
    """Create the demo leads that are missing, worked by these agents; returns how many were
    added."""
    existing = Lead.objects.filter(**{f"source_details__{DEMO_MARK}": True}).count()
    if existing >= count:
        return 0
    manager = Membership.objects.filter(role=Role.MANAGER, is_active=True).order_by("id").first()
    stages = {stage.name: stage for stage in PipelineStage.objects.filter(is_active=True)}
    now = timezone.now()
    added = 0
    for index in range(existing, count):
        person = _person(index)
        rng = person["rng"]
        with transaction.atomic():
            result = lead_capture(inquiry=person["inquiry"], actor=None)
            if not result.created:
                continue
            lead = result.lead
            age = _age(rng, index)
            _work(lead, rng=rng, age=age, agents=agents, manager=manager, stages=stages)
            _backdate(lead, created_at=now - age, rng=rng)
        added += 1
    logger.info("demo leads seeded", extra={"count": added})
    return added


def assignment_rules_demo_seed(
    *, agents: list[Membership], arabic_speakers: list[Membership]
) -> int:
    """Two rules a Dubai brokerage would start with, unless the demo already has rules: Arabic
    speakers go to the Arabic-speaking agents, everyone else to every agent in turn. Returns
    how many were added."""
    if AssignmentRule.objects.exists():
        return 0
    admin = Membership.objects.filter(role=Role.ADMIN, is_active=True).order_by("id").first()
    if admin is None or not agents:
        return 0
    if arabic_speakers:
        assignment_rule_save(
            actor=admin,
            name="Arabic speakers",
            position=1,
            languages=["ar"],
            agents=arabic_speakers,
        )
    assignment_rule_save(actor=admin, name="Everyone, in turn", position=2, agents=agents)
    logger.info("demo assignment rules seeded")
    return 1 + bool(arabic_speakers)

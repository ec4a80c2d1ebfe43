"""The demo agency's seed: each app's seed function, called in order by demo.services."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from accounts.models import Membership
from demo.services import demo_agents_seed
from leads.demo import assignment_rules_demo_seed, leads_demo_seed
from leads.models import AssignmentRule, Lead
from leads.services import Inquiry, lead_capture


def test_demo_seed_is_realistic_and_runs_once(agency_a):
    # given the demo's agents
    agents, _ = demo_agents_seed()

    # when the leads are seeded twice
    added = leads_demo_seed(agents=agents, count=40)
    again = leads_demo_seed(agents=agents, count=40)

    # then 40 realistic leads exist, once
    leads = list(Lead.objects.all())
    assert added == 40 and again == 0 and len(leads) == 40
    assert any("\u0600" <= lead.full_name[:1] <= "\u06ff" for lead in leads)
    assert any(lead.full_name[:1].isascii() and lead.full_name for lead in leads)
    assert all(lead.phones[0].startswith("+9715") for lead in leads)
    assert len({lead.phones[0] for lead in leads}) == 40
    assert len({lead.source for lead in leads}) >= 5
    assert len({lead.stage_id for lead in leads}) >= 4
    assert all(lead.search_grams for lead in leads)
    oldest = min(lead.created_at for lead in leads)
    assert timezone.now() - oldest > timedelta(days=7)
    assert Membership.objects.filter(role="agent").count() >= 4


def test_demo_assignment_rules_are_seeded_once_and_never_over_an_agencys_own(agency_a):
    # given the demo's agents, two of whom speak Arabic
    agents, arabic_speakers = demo_agents_seed()

    # when the rules are seeded twice
    first = assignment_rules_demo_seed(agents=agents, arabic_speakers=arabic_speakers)
    again = assignment_rules_demo_seed(agents=agents, arabic_speakers=arabic_speakers)

    # then two rules exist, and a new Arabic-speaking lead goes to an Arabic speaker
    assert (first, again) == (2, 0)
    rules = list(AssignmentRule.objects.order_by("position"))
    assert [r.name for r in rules] == ["Arabic speakers", "Everyone, in turn"]
    assert rules[0].languages == ["ar"] and rules[0].agents.count() == 2
    lead = lead_capture(
        inquiry=Inquiry(
            source="website",
            full_name="Ahmed Khan",
            phones=["050 123 4567"],
            preferred_language="ar",
        )
    ).lead
    assert lead.assignee in set(rules[0].agents.all())

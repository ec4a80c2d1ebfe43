from leads.models import Lead, LeadActivity, PipelineStage
from privacy.registry import Erase, Person, registry


def _leads(person: Person):
    query = Lead.objects.filter(pk__in=person.lead_ids)
    if person.phones:
        query = query | Lead.objects.filter(phones__overlap=list(person.phones))
    if person.emails:
        query = query | Lead.objects.filter(email__in=list(person.emails))
    return query.distinct()


def _lead_export(lead: Lead) -> dict:
    return {
        "id": lead.pk,
        "name": lead.full_name,
        "phones": lead.phones,
        "email": lead.email,
        "nationality": lead.nationality,
        "preferred_language": lead.preferred_language,
        "source": lead.source,
        "source_details": lead.source_details,
        "interest": lead.interest,
        "property_type": lead.property_type,
        "bedrooms": lead.bedrooms,
        "communities": lead.communities,
        "budget": [str(lead.budget_min or ""), str(lead.budget_max or ""), lead.budget_currency],
        "tags": lead.tags,
        "created": lead.created_at.isoformat(),
    }


registry.register(
    Lead,
    categories=["identity", "contact", "property interest", "source"],
    find=_leads,
    export=_lead_export,
    erase=Erase.DELETE,
)
registry.register(
    LeadActivity,
    categories=["history", "communications"],
    find=lambda p: LeadActivity.objects.filter(lead__in=_leads(p)),
    export=lambda a: {"kind": a.kind, "at": a.created_at.isoformat(), "data": a.data},
    erase=Erase.DELETE,
)
registry.no_personal_data(PipelineStage, reason="The agency's own pipeline stage names.")

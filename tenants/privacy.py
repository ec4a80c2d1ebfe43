from core.privacy import Erase, Person, registry
from tenants.models import Agency, Domain, ProviderRoute, WebhookEvent

registry.no_personal_data(Agency, reason="An agency's business details, not a person's.")
registry.no_personal_data(Domain, reason="Host names of agencies.")
registry.no_personal_data(ProviderRoute, reason="Provider addresses owned by agencies.")


def _events(person: Person):
    # Raw deliveries are matched on the identifiers they carry; Meta's carry only ids.
    query = WebhookEvent.objects.none()
    for value in [*person.phones, *person.emails]:
        query = query | WebhookEvent.objects.filter(payload__icontains=value)
    return query


registry.register(
    WebhookEvent,
    categories=["raw provider deliveries"],
    find=_events,
    export=lambda e: {"provider": e.provider, "id": e.external_id, "received": str(e.received_at)},
    erase=Erase.DELETE,
    retention="Kept until processed and then purged by the retention policy.",
)

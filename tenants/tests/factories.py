"""Test data for tenants. Agencies are made once per run by the two-agency fixtures
(conftest.py): a schema each is too slow to make per test."""

from __future__ import annotations

import factory

from tenants.models import ProviderRoute, WebhookEvent
from tenants.routes import provider_route_save


class ProviderRouteFactory(factory.Factory):
    """A provider address routed to an agency, saved through the service (so its address is
    normalised, and a Meta page's earlier deliveries are claimed, as in the admin)."""

    class Meta:
        model = ProviderRoute

    kind = ProviderRoute.Kind.META_PAGE
    address = factory.Sequence(lambda n: f"10485760{n:07d}")
    agency = None

    @classmethod
    def _create(cls, model_class, **kwargs) -> ProviderRoute:
        route = model_class(**kwargs)
        provider_route_save(route=route, actor_id=None)
        return route


class WebhookEventFactory(factory.django.DjangoModelFactory):
    """A stored delivery, as a webhook view stores it before processing (the store is a plain
    insert unique on the provider's id; there is no service in between)."""

    class Meta:
        model = WebhookEvent

    provider = "twilio"
    external_id = factory.Sequence(lambda n: f"SM{n:032d}")
    agency = None
    payload = factory.LazyFunction(dict)

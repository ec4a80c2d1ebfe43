from privacy.registry import registry
from tenants.models import Agency, Domain

registry.no_personal_data(Agency, reason="An agency's business details, not a person's.")
registry.no_personal_data(Domain, reason="Host names of agencies.")

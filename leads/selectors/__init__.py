"""Reads for leads, one module per area; import from `leads.selectors`."""

from leads.selectors.leads import (
    LeadFilters,
    lead_page,
    lead_search,
    leads_filtered,
    leads_visible,
)

__all__ = ["LeadFilters", "lead_page", "lead_search", "leads_filtered", "leads_visible"]

"""Reads for leads, one module per area; import from `leads.selectors`."""

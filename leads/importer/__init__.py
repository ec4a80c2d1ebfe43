"""The importer: reading a spreadsheet (parsing), guessing and checking which column holds which
field (mapping), cleaning each row into an inquiry (rows) and loading a chunk of rows in bulk
(staging). The import services (leads.services.imports) and the preview
(leads.selectors.imports) drive it; it has no views."""

"""The Dubai communities offered when filtering and adding leads, and used by the demo."""

# Spelled as people (and the demo data) write them, since the filter matches a community
# exactly.
DUBAI_COMMUNITIES = (
    "JVC",
    "Dubai Marina",
    "Downtown Dubai",
    "Business Bay",
    "Palm Jumeirah",
    "Arabian Ranches",
    "Al Barsha",
    "JLT",
    "Dubai Hills Estate",
    "Dubai Creek Harbour",
    "Damac Hills",
    "Mirdif",
    "Al Furjan",
    "Town Square",
    "JBR",
)

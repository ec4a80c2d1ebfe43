"""`python -m bench`: run every benchmark: agency creation (clone vs migrate), the lead list,
search, and CSV import."""

from __future__ import annotations

import sys

from bench import csv_import, lead_list, search
from bench.agency_creation import main

if __name__ == "__main__":
    sys.exit(main() or lead_list.main() or search.main() or csv_import.main())

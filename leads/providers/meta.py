"""Meta lead ads: read one lead's answers from the Graph API.

A leadgen webhook carries only ids; the person's answers come from
`GET https://graph.facebook.com/v21.0/<leadgen_id>`. Production talks HTTP with `requests`; the
fake answers from the sample leads in `leads/tests/fixtures/meta/` (or makes one up for any
other id) and can be told to fail with `fake_fail_next("meta")`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from pathlib import Path
from typing import Any, Protocol

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from core.providers.fakes import FakeFailure, fake_maybe_fail

GRAPH_BASE_URL = "https://graph.facebook.com/v21.0"
# The webhook's lead has only `id`, `created_time` and `field_data` unless more are asked for.
LEAD_FIELDS = "id,created_time,ad_id,ad_name,adset_id,campaign_id,campaign_name,form_id,field_data"
TIMEOUT_SECONDS = (5, 15)
FIXTURES_DIR = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "meta"
LEADGEN_ID_RE = re.compile(r"^[0-9]{1,30}$")


class MetaGraphError(RuntimeError):
    """The Graph API could not give the lead. The message is safe to store and log: it never
    carries the access token, the URL or the person's answers."""


class MetaLeadsProvider(Protocol):
    name: str

    def lead(self, leadgen_id: str) -> dict[str, Any]:
        """The lead as the Graph API returns it (`id`, `field_data`, ad and form ids).
        Raise MetaGraphError on any failure."""


def _checked_leadgen_id(leadgen_id: str) -> str:
    if not LEADGEN_ID_RE.match(leadgen_id or ""):
        raise MetaGraphError("The leadgen id is not a Meta id (digits only).")
    return leadgen_id


class GraphMetaLeadsProvider:
    name = "graph"

    def __init__(self, *, access_token: str, app_secret: str) -> None:
        self.access_token = access_token
        self.app_secret = app_secret

    def lead(self, leadgen_id: str) -> dict[str, Any]:
        url = f"{GRAPH_BASE_URL}/{_checked_leadgen_id(leadgen_id)}"
        params = {
            "access_token": self.access_token,
            # Proves the token is used by our app; required when the app enables
            # "Require App Secret", harmless otherwise.
            "appsecret_proof": hmac.new(
                self.app_secret.encode(), self.access_token.encode(), hashlib.sha256
            ).hexdigest(),
            "fields": LEAD_FIELDS,
        }
        try:
            response = requests.get(url, params=params, timeout=TIMEOUT_SECONDS)
        except requests.Timeout as error:
            raise MetaGraphError("The Graph API did not answer in time.") from error
        except requests.RequestException as error:
            # The exception's text holds the URL with the access token: never pass it on.
            raise MetaGraphError(
                f"Could not reach the Graph API ({type(error).__name__})."
            ) from error
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code != 200 or not isinstance(body, dict):
            raise MetaGraphError(_graph_error_text(response.status_code, body))
        if str(body.get("id", leadgen_id)) != leadgen_id or not isinstance(
            body.get("field_data", []), list
        ):
            raise MetaGraphError("The Graph API answered with something that is not this lead.")
        return body


def _graph_error_text(status: int, body: Any) -> str:
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        code = error.get("code")
        subcode = error.get("error_subcode")
        kind = str(error.get("type", ""))[:40]
        return f"The Graph API answered {status} ({kind} code {code}, subcode {subcode})."
    return f"The Graph API answered {status}."


class FakeMetaLeadsProvider:
    name = "fake"

    def lead(self, leadgen_id: str) -> dict[str, Any]:
        try:
            fake_maybe_fail("meta")
        except FakeFailure as error:
            raise MetaGraphError(f"The fake Graph API failed: {error}") from error
        leadgen_id = _checked_leadgen_id(leadgen_id)
        sample = FIXTURES_DIR / f"graph_lead_{leadgen_id}.json"
        if sample.is_file():
            return json.loads(sample.read_text(encoding="utf-8"))
        return _made_up_lead(leadgen_id)


def _made_up_lead(leadgen_id: str) -> dict[str, Any]:
    """A plausible lead for any id, the same every time, so demos can send any leadgen id."""
    names = ["Omar Haddad", "سارة المنصوري", "Priya Nair", "خالد العبدالله", "James Walker"]
    communities = ["Dubai Marina", "Jumeirah Village Circle", "Downtown Dubai", "Arabian Ranches"]
    seed = int(leadgen_id[-6:])
    return {
        "id": leadgen_id,
        "created_time": "2026-11-23T08:00:00+0000",
        "ad_id": "120210000000000001",
        "form_id": "987654321098765",
        "campaign_name": "Demo campaign",
        "field_data": [
            {"name": "full_name", "values": [names[seed % len(names)]]},
            {"name": "phone_number", "values": [f"+97150{seed % 10_000_000:07d}"]},
            {"name": "email", "values": [f"lead{leadgen_id[-6:]}@example.com"]},
            {"name": "preferred_community", "values": [communities[seed % len(communities)]]},
        ],
    }


def get_meta_provider() -> MetaLeadsProvider:
    if settings.AQARI_META_PROVIDER == "graph":
        if not (settings.META_PAGE_ACCESS_TOKEN and settings.META_APP_SECRET):
            raise ImproperlyConfigured(
                "META_PAGE_ACCESS_TOKEN and META_APP_SECRET must be set to read Meta leads."
            )
        return GraphMetaLeadsProvider(
            access_token=settings.META_PAGE_ACCESS_TOKEN, app_secret=settings.META_APP_SECRET
        )
    if settings.AQARI_META_PROVIDER == "fake":
        return FakeMetaLeadsProvider()
    raise ImproperlyConfigured("Meta lead ads are switched off (AQARI_META_PROVIDER=off).")

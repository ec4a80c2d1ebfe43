"""An agency's API keys: `aq_<prefix>_<secret>`, shown once, stored as the SHA-256 of the
whole key (and the prefix, so a person can tell keys apart), revocable."""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Membership
from accounts.roles import can
from leads.models import ApiKey

logger = logging.getLogger(__name__)

KEY_RE = re.compile(r"^aq_([0-9a-f]{8})_([A-Za-z0-9_-]{32,64})$")
LAST_USED_GRANULARITY_SECONDS = 60
MAX_ACTIVE_KEYS = 20


def api_key_hash(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


def api_key_for(raw_key: str) -> ApiKey | None:
    """The current agency's active key for this raw key, or None (malformed, unknown,
    revoked, or another agency's: each agency's keys live in its own schema)."""
    if not KEY_RE.match(raw_key or ""):
        return None
    key = ApiKey.objects.filter(key_hash=api_key_hash(raw_key)).first()
    if key is None or key.revoked_at is not None:
        return None
    return key


def api_key_touch(*, api_key: ApiKey) -> None:
    """Record use, at most once a minute per key: a busy integration should not write a row
    on every request."""
    now = timezone.now()
    stale = now - timedelta(seconds=LAST_USED_GRANULARITY_SECONDS)
    updated = (
        ApiKey.objects.filter(pk=api_key.pk)
        .filter(Q(last_used_at__isnull=True) | Q(last_used_at__lt=stale))
        .update(last_used_at=now)
    )
    if updated:
        api_key.last_used_at = now


def api_keys() -> QuerySet[ApiKey]:
    """Active keys first, newest first."""
    return ApiKey.objects.order_by("revoked_at", "-created_at")


@transaction.atomic
def api_key_create(*, actor: Membership, name: str) -> tuple[ApiKey, str]:
    """A new key and its raw value, which is never stored and cannot be shown again."""
    if not can(actor.role, "manage_api_keys"):
        raise ValidationError(_("Only an agency admin can manage API keys."))
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": _("Name the key after what uses it, like “Website”.")})
    if len(name) > 100:
        raise ValidationError({"name": _("Keep the name under 100 characters.")})
    if ApiKey.objects.filter(revoked_at__isnull=True).count() >= MAX_ACTIVE_KEYS:
        raise ValidationError(
            _("You have %(count)s active keys. Revoke one you no longer use first.")
            % {"count": MAX_ACTIVE_KEYS}
        )
    for _attempt in range(5):
        prefix = secrets.token_hex(4)
        raw_key = f"aq_{prefix}_{secrets.token_urlsafe(32)}"
        api_key = ApiKey(name=name, prefix=prefix, key_hash=api_key_hash(raw_key), created_by=actor)
        try:
            with transaction.atomic():
                api_key.save()
        except IntegrityError:
            continue  # a prefix collision: draw again
        logger.info("api key created", extra={"api_key_id": api_key.pk})
        return api_key, raw_key
    raise RuntimeError("could not draw a unique API key prefix")


@transaction.atomic
def api_key_revoke(*, actor: Membership, api_key: ApiKey) -> ApiKey:
    if not can(actor.role, "manage_api_keys"):
        raise ValidationError(_("Only an agency admin can manage API keys."))
    api_key = ApiKey.objects.select_for_update().get(pk=api_key.pk)
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
        logger.info("api key revoked", extra={"api_key_id": api_key.pk})
    return api_key

"""API authentication (`Authorization: Bearer aq_...`) and per-key rate limits in Redis,
plugged into ninja as the API's `auth`."""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.db import connection
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.security import HttpBearer

from leads.api.errors import ApiError
from leads.api.keys import api_key_for, api_key_touch
from leads.models import ApiKey

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 60
DEFAULT_PER_KEY_PER_MINUTE = 120
# Wrong keys from one address: enough for a person fixing a typo, too few to guess keys.
DEFAULT_FAILED_AUTH_PER_MINUTE = 30


def _redis():
    from django_redis import get_redis_connection

    return get_redis_connection("default")


def _over_limit(bucket: str, limit: int) -> int | None:
    """Count one request in this minute's window; the seconds to wait when over `limit`.

    Redis being unreachable must not take the API down with it: the limit then lets
    requests through and says so in the log."""
    window = int(time.time()) // WINDOW_SECONDS
    prefix = getattr(settings, "REDIS_KEY_PREFIX", "aqari")
    key = f"{prefix}:api:rate:{connection.schema_name}:{bucket}:{window}"
    try:
        pipe = _redis().pipeline()
        pipe.incr(key)
        pipe.expire(key, WINDOW_SECONDS * 2)
        count, _expire = pipe.execute()
    except Exception:
        logger.warning("api rate limit unavailable", extra={"bucket": bucket.split(":")[0]})
        return None
    if count > limit:
        return WINDOW_SECONDS - int(time.time()) % WINDOW_SECONDS or 1
    return None


def _rate_limited(retry_after: int) -> ApiError:
    return ApiError(
        429,
        "rate_limited",
        _("Too many requests. Wait %(seconds)s seconds and try again.") % {"seconds": retry_after},
        headers={"Retry-After": str(retry_after)},
    )


def _client_address(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


class ApiKeyAuth(HttpBearer):
    """The request's API key, or an ApiError (401, or 429 when rate limited).

    Ninja's own bearer check would answer a missing or malformed header before we see it;
    every failed attempt has to count towards the per-address limit, so this reads the
    header itself."""

    openapi_description = "An agency API key, `aq_<prefix>_<secret>`."

    def __call__(self, request: HttpRequest) -> ApiKey:
        header = request.headers.get("Authorization", "")
        scheme, _sep, raw_key = header.partition(" ")
        api_key = (
            self.authenticate(request, raw_key.strip()) if scheme.lower() == "bearer" else None
        )
        if api_key is None:
            limit = getattr(
                settings, "AQARI_API_FAILED_AUTH_PER_MINUTE", DEFAULT_FAILED_AUTH_PER_MINUTE
            )
            retry_after = _over_limit(f"auth-failed:{_client_address(request)}", limit)
            if retry_after is not None:
                raise _rate_limited(retry_after)
            message = (
                _("Send your API key in the Authorization header: “Bearer aq_…”.")
                if not header
                else _("This API key is not valid for this agency, or it was revoked.")
            )
            raise ApiError(
                401, "unauthorized", message, headers={"WWW-Authenticate": 'Bearer realm="api"'}
            )
        limit = getattr(settings, "AQARI_API_RATE_LIMIT_PER_MINUTE", DEFAULT_PER_KEY_PER_MINUTE)
        retry_after = _over_limit(f"key:{api_key.pk}", limit)
        if retry_after is not None:
            raise _rate_limited(retry_after)
        api_key_touch(api_key=api_key)
        return api_key

    def authenticate(self, request: HttpRequest, token: str) -> ApiKey | None:
        return api_key_for(token)

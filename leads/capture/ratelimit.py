"""Fixed-window counters in Redis for the public capture endpoint.

Keys hold a hash of the token and of the client address, never the address itself, and expire
with their window.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from dataclasses import dataclass

from django.conf import settings
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

KEY_PREFIX = "aqari:capture:rate"
WINDOW_SECONDS = 60
PER_FORM_PER_MINUTE = 20
PER_ADDRESS_PER_MINUTE = 5


def _redis():
    from django_redis import get_redis_connection

    return get_redis_connection("default")


def _digest(value: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()[:24]


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    retry_after: int = 0


def capture_rate_check(*, token: str, client_address: str) -> RateDecision:
    """Count one submission to this form from this address; refuse past either limit."""
    now = int(time.time())
    window = now // WINDOW_SECONDS
    form_key = f"{KEY_PREFIX}:form:{_digest(token)}:{window}"
    address_key = f"{KEY_PREFIX}:addr:{_digest(token)}:{_digest(client_address)}:{window}"
    try:
        pipe = _redis().pipeline()
        pipe.incr(form_key)
        pipe.expire(form_key, WINDOW_SECONDS + 5)
        pipe.incr(address_key)
        pipe.expire(address_key, WINDOW_SECONDS + 5)
        form_count, _, address_count, _ = pipe.execute()
    except RedisError:
        # A lead matters more than the limit: without Redis, let the submission through.
        logger.warning("capture rate limit unavailable")
        return RateDecision(allowed=True)
    if form_count > PER_FORM_PER_MINUTE or address_count > PER_ADDRESS_PER_MINUTE:
        return RateDecision(allowed=False, retry_after=WINDOW_SECONDS - now % WINDOW_SECONDS)
    return RateDecision(allowed=True)


def capture_rate_reset() -> None:
    """Forget every counter (tests, or an admin unblocking a form after a spam wave)."""
    conn = _redis()
    keys = list(conn.scan_iter(f"{KEY_PREFIX}:*", count=500))
    if keys:
        conn.delete(*keys)

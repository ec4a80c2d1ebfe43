from __future__ import annotations

import json
from typing import Any

from django.utils import timezone

OUTBOX_LIMIT = 500


def _key(name: str) -> str:
    from django.conf import settings

    return f"{settings.REDIS_KEY_PREFIX}:dev:{name}"


class FakeFailure(RuntimeError):
    """What a fake raises when told to fail, like a provider's API error. `code` is the
    provider's error code (an HTTP status for email: 503 may succeed later, 422 never)."""

    def __init__(self, message: str, code: str = "503") -> None:
        super().__init__(message)
        self.code = code


def _redis():
    from django_redis import get_redis_connection

    return get_redis_connection("default")


def fake_record(service: str, payload: dict[str, Any]) -> str:
    """Record one outbound item; returns a provider-style id."""
    from django.db import connection

    conn = _redis()
    message_id = f"fake-{service}-{conn.incr(_key('outbox:seq'))}"
    item = {
        "id": message_id,
        "service": service,
        "schema": connection.schema_name,
        "at": timezone.now().isoformat(),
        **payload,
    }
    pipe = conn.pipeline()
    pipe.lpush(_key("outbox"), json.dumps(item, default=str))
    pipe.ltrim(_key("outbox"), 0, OUTBOX_LIMIT - 1)
    pipe.execute()
    return message_id


IDEMPOTENCY_SECONDS = 24 * 3600


def fake_record_once(service: str, idempotency_key: str | None, payload: dict[str, Any]) -> str:
    """Like the real providers: a second send with the same key within a day sends nothing
    and answers with the first send's id."""
    if not idempotency_key:
        return fake_record(service, payload)
    conn = _redis()
    key = _key(f"idempotency:{service}:{idempotency_key}")
    if not conn.set(key, "", nx=True, ex=IDEMPOTENCY_SECONDS):
        return (conn.get(key) or b"").decode() or f"fake-{service}-duplicate"
    message_id = fake_record(service, payload)
    conn.set(key, message_id, ex=IDEMPOTENCY_SECONDS)
    return message_id


def fake_outbox(service: str | None = None) -> list[dict[str, Any]]:
    """Newest first."""
    items = [json.loads(raw) for raw in _redis().lrange(_key("outbox"), 0, OUTBOX_LIMIT - 1)]
    return [i for i in items if service is None or i["service"] == service]


def fake_outbox_clear() -> None:
    _redis().delete(_key("outbox"))


def fake_fail_next(
    service: str, times: int = 1, message: str = "Simulated provider error", code: str = "503"
) -> None:
    """Make the next `times` calls of this fake raise FakeFailure with this provider error code
    (in any process)."""
    conn = _redis()
    key = _key(f"fail:{service}")
    if times <= 0:
        conn.delete(key)
        return
    conn.set(key, json.dumps({"times": times, "message": message, "code": code}), ex=3600)


def fake_maybe_fail(service: str) -> None:
    conn = _redis()
    key = _key(f"fail:{service}")
    raw = conn.get(key)
    if raw is None:
        return
    data = json.loads(raw)
    if data["times"] <= 1:
        conn.delete(key)
    else:
        conn.set(key, json.dumps({**data, "times": data["times"] - 1}), keepttl=True)
    raise FakeFailure(data["message"], code=data.get("code", "503"))
